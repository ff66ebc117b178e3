"""A civicgrid process as a pod runs it (``python -m deploy.run``), on the real broker and a real store: its probes
follow its store and reference data, and one SIGTERM stops it cleanly — the messages in hand finished and
acknowledged, none lost, exit 0 — while a second does no harm."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from prometheus_client.parser import text_string_to_metric_families

from deploy.prepare import prepare_broker, prepare_stores
from shared.events import to_message
from tests.support.infra import SecantusServer, free_port, wait_for
from tests.support.samples import sample_event

ROOT = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 20
RETURNED_QUEUE = "evt-cases-case.returned--dispatch.on_case_returned"

pytestmark = pytest.mark.timeout(300)


class Process:
    """``python -m deploy.run <name>`` with its probes on a free port."""

    def __init__(self, name: str, env: dict, log: Path):
        self.name = name
        self.health = f"http://127.0.0.1:{free_port()}"
        self.env = {
            **os.environ,
            **env,
            "HEALTH_PORT": self.health.rsplit(":", 1)[1],
            "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
            "PYTHONPATH": str(ROOT),
        }
        # each process counts its own (as in a pod); set at all, even empty, prometheus-client writes files there
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "deploy.run", self.name],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: self._answers("/livez"), timeout=60, interval=0.2, message=f"{self.name}'s probes")
        return self

    def _answers(self, path: str) -> bool:
        assert self.process.poll() is None, self.output()
        try:
            return self.get(path).status_code in (200, 503)
        except requests.ConnectionError:
            return False

    def get(self, path: str) -> requests.Response:
        return requests.get(self.health + path, timeout=10)

    def check(self, path: str, name: str):
        """(status code, the named check's value) of /livez or /readyz."""
        answer = self.get(path)
        return answer.status_code, answer.json()["checks"].get(name)

    def signal(self, signum) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def store(tmp_path):
    """A store of this test's own, which it may stop and start again."""
    server = SecantusServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def process_env(service_config, store):
    env = {key: str(value) for key, value in service_config.items() if key.isupper()}
    env.update({"MONGO_URI": store.uri, "RPC_TIMEOUT_SECONDS": "2"})
    prepare_broker(env)
    prepare_stores(env, retire=False)
    return env


@pytest.fixture
def processes(tmp_path, process_env):
    started = []

    def start(name: str) -> Process:
        process = Process(name, process_env, tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def publish(amqp_uri: str, event) -> None:
    Publisher(amqp_uri).publish(
        to_message(event), exchange=get_event_exchange(event.producer, {}), routing_key=event.type
    )


def test_a_service_is_ready_only_with_its_store_and_reference_data(processes, process_env, store):
    dispatch = processes("dispatch")
    # started, but no directory has told it the departments and users yet
    assert dispatch.get("/livez").status_code == 200
    wait_for(lambda: dispatch.check("/readyz", "consuming") == (503, True), timeout=30, message="consuming")
    answer = dispatch.get("/readyz").json()
    assert answer["status"] == "failing"
    assert answer["checks"]["store"] is True and answer["checks"]["reference"] is False
    assert answer["reference"] == {"departments": 0, "users": 0}

    for kind in ("departments.changed", "users.changed"):
        publish(process_env["AMQP_URI"], sample_event(kind))
    wait_for(lambda: dispatch.get("/readyz").status_code == 200, timeout=30, message="ready with its reference")
    assert dispatch.get("/readyz").json() == {
        "status": "ok",
        "checks": {"running": True, "consuming": True, "store": True, "reference": True},
        "reference": {"departments": 1, "users": 1},
    }

    store.stop()
    wait_for(lambda: dispatch.check("/readyz", "store") == (503, False), timeout=30, message="not ready, no store")
    assert dispatch.get("/livez").status_code == 200, "a store away is no reason to restart the process"
    store.start()  # on the same port
    wait_for(lambda: dispatch.get("/readyz").status_code == 200, timeout=60, message="ready again")

    metrics = dispatch.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["Content-Type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.text)
        for s in family.samples
    }
    assert samples[("process_cpu_seconds_total", ())] > 0
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert (
        samples[("civicgrid_worker_seconds_count", (("entrypoint", "on_departments_changed"), ("service", "dispatch")))]
        == 1
    )
    assert samples[("civicgrid_store_commands_total", (("command", "ping"), ("service", "dispatch")))] > 0

    dispatch.signal(signal.SIGTERM)
    assert dispatch.wait(GRACE_SECONDS) == 0, dispatch.output()


def _ready_messages(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def test_one_sigterm_finishes_the_messages_in_hand_and_loses_none(processes, process_env, store, db_prefix, tmp_path):
    amqp_uri = process_env["AMQP_URI"]
    client = store.client()
    workload = client[f"{db_prefix}dispatch"]["workload"]
    # waiting in its queue (the deploy step declared it) before the process starts: it takes them as fast as it can
    sent = 3000
    publisher = Publisher(amqp_uri)
    exchange = get_event_exchange("cases", {})
    for n in range(sent):
        publisher.publish(
            to_message(sample_event("case.returned", case_id=f"C-term-{n}")),
            exchange=exchange,
            routing_key="case.returned",
        )
    # one message is held after its commit, before its ack, for 4 s: the SIGTERM comes while it is in hand
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "dispatch.before_ack").write_text("4")
    process_env["CIVICGRID_FAULTS_DIR"] = str(faults)
    dispatch = processes("dispatch")
    wait_for(lambda: "holding at before_ack" in dispatch.output(), timeout=60, message="a message held in hand")

    dispatch.signal(signal.SIGTERM)
    time.sleep(0.3)
    dispatch.signal(signal.SIGTERM)  # nameko run hung here
    started = time.monotonic()
    assert dispatch.wait(GRACE_SECONDS + 5) == 0, dispatch.output()
    assert time.monotonic() - started < GRACE_SECONDS
    assert "SIGTERM again: already stopping" in dispatch.output()

    handled = workload.count_documents({})
    assert handled < sent, "the stop came too late to find messages in hand"
    # Every message handled was acknowledged, the one held too: none of them waits in the queue again.
    assert _ready_messages(amqp_uri, RETURNED_QUEUE) == sent - handled

    processes("dispatch")  # what it left is handled by the next one
    wait_for(lambda: workload.count_documents({}) == sent, timeout=120, message="every message handled")
    client.close()


def test_the_gateway_process_answers_for_itself(processes, process_env):
    process_env["GATEWAY_ADDRESS"] = f"127.0.0.1:{free_port()}"
    gateway = processes("gateway")
    # no service runs: the platform is not ready, but this process is
    wait_for(lambda: gateway.get("/readyz").status_code == 200, timeout=30, message="gateway ready")
    assert gateway.get("/readyz").json()["checks"] == {"running": True, "consuming": True}
    assert gateway.get("/livez").json() == {"status": "ok", "checks": {"event_loop": True, "consumer": True}}
    assert "process_cpu_seconds_total" in gateway.get("/metrics").text
    assert gateway.get("/nothing").status_code == 404
    gateway.signal(signal.SIGTERM)
    assert gateway.wait(GRACE_SECONDS) == 0, gateway.output()
