"""What a process's probes conclude from what it knows of itself, and how it takes a SIGTERM."""

import json
import signal

import eventlet

from deploy.run import Shutdown
from shared.bus import ClusterQueueConsumer
from shared.probes import (
    CONSUMER_STALL_SECONDS,
    LOOP_STALL_SECONDS,
    Heartbeat,
    health_app,
    live_checks,
    ready_checks,
)

CONSUMING = {"started": True, "alive": True, "consuming": True, "idle_seconds": 0.5}


def test_a_process_is_live_while_its_loop_ticks_and_its_consumer_goes_round():
    assert live_checks(0.2, CONSUMING) == {"event_loop": True, "consumer": True}
    assert live_checks(0.2, None) == {"event_loop": True}


def test_a_blocked_event_loop_fails_liveness():
    assert live_checks(LOOP_STALL_SECONDS + 1, CONSUMING)["event_loop"] is False


def test_a_dead_or_stuck_consuming_loop_fails_liveness():
    assert live_checks(0.2, {**CONSUMING, "alive": False})["consumer"] is False
    assert live_checks(0.2, {**CONSUMING, "idle_seconds": CONSUMER_STALL_SECONDS + 1})["consumer"] is False


def test_a_stopping_process_whose_consuming_loop_has_ended_is_still_alive():
    assert live_checks(0.2, {**CONSUMING, "alive": False}, stopping=True) == {"event_loop": True, "consumer": True}
    assert live_checks(LOOP_STALL_SECONDS + 1, CONSUMING, stopping=True)["event_loop"] is False


def test_a_consumer_retrying_a_lost_broker_is_alive_and_a_starting_one_too():
    # reconnecting: not consuming, but its loop retries, which counts as progress
    assert live_checks(0.2, {**CONSUMING, "consuming": False, "idle_seconds": 20})["consumer"] is True
    assert live_checks(0.2, {"started": False, "alive": False, "consuming": False, "idle_seconds": None}) == {
        "event_loop": True,
        "consumer": True,
    }


def test_ready_needs_running_consuming_store_and_reference():
    ready = {"started": True, "stopping": False, "consumer": CONSUMING, "stores": [True], "reference": True}
    assert ready_checks(**ready) == {"running": True, "consuming": True, "store": True, "reference": True}
    assert ready_checks(**{**ready, "started": False})["running"] is False
    assert ready_checks(**{**ready, "stopping": True})["running"] is False
    assert ready_checks(**{**ready, "consumer": {**CONSUMING, "consuming": False}})["consuming"] is False
    assert ready_checks(**{**ready, "stores": [True, False]})["store"] is False
    assert ready_checks(**{**ready, "reference": False})["reference"] is False


def test_the_gateway_is_ready_on_its_own_checks_alone():
    assert ready_checks(started=True, stopping=False, consumer=CONSUMING, stores=[], reference=None) == {
        "running": True,
        "consuming": True,
    }


def test_the_heartbeat_measures_the_time_since_its_last_tick():
    now = [100.0]
    beat = Heartbeat(clock=lambda: now[0])
    now[0] = 103.5
    assert beat.idle_seconds() == 3.5


class _Probes:
    def __init__(self, live, ready):
        self._live, self._ready = live, ready

    def live(self):
        return self._live, {"checks": {"event_loop": self._live}}

    def ready(self):
        if self._ready is None:
            raise RuntimeError("broken check")
        return self._ready, {"checks": {"store": self._ready}}


def _call(app, path, method="GET"):
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method}, start_response))
    return answer["status"], answer["headers"], body


def test_the_endpoints_answer_200_or_503_with_their_checks():
    status, headers, body = _call(health_app(_Probes(True, False)), "/livez")
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "checks": {"event_loop": True}}
    status, _, body = _call(health_app(_Probes(True, False)), "/readyz")
    assert status.startswith("503") and json.loads(body) == {"status": "failing", "checks": {"store": False}}


def test_a_check_that_cannot_run_fails_and_says_so():
    status, _, body = _call(health_app(_Probes(True, None)), "/readyz")
    assert status.startswith("503") and json.loads(body)["status"] == "failing"


def test_metrics_are_prometheus_text_and_other_paths_are_not_found():
    status, headers, body = _call(health_app(_Probes(True, True)), "/metrics")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/plain")
    assert b"process_cpu_seconds_total" in body
    assert _call(health_app(_Probes(True, True)), "/healthz")[0].startswith("404")
    assert _call(health_app(_Probes(True, True)), "/livez", "POST")[0].startswith("405")


class _Runner:
    def __init__(self):
        self.stops = 0
        self.containers = {"dispatch": object()}

    def stop(self):
        self.stops += 1
        eventlet.sleep(0.05)


def test_a_second_sigterm_while_stopping_stops_nothing_twice():
    runner = _Runner()
    shutdown = Shutdown(runner, grace=5)
    shutdown.started.send(True)
    shutdown.on_signal(signal.SIGTERM, None)
    shutdown.on_signal(signal.SIGTERM, None)
    eventlet.sleep(0.2)
    shutdown.on_signal(signal.SIGTERM, None)
    eventlet.sleep(0.1)
    assert runner.stops == 1 and shutdown.requested and not shutdown.killed


def test_the_consuming_connection_outlives_the_cancelled_consumers_until_the_workers_are_done():
    consumer = ClusterQueueConsumer()
    consumer.should_stop = False
    consumer.on_iteration()  # every consumer cancelled, workers still finishing: their acks need the connection
    assert consumer.should_stop is False
    consumer._workers_done = True
    consumer.on_iteration()
    assert consumer.should_stop is True
