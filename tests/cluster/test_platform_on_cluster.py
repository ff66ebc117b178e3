"""The platform on a three-node RabbitMQ cluster, two replicas of every service, started as `make run` starts it.

Losing a broker node (``kill -9``, the one leading the cases service's queue) or a service replica mid-burst loses no
accepted report and applies none twice; a report retried with its idempotency key, as the field app does, always
succeeds; reference data changed while a replica's connection is down still reaches every replica.
"""

import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from services.directory.domain.demo import generate_district
from shared.bus import standalone_rpc
from shared.topology import event_queue_name
from tests.support.infra import unique_name, wait_for
from tests.support.platform import Platform, platform_databases

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

SERVICES = ("directory", "reporting", "cases", "dispatch", "notifications", "indicators")
CATEGORY_FOLLOWERS = ("reporting", "cases", "notifications", "indicators")
CASES_QUEUE = event_queue_name("reporting", "incident.reported", "cases", "on_incident_reported")
OFFICER = "officer-610102001001001"
OFFICER_GRID = "610102001001001"


@pytest.fixture(scope="module")
def cluster_vhost(rabbit_cluster):
    vhost = unique_name("cgclvh")
    rabbit_cluster.admin().create_vhost(vhost)
    yield vhost
    running = [n for n in rabbit_cluster.nodes if n.running]
    if running:
        rabbit_cluster.admin(running[0]).delete_vhost(vhost)


@pytest.fixture(scope="module")
def platform(rabbit_cluster, cluster_vhost, tmp_path_factory):
    running = Platform(
        tmp_path_factory.mktemp("cluster-platform"),
        rabbit_cluster.amqp_uri(cluster_vhost),
        unique_name("cgcl") + "_",
        replicas=2,
        extra_env={"DIGEST_THRESHOLD": "1000000", "RPC_TIMEOUT_SECONDS": "10"},
    )
    try:
        running.start(timeout=300)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def store(platform):
    with platform_databases(platform) as database:
        yield database


@pytest.fixture(scope="module")
def report_point():
    from shapely.geometry import shape

    grid = next(g for g in generate_district()["grids"] if g["code"] == OFFICER_GRID)
    point = shape(grid["polygon"]).representative_point()
    return {"lat": point.y, "lon": point.x}


class FieldApp:
    """Reports as the field app sends them: each with its idempotency key, retried with it until the server
    answers 202 (a lost answer, a 5xx or a timeout is tried again; the app never makes a second report)."""

    def __init__(self, platform, point):
        self.platform = platform
        self.point = point
        self.accepted: dict[str, dict] = {}  # idempotency key -> the answer
        self.retries = 0
        self._lock = threading.Lock()

    def report(self, text: str, give_up_after: float = 240) -> None:
        key = str(uuid.uuid4())
        body = {"category": "sanitation", "description": text, "location": self.point, "idempotency_key": key}
        deadline = time.monotonic() + give_up_after
        while time.monotonic() < deadline:
            try:
                answer = self.platform.as_user(OFFICER).post("/api/v1/reports", body)
                if answer.status_code == 202:
                    with self._lock:
                        self.accepted[key] = answer.json()
                    return
                assert answer.status_code >= 500 or answer.status_code == 401, answer.text  # never a refusal
            except requests.RequestException:
                pass
            with self._lock:
                self.retries += 1
            time.sleep(1)
        raise AssertionError(f"report {key} was never accepted")

    def burst(self, count: int, label: str, during=None) -> None:
        """``count`` reports from four phones at once; ``during()`` runs once a third of them are in."""
        errors = []

        def phone(numbers):
            for n in numbers:
                try:
                    self.report(f"垃圾堆积 {label} {n}")
                except AssertionError as exc:
                    errors.append(exc)

        phones = [threading.Thread(target=phone, args=(range(i, count, 4),)) for i in range(4)]
        before = len(self.accepted)
        for thread in phones:
            thread.start()
        if during is not None:
            wait_for(lambda: len(self.accepted) - before >= count // 3, timeout=120, message="a third accepted")
            during()
        for thread in phones:
            thread.join()
        assert not errors, errors


def platform_connections(admin) -> list[dict]:
    """The connections the platform's processes opened (they name theirs ``<service>@<host>:<pid>``)."""
    return [c for c in admin.connections() if "@" in c.get("client_properties", {}).get("connection_name", "")]


def assert_each_arrived_once(store, answers: list[dict]) -> None:
    """Every accepted report is one case, dispatched once, in its department's inbox once, with one assignment."""
    case_ids = [a["case_id"] for a in answers]
    assert len(set(case_ids)) == len(case_ids)

    def dispatched():
        return store("cases").cases.count_documents({"_id": {"$in": case_ids}, "status": "dispatched"})

    wait_for(
        lambda: dispatched() == len(case_ids),
        timeout=180,
        interval=1,
        message=f"{len(case_ids)} cases dispatched (now {dispatched()})",
    )
    entry = {"case_id": {"$in": case_ids}, "kind": "case.dispatched", "department": {"$exists": True}}
    wait_for(
        lambda: store("notifications").inbox.count_documents(entry) == len(case_ids),
        timeout=120,
        interval=1,
        message="every case in its department's inbox",
    )
    wait_for(
        lambda: store("dispatch").assignments.count_documents({"case_id": {"$in": case_ids}}) == len(case_ids),
        timeout=120,
        interval=1,
        message="every assignment recorded",
    )
    for case in store("cases").cases.find({"_id": {"$in": case_ids}}, {"history": 1}):
        assert [h["action"] for h in case["history"]] == ["report", "register", "dispatch"], case["_id"]
    assert store("notifications").inbox.count_documents(entry) == len(case_ids)
    assert store("reporting").reports.count_documents({"case_id": {"$in": case_ids}}) == len(case_ids)


def test_every_durable_queue_is_a_quorum_queue_replicated_on_all_three_nodes(platform, rabbit_cluster, cluster_vhost):
    queues = rabbit_cluster.admin().queues(cluster_vhost)
    durable = {name: q for name, q in queues.items() if q["durable"]}
    assert {q["type"] for q in durable.values()} == {"quorum"}, {n: q["type"] for n, q in durable.items()}
    assert all(len(q["members"]) == 3 for q in durable.values()), {n: q["members"] for n, q in durable.items()}
    assert CASES_QUEUE in durable and "rpc-cases" in durable
    # declared with x-queue-leader-locator balanced: no one node leads (and routes for) every queue
    leaders = Counter(q["leader"] for q in durable.values())
    assert len(leaders) == 3 and max(leaders.values()) <= 2 * min(leaders.values()), leaders


def test_losing_the_broker_node_that_leads_the_cases_queue_loses_and_doubles_no_report(
    platform, store, rabbit_cluster, cluster_vhost, report_point
):
    app = FieldApp(platform, report_point)
    leader = rabbit_cluster.queue_leader(cluster_vhost, CASES_QUEUE)
    pids = platform.status()["pids"]
    # the launcher starts each process on another node first: the lost node takes some of their connections with it
    assert wait_for(
        lambda: [c for c in platform_connections(rabbit_cluster.admin()) if c["node"] == leader.name],
        timeout=30,
        message=f"processes connected to {leader.name}",
    )

    app.burst(60, "node-loss", during=lambda: rabbit_cluster.kill(leader))

    assert_each_arrived_once(store, list(app.accepted.values()))
    new_leader = rabbit_cluster.queue_leader(cluster_vhost, CASES_QUEUE)
    assert new_leader.name != leader.name
    # every process moved its connections to a live node by itself: none died or was restarted for it
    assert platform.status()["pids"] == pids
    expected = {f"{name.rsplit('-', 1)[0]}@{socket.gethostname()}:{pid}" for name, pid in pids.items()}
    connected = wait_for(
        lambda: (
            expected
            <= {
                c["client_properties"]["connection_name"]
                for c in platform_connections(rabbit_cluster.admin(new_leader))
            }
            and expected
        ),
        timeout=60,
        message="every process connected again",
    )
    assert connected

    rabbit_cluster.restart(leader)
    admin = rabbit_cluster.admin()
    wait_for(lambda: all(n["running"] for n in admin.cluster_nodes()), timeout=120, message="the node rejoined")
    wait_for(
        lambda: len(admin.queue(cluster_vhost, CASES_QUEUE).get("online", [])) == 3,
        timeout=120,
        message="the queue's three members online again",
    )
    later = FieldApp(platform, report_point)
    later.burst(8, "after-rejoin")
    assert_each_arrived_once(store, list(later.accepted.values()))


def test_losing_a_replica_of_each_service_in_turn_loses_and_doubles_no_report(platform, store, report_point):
    app = FieldApp(platform, report_point)

    def kill_one_of_each():
        for number, service in enumerate(SERVICES):
            name = f"{service}-{1 + number % 2}"
            pid = platform.pid(name)
            os.kill(pid, signal.SIGKILL)
            time.sleep(1.5)
            platform.wait_restarted(name, pid, timeout=120)

    app.burst(48, "replica-loss", during=kill_one_of_each)

    assert_each_arrived_once(store, list(app.accepted.values()))


def health_by_instance(platform, service: str, wanted: int = 2, tries: int = 40) -> dict[str, dict]:
    """``health`` from each replica of ``service`` (they share its RPC queue: ask until each has answered)."""
    answers: dict[str, dict] = {}
    with standalone_rpc({"AMQP_URI": platform.env["AMQP_URI"]}, timeout=10) as rpc:
        for _ in range(tries):
            answer = getattr(rpc, service).health()
            answers[answer["instance"]] = answer
            if len(answers) >= wanted:
                break
    return answers


def categories_revisions(platform) -> dict[tuple[str, str], int]:
    """The categories revision each replica of each service that copies categories holds (a replica that is not
    consuming its RPC queue at the moment is missing)."""
    seen = {}
    for service in CATEGORY_FOLLOWERS:
        answers = health_by_instance(platform, service)
        seen.update({(service, instance): h["reference"]["categories"] for instance, h in answers.items()})
    return seen


def test_reference_data_changed_while_a_replicas_connection_is_down_reaches_every_replica(platform, rabbit_cluster):
    # a replica restarted by an earlier test may still be starting
    before = wait_for(
        lambda: len(seen := categories_revisions(platform)) == 2 * len(CATEGORY_FOLLOWERS) and seen,
        timeout=60,
        interval=1,
        message="every replica answering",
    )
    assert len(set(before.values())) == 1, before
    admin_api = rabbit_cluster.admin()
    victim = f"cases@{socket.gethostname()}:{platform.pid('cases-1')}"

    def connections_of_victim():
        names = {c["name"]: c.get("client_properties", {}).get("connection_name") for c in admin_api.connections()}
        return [name for name, given in names.items() if given == victim]

    old = wait_for(connections_of_victim, timeout=30, message=f"a connection named {victim}")
    # Hold cases-1 once it has connected again and before it consumes again: the change below falls in that gap,
    # while its broadcast queue (gone with the old connection) does not exist.
    (platform.faults / "cases.before_consuming_again").write_text("8")
    for name in old:
        admin_api.close_connection(name)
    wait_for(lambda: set(connections_of_victim()) - set(old), timeout=60, message="cases-1 connected again")

    admin = platform.as_user("admin")
    category = admin.get("/api/v1/directory/categories/greening").json()
    changed = {**category, "name_en": f"Greening {uuid.uuid4().hex[:6]}"}
    assert admin.put("/api/v1/directory/categories/greening", changed).status_code == 200

    def converged():
        seen = categories_revisions(platform)
        return (
            len(seen) == len(before)
            and len(set(seen.values())) == 1
            and min(seen.values()) > min(before.values())
            and seen
        )

    wait_for(converged, timeout=90, interval=2, message="every replica at the new categories revision")
    assert not (platform.faults / "cases.before_consuming_again").exists(), "cases-1 was never held in the gap"
