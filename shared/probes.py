"""A process's own health on ``HEALTH_PORT`` (unset or 0: off), for Kubernetes' probes and Prometheus (ports and
paths: ``deploy/probes.py``, which the manifests are checked against).

- ``GET /livez``: 200 while the process can go on by itself — its event loop is not blocked (a heartbeat
  greenthread ticks every second) and its consuming loop is alive and going round, or retrying a lost broker
  (restarting the process would not bring a broker back). 503 otherwise: restarting it is the cure.
- ``GET /readyz``: 200 while it can take work now — started and not stopping, consuming (connected, every queue
  consumed), its store answering and its copy of the directory's reference data in (services that keep one,
  ``shared.refdata``). 503 while it starts, while any of these is missing and from the moment it begins to stop.
  The gateway's own readiness only; the gateway's public ``/readyz`` is the platform's, for people.
- ``GET /metrics``: this process's metrics (``shared.metrics``), with its CPU time, memory and open files
  (prometheus-client's process collector), in Prometheus' text format.

/livez and /readyz answer JSON: ``{"status": "ok"|"failing", "checks": {name: bool, ...}}``.
"""

import json
import logging
import time

import eventlet
from eventlet import wsgi
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from deploy.probes import LIVENESS_PATH, METRICS_PATH, READINESS_PATH
from shared.bus import queue_consumer_of

_log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
# The heartbeat ticks every second: five without a tick is a loop held by something that never yields.
LOOP_STALL_SECONDS = 5.0
# The consuming loop goes round every second while connected and retries at most every 30 s (kombu) while not.
CONSUMER_STALL_SECONDS = 90.0
# A readiness probe must answer within Kubernetes' timeout; a store that takes longer is not ready.
STORE_TIMEOUT_SECONDS = 2.0


def live_checks(loop_idle: float, consumer: dict | None, stopping: bool = False) -> dict[str, bool]:
    """Liveness from the heartbeat's age and the consuming connection's ``state()`` (None: the process consumes
    nothing)."""
    checks = {"event_loop": loop_idle < LOOP_STALL_SECONDS}
    if consumer is not None:
        # Not started: the process is still starting (waiting for its store or the deploy step), which is the
        # start-up's business, not a reason to restart it. Stopping: its consuming loop ends on purpose, and a
        # restart now would cut short the messages it is finishing.
        checks["consumer"] = (
            stopping
            or not consumer["started"]
            or (
                consumer["alive"]
                and consumer["idle_seconds"] is not None
                and consumer["idle_seconds"] < CONSUMER_STALL_SECONDS
            )
        )
    return checks


def ready_checks(
    *, started: bool, stopping: bool, consumer: dict | None, stores: list[bool], reference: bool | None
) -> dict[str, bool]:
    """Readiness: running and not stopping, consuming, every store answering, the reference data in (None: the
    process keeps none)."""
    checks = {"running": started and not stopping}
    if consumer is not None:
        checks["consuming"] = consumer["alive"] and consumer["consuming"]
    if stores:
        checks["store"] = all(stores)
    if reference is not None:
        checks["reference"] = reference
    return checks


class Heartbeat:
    """A greenthread that notes the time every second: if it falls behind, something holds the event loop."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._last = clock()

    def run(self) -> None:
        while True:
            self._last = self._clock()
            eventlet.sleep(TICK_SECONDS)

    def idle_seconds(self) -> float:
        return self._clock() - self._last


class ProcessProbes:
    """The checks of one process hosting ``container`` (a nameko ``ServiceContainer``)."""

    def __init__(self, container, stopping=lambda: False, heartbeat: Heartbeat | None = None):
        self.container = container
        self.stopping = stopping
        self.heartbeat = heartbeat or Heartbeat()

    def _consumer_state(self) -> dict | None:
        consumer = queue_consumer_of(self.container)
        return None if consumer is None else consumer.state()

    def live(self) -> tuple[bool, dict]:
        checks = live_checks(self.heartbeat.idle_seconds(), self._consumer_state(), self.stopping())
        return all(checks.values()), {"checks": checks}

    def ready(self) -> tuple[bool, dict]:
        from shared.mongo import MongoStore
        from shared.refdata import ReferenceData

        started = bool(self.container.started)
        stores = [d for d in self.container.dependencies if isinstance(d, MongoStore)]
        references = [d for d in self.container.dependencies if isinstance(d, ReferenceData)]
        # A store is asked only once the process runs: before, its client may not exist yet.
        pile = eventlet.GreenPile()
        for store in stores if started else ():
            pile.spawn(store.reachable, STORE_TIMEOUT_SECONDS)
        answers = list(pile) if started else [False] * len(stores)
        held = [r.reference for r in references if hasattr(r, "reference")]
        checks = ready_checks(
            started=started,
            stopping=self.stopping(),
            consumer=self._consumer_state(),
            stores=answers,
            reference=(len(held) == len(references) and all(r.complete() for r in held)) if references else None,
        )
        body = {"checks": checks}
        if held:
            # which revision of each kind this process holds (0: not received yet)
            body["reference"] = {kind: n for r in held for kind, n in r.revisions().items()}
        return all(checks.values()), body


def health_app(probes: ProcessProbes):
    """The WSGI application answering /livez, /readyz and /metrics."""
    checks = {LIVENESS_PATH: probes.live, READINESS_PATH: probes.ready}

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", b'{"error": "METHOD_NOT_ALLOWED"}')
        if path == METRICS_PATH:
            return _answer(start_response, "200 OK", generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        if path not in checks:
            return _answer(start_response, "404 Not Found", b'{"error": "NOT_FOUND"}')
        try:
            ok, body = checks[path]()
        except Exception:  # noqa: BLE001 - a check that fails to run is a failing check, and must say so
            _log.exception("the %s check failed to run", path)
            ok, body = False, {"checks": {}, "error": "the check failed to run; see the process's log"}
        body = {"status": "ok" if ok else "failing", **body}
        return _answer(start_response, "200 OK" if ok else "503 Service Unavailable", json.dumps(body).encode())

    return app


def _answer(start_response, status: str, body: bytes, content_type: str = "application/json"):
    start_response(
        status, [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")]
    )
    return [body]


def serve_health(probes: ProcessProbes, port: int, host: str = "0.0.0.0") -> int:
    """Listen on ``host:port`` and start the heartbeat; returns the port (``0``: a free one, for tests)."""
    sock = eventlet.listen((host, port))
    eventlet.spawn(probes.heartbeat.run)
    eventlet.spawn(wsgi.server, sock, health_app(probes), log_output=False, keepalive=False)
    return sock.getsockname()[1]
