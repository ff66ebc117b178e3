"""docker-compose.yml runs the same system on real MongoDB and RabbitMQ (validated; no engine here)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pymongo import uri_parser

from deploy.services import GATEWAY, SERVICES

ROOT = Path(__file__).resolve().parents[2]
MONGO_DIR = ROOT / "deploy" / "mongo"
MONGO_CREDENTIALS = {
    "CIVICGRID_MONGO_ROOT_USER": "root",
    "CIVICGRID_MONGO_ROOT_PASSWORD": "r00t-pw",
    "CIVICGRID_MONGO_USER": "civicgrid",
    "CIVICGRID_MONGO_PASSWORD": "app-pw",
}
SECRETS = {"CIVICGRID_AMQP_USER": "civicgrid", "CIVICGRID_AMQP_PASSWORD": "s3cret", **MONGO_CREDENTIALS}
MEMBERS = ("mongo1", "mongo2", "mongo3")


def compose_config(env_overrides):
    binary = shutil.which("docker-compose")
    assert binary, (
        "docker-compose is needed to validate the compose file (apt-get install docker-compose; .ci/run does)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_") and k != "DB_PREFIX"} | env_overrides
    return subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def rendered():
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def flag(command, name):
    return command[command.index(name) + 1]


def uses_mongodb(service):
    return "MONGO_URI" in service.get("environment", {})


def test_every_process_has_its_own_container(rendered):
    services = rendered["services"]
    assert set(SERVICES) | {"gateway", *MEMBERS, "mongo-init", "rabbitmq", "prepare"} == set(services)
    for name, path in {**SERVICES, "gateway": GATEWAY}.items():
        assert services[name]["command"] == ["python", "-m", "deploy.run", path]
    assert services["prepare"]["command"] == ["python", "-m", "deploy.prepare"]


def test_every_process_serves_its_probes_and_is_healthy_when_ready(rendered):
    services = rendered["services"]
    for name in {**SERVICES, "gateway": GATEWAY}:
        assert services[name]["environment"]["HEALTH_PORT"] == "8081"
        assert "http://127.0.0.1:8081/readyz" in " ".join(services[name]["healthcheck"]["test"])
        # longer than SHUTDOWN_GRACE_SECONDS (25): docker's SIGKILL must not cut the messages in hand short
        assert services[name]["stop_grace_period"] == "30s"


def test_the_stores_are_pinned_official_images_with_health_checks_and_volumes(rendered):
    services = rendered["services"]
    for name in (*MEMBERS, "mongo-init"):
        assert re.fullmatch(r"mongo:7\.0\.\d+", services[name]["image"]), "pin MongoDB to a patch release"
    assert len({services[name]["image"] for name in (*MEMBERS, "mongo-init")}) == 1
    assert services["rabbitmq"]["image"].startswith("rabbitmq:")
    for name in (*MEMBERS, "rabbitmq", "gateway"):
        assert "healthcheck" in services[name]
    assert "rabbitmq-data" in rendered["volumes"]


def test_mongodb_is_a_three_member_replica_set_with_internal_authentication(rendered):
    services = rendered["services"]
    data_volumes = set()
    for name in MEMBERS:
        member = services[name]
        command = member["command"]
        assert command[0] == "mongod"
        assert flag(command, "--replSet") == "civicgrid"
        assert flag(command, "--keyFile").startswith("/")
        assert "--bind_ip_all" in command
        assert member["restart"] == "unless-stopped"
        assert member["healthcheck"]["test"][:2] == ["CMD", "mongosh"]
        (data,) = [v.split(":")[0] for v in member["volumes"] if v.split(":")[1] == "/data/db"]
        assert data in rendered["volumes"]
        data_volumes.add(data)
    assert len(data_volumes) == 3, "each member keeps its own data"


def test_the_keyfile_comes_from_a_secret_and_is_copied_into_place_for_mongod(rendered):
    assert rendered["secrets"]["mongo_keyfile"]["file"] == str(ROOT / "secrets" / "mongo_keyfile")
    holders = {
        name
        for name, svc in rendered["services"].items()
        if any(secret["source"] == "mongo_keyfile" for secret in svc.get("secrets", []))
    }
    assert holders == set(MEMBERS)
    wrapper = (MONGO_DIR / "member-entrypoint.sh").read_text()
    for name in MEMBERS:
        member = rendered["services"][name]
        assert f"{MONGO_DIR}:/etc/civicgrid/mongo:ro" in member["volumes"]
        assert member["entrypoint"] == ["sh", "/etc/civicgrid/mongo/member-entrypoint.sh"]
        # the wrapper writes the file mongod is told to read, mode 400, owned by mongod's user, then hands over
        assert f"keyfile={flag(member['command'], '--keyFile')} " in wrapper
    assert "source_file=/run/secrets/mongo_keyfile" in wrapper
    assert 'chown mongodb:mongodb "$keyfile"' in wrapper and 'chmod 400 "$keyfile"' in wrapper
    assert wrapper.rstrip().endswith('exec docker-entrypoint.sh "$@"')


def test_only_the_first_member_creates_the_root_user(rendered):
    services = rendered["services"]
    env = services["mongo1"]["environment"]
    assert (env["MONGO_INITDB_ROOT_USERNAME"], env["MONGO_INITDB_ROOT_PASSWORD"]) == ("root", "r00t-pw")
    # the others must be empty when the set is initiated: they copy everything from mongo1
    for name in ("mongo2", "mongo3"):
        assert not any(key.startswith("MONGO_INITDB") for key in services[name].get("environment", {}))


def test_the_init_step_is_one_shot_and_everything_that_uses_mongodb_waits_for_it(rendered):
    services = rendered["services"]
    init = services["mongo-init"]
    assert init["restart"] == "no"
    assert init["entrypoint"] == ["sh", "/etc/civicgrid/mongo/init-replica-set.sh"]
    assert {name: dep["condition"] for name, dep in init["depends_on"].items()} == dict.fromkeys(
        MEMBERS, "service_healthy"
    )
    assert init["environment"]["MONGO_MEMBERS"] == ",".join(f"{name}:27017" for name in MEMBERS)
    assert init["environment"]["MONGO_REPLICA_SET"] == "civicgrid"

    users = {name for name, svc in services.items() if uses_mongodb(svc)}
    assert users == set(SERVICES) | {"gateway", "prepare"}
    for name in users:
        assert services[name]["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully", name


def test_services_wait_for_the_broker_and_the_deploy_step(rendered):
    services = rendered["services"]
    prepare = services["prepare"]
    assert prepare["restart"] == "no"
    assert prepare["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    for name in set(SERVICES) | {"gateway"}:
        depends = services[name]["depends_on"]
        assert depends["rabbitmq"]["condition"] == "service_healthy"
        assert depends["prepare"]["condition"] == "service_completed_successfully"


def test_every_mongo_uri_names_the_replica_set_and_its_credentials(rendered):
    services = rendered["services"]
    for name, service in services.items():
        if not uses_mongodb(service):
            continue
        uri = service["environment"]["MONGO_URI"]
        parsed = uri_parser.parse_uri(uri)
        assert parsed["nodelist"] == [(member, 27017) for member in MEMBERS], name
        assert parsed["options"]["replicaSet"] == flag(services["mongo1"]["command"], "--replSet")
        assert parsed["options"]["authSource"] == "admin"
        assert (parsed["username"], parsed["password"]) == ("civicgrid", "app-pw")
        assert "directconnection" not in uri.lower()
        assert parsed["database"] is None, "the database is DB_PREFIX + service"
        assert service["environment"]["DB_PREFIX"] == "civicgrid_"


def test_the_application_user_gets_exactly_the_six_service_databases():
    for prefix in ("civicgrid_", "city2_"):
        result = compose_config({**SECRETS, "DB_PREFIX": prefix})
        assert result.returncode == 0, result.stderr
        services = yaml.safe_load(result.stdout)["services"]
        databases = services["mongo-init"]["environment"]["MONGO_APP_DATABASES"].split(",")
        assert sorted(databases) == sorted(prefix + name for name in SERVICES)
        assert services["cases"]["environment"]["DB_PREFIX"] == prefix


def test_there_is_no_default_password():
    result = compose_config({})
    assert result.returncode != 0


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_each_credential_must_be_set_and_a_missing_one_is_named(missing):
    result = compose_config({k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_env_example_and_the_configuration_list_every_variable_the_compose_file_reads():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / "deploy" / "env.example").read_text(), re.MULTILINE))
    assert used == listed
    assert set(MONGO_CREDENTIALS) <= used
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert not {name for name in used if f"`{name}`" not in documented}


def test_only_the_directory_holds_the_private_signing_key(rendered):
    services = rendered["services"]
    holders = {
        name
        for name, svc in services.items()
        if any(str(secret.get("source", secret)) == "auth_private_key" for secret in svc.get("secrets", []))
    }
    assert holders == {"directory"}
    for name in set(SERVICES) | {"gateway"}:
        assert services[name]["environment"]["AUTH_PUBLIC_KEY_FILE"].startswith("/run/secrets/")


def test_the_notifications_container_gets_mail_and_sms_settings_with_no_secret_defaulted():
    result = compose_config({**SECRETS, "SMTP_PASSWORD": "from-the-env", "SMS_GATEWAY_TOKEN": "t0ken"})
    assert result.returncode == 0, result.stderr
    env = yaml.safe_load(result.stdout)["services"]["notifications"]["environment"]
    assert {
        "EMAIL_TRANSPORT",
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_SECURITY",
        "SMTP_USERNAME",
        "SMS_PROVIDER",
        "SMS_GATEWAY_URL",
        "PUBLIC_BASE_URL",
    } <= set(env)
    assert (env["SMTP_PASSWORD"], env["SMS_GATEWAY_TOKEN"]) == ("from-the-env", "t0ken")
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${SMTP_PASSWORD}" in text and "${SMS_GATEWAY_TOKEN}" in text


def test_only_notifications_holds_the_key_sealing_webhook_secrets(rendered):
    services = rendered["services"]
    holders = {
        name
        for name, svc in services.items()
        if any(str(secret.get("source", secret)) == "webhook_secrets_key" for secret in svc.get("secrets", []))
    }
    assert holders == {"notifications"}
    assert services["notifications"]["environment"]["WEBHOOK_SECRETS_KEY_FILE"] == "/run/secrets/webhook_secrets_key"


# --- the scripts in deploy/mongo (no mongod or mongosh here: checked by syntax, and their logic against stand-ins) ---


@pytest.mark.parametrize("script", ["member-entrypoint.sh", "init-replica-set.sh"])
def test_the_mongo_scripts_are_valid_strict_posix_shell(script):
    path = MONGO_DIR / script
    result = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert path.read_text().startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in path.read_text()


# make test builds the web app with node.js first (Makefile), so it is always there: its absence is a failure, not a
# reason to skip
NODE = shutil.which("node") or "node"


@pytest.mark.parametrize("script", ["initiate.js", "app-user.js"])
def test_the_mongosh_scripts_are_valid_javascript(script):
    result = subprocess.run([NODE, "--check", str(MONGO_DIR / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# Runs a mongosh script in node with stand-ins for what mongosh provides (db, print, process.env); the stand-in
# admin database answers replSetGetStatus from the scenario and records every command and user call.
MONGOSH_STANDIN = r"""
const fs = require('fs');
const vm = require('vm');
const [script, scenarioJson] = process.argv.slice(1);
const scenario = JSON.parse(scenarioJson);
const calls = [];
const answer = (reply) => {
  if (reply.ok === 1 || !scenario.throws) return reply;
  throw Object.assign(new Error(reply.errmsg), reply);
};
const admin = {
  auth: (user, pwd) => calls.push(['auth', user, pwd]),
  runCommand: (command) => {
    calls.push(['command', command]);
    if ('replSetGetStatus' in command) return answer(scenario.status);
    if ('replSetInitiate' in command) return answer(scenario.initiate || { ok: 1 });
    throw new Error('unexpected command ' + JSON.stringify(command));
  },
  getUser: (user) => (scenario.userExists ? { user } : null),
  createUser: (spec) => calls.push(['createUser', spec]),
  updateUser: (user, spec) => calls.push(['updateUser', user, spec]),
};
const context = {
  db: { getSiblingDB: (name) => { if (name !== 'admin') throw new Error(name); return admin; } },
  print: () => {},
  process: { env: scenario.env },
};
try {
  vm.runInNewContext(fs.readFileSync(script, 'utf8'), context);
} catch (error) {
  calls.push(['error', String(error.message)]);
}
console.log(JSON.stringify(calls));
"""
SCRIPT_ENV = {
    "MONGO_ROOT_USERNAME": "root",
    "MONGO_ROOT_PASSWORD": "r00t-pw",
    "MONGO_REPLICA_SET": "civicgrid",
    "MONGO_MEMBERS": "mongo1:27017,mongo2:27017,mongo3:27017",
    "MONGO_APP_USERNAME": "civicgrid",
    "MONGO_APP_PASSWORD": "app-pw",
    "MONGO_APP_DATABASES": ",".join("civicgrid_" + s for s in SERVICES),
}


def run_mongosh_script(script, **scenario):
    result = subprocess.run(
        [NODE, "-e", MONGOSH_STANDIN, str(MONGO_DIR / script), json.dumps({"env": SCRIPT_ENV, **scenario})],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


NOT_YET = {"ok": 0, "code": 94, "codeName": "NotYetInitialized", "errmsg": "no replset config has been received"}


@pytest.mark.parametrize("throws", [False, True], ids=["shell-returns-errors", "shell-throws-errors"])
def test_initiate_js_initiates_only_a_set_that_is_not_initiated(throws):
    calls = run_mongosh_script("initiate.js", status=NOT_YET, throws=throws)
    assert calls[0] == ["auth", "root", "r00t-pw"]
    commands = [call[1] for call in calls if call[0] == "command"]
    assert list(commands[0]) == ["replSetGetStatus"], "asks before initiating"
    assert commands[1] == {
        "replSetInitiate": {
            "_id": "civicgrid",
            "members": [
                {"_id": 0, "host": "mongo1:27017"},
                {"_id": 1, "host": "mongo2:27017"},
                {"_id": 2, "host": "mongo3:27017"},
            ],
        }
    }
    assert not [call for call in calls if call[0] == "error"]

    again = run_mongosh_script("initiate.js", status={"ok": 1, "set": "civicgrid"}, throws=throws)
    assert [call[1] for call in again if call[0] == "command"] == [{"replSetGetStatus": 1}]
    assert not [call for call in again if call[0] == "error"]

    raced = run_mongosh_script(
        "initiate.js",
        status=NOT_YET,
        throws=throws,
        initiate={"ok": 0, "code": 23, "codeName": "AlreadyInitialized", "errmsg": "already initialized"},
    )
    assert not [call for call in raced if call[0] == "error"], "another run initiating first is success"

    refused = run_mongosh_script(
        "initiate.js", status={"ok": 0, "code": 13, "codeName": "Unauthorized", "errmsg": "no"}, throws=throws
    )
    assert refused[-1][0] == "error" and "Unauthorized" in refused[-1][1]
    assert not [call for call in refused if call[0] == "command" and "replSetInitiate" in call[1]]


def test_app_user_js_creates_the_user_once_then_only_sets_it_again():
    roles = [{"role": "readWrite", "db": "civicgrid_" + name} for name in SERVICES]
    created = run_mongosh_script("app-user.js", userExists=False)
    assert created[0] == ["auth", "root", "r00t-pw"]
    assert created[1:] == [["createUser", {"user": "civicgrid", "pwd": "app-pw", "roles": roles}]]
    updated = run_mongosh_script("app-user.js", userExists=True)
    assert updated[1:] == [["updateUser", "civicgrid", {"pwd": "app-pw", "roles": roles}]]


# A stand-in for mongosh on PATH for init-replica-set.sh: the members' state is a JSON file; every call is recorded.
FAKE_MONGOSH = r"""
import json, os, sys
state_file = os.environ["FAKE_MONGO_STATE"]
state = json.load(open(state_file))
args = sys.argv[1:]
state["calls"].append(args)
uri = next(a for a in args if a.startswith("mongodb://"))
host = uri[len("mongodb://"):].split("/")[0].split(":")[0]
def save():
    json.dump(state, open(state_file, "w"))
if "--file" in args:
    script = os.path.basename(args[args.index("--file") + 1])
    if script == "initiate.js":
        state["initiated"] = True
    state["ran"].append(script)
    save()
    sys.exit(0)
save()
code = args[args.index("--eval") + 1]
if host not in state["reachable"]:
    sys.exit(1)
if "ping" in code:
    sys.exit(0)
if "setName" in code:
    print("civicgrid" if state["initiated"] and host in state["configured"] else "")
    sys.exit(0)
if "isWritablePrimary" in code:
    sys.exit(0 if state["initiated"] and host == state["primary"] else 1)
sys.exit(2)
"""


@pytest.fixture
def fake_mongo(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "mongosh"
    fake.write_text(f"#!{sys.executable}\n{FAKE_MONGOSH}")
    fake.chmod(0o755)
    state_file = tmp_path / "state.json"

    def run(env_overrides=None, **state):
        initial = {
            "reachable": list(MEMBERS),
            "configured": list(MEMBERS),
            "initiated": False,
            "primary": "mongo2",
            "calls": [],
            "ran": [],
        }
        state_file.write_text(json.dumps(initial | state))
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "FAKE_MONGO_STATE": str(state_file),
            "MONGO_INIT_TIMEOUT_SECONDS": "3",
            **SCRIPT_ENV,
            **(env_overrides or {}),
        }
        result = subprocess.run(
            ["sh", str(MONGO_DIR / "init-replica-set.sh")], env=env, capture_output=True, text=True, timeout=60
        )
        return result, json.loads(state_file.read_text())

    return run


def test_the_init_script_initiates_once_then_leaves_the_set_alone(fake_mongo):
    first, state = fake_mongo()
    assert first.returncode == 0, first.stderr
    assert state["ran"] == ["initiate.js", "app-user.js"]
    (initiate,) = [call for call in state["calls"] if "initiate.js" in " ".join(call)]
    assert "mongodb://mongo1:27017/" in initiate[2] and "directConnection=true" in initiate[2]
    (user,) = [call for call in state["calls"] if "app-user.js" in " ".join(call)]
    assert "mongodb://mongo1:27017,mongo2:27017,mongo3:27017/admin?replicaSet=civicgrid" in user

    second, state = fake_mongo(initiated=True)
    assert second.returncode == 0, second.stderr
    assert state["ran"] == ["app-user.js"]
    assert "already initiated" in second.stdout

    # mongo1's volume is new, the other two still form the set: it is not initiated again
    rebuilt, state = fake_mongo(initiated=True, configured=["mongo2", "mongo3"])
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert state["ran"] == ["app-user.js"]


def test_the_init_script_never_puts_a_password_on_a_command_line(fake_mongo):
    result, state = fake_mongo()
    assert result.returncode == 0, result.stderr
    arguments = " ".join(" ".join(call) for call in state["calls"])
    assert "r00t-pw" not in arguments and "app-pw" not in arguments


def test_the_init_script_fails_naming_what_it_waited_for(fake_mongo):
    unreachable, state = fake_mongo(reachable=["mongo1", "mongo2"])
    assert unreachable.returncode != 0
    assert "mongo3" in unreachable.stderr and state["ran"] == []

    no_primary, state = fake_mongo(primary="nobody")
    assert no_primary.returncode != 0
    assert "primary" in no_primary.stderr and state["ran"] == ["initiate.js"]


@pytest.mark.parametrize(
    "overrides", [{"MONGO_APP_PASSWORD": "p@ss:word"}, {"MONGO_APP_USERNAME": "root"}, {"MONGO_APP_PASSWORD": ""}]
)
def test_the_init_script_refuses_credentials_the_services_could_not_use(fake_mongo, overrides):
    result, state = fake_mongo(overrides)
    assert result.returncode != 0
    assert result.stderr.strip()
    assert state["calls"] == []
