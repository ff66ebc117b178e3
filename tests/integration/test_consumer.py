"""Consuming events: acknowledged after the work, retried when it fails, dead letters visible."""

import json

import pytest
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from shared.deadletters import DeadLetterBox
from shared.events import to_message
from shared.messaging import consume
from tests.support.infra import wait_for
from tests.support.samples import sample_event

CALLS: dict[str, int] = {}


class Probe:
    name = "probe"

    @consume("cases", "case.registered")
    def on_registered(self, event):
        case_id = event.payload["case_id"]
        CALLS[case_id] = CALLS.get(case_id, 0) + 1
        if case_id.startswith("fail-twice") and CALLS[case_id] <= 2:
            raise RuntimeError("not yet")
        if case_id.startswith("always"):
            raise RuntimeError(f"cannot handle {case_id}")


@pytest.fixture
def probe(container_factory, service_config):
    CALLS.clear()
    container = container_factory(Probe, service_config)
    container.start()
    return container


def publish(amqp_uri, body):
    Publisher(amqp_uri).publish(body, exchange=get_event_exchange("cases", {}), routing_key="case.registered")


def test_a_handled_event_is_acknowledged_once(probe, amqp_uri, rabbit_admin, vhost):
    publish(amqp_uri, to_message(sample_event("case.registered", case_id="ok-1")))
    wait_for(lambda: CALLS.get("ok-1") == 1, message="handled")
    queue = "evt-cases-case.registered--probe.on_registered"
    wait_for(lambda: rabbit_admin.queues(vhost)[queue].get("messages", 1) == 0, timeout=15, message="acked")
    assert CALLS["ok-1"] == 1


def test_a_failing_handler_is_retried_until_it_succeeds(probe, amqp_uri):
    publish(amqp_uri, to_message(sample_event("case.registered", case_id="fail-twice-1")))
    wait_for(lambda: CALLS.get("fail-twice-1") == 3, timeout=10, message="third attempt")
    assert DeadLetterBox(amqp_uri, "probe").browse() == []


def test_a_message_that_keeps_failing_is_dead_lettered_with_its_error(probe, amqp_uri):
    event = sample_event("case.registered", case_id="always-1")
    publish(amqp_uri, to_message(event))
    box = DeadLetterBox(amqp_uri, "probe")
    (letter,) = wait_for(box.browse, timeout=10, message="dead letter")
    assert CALLS["always-1"] == 3  # EVENT_MAX_ATTEMPTS in the test config
    assert letter["event_id"] == event.event_id
    assert "cannot handle always-1" in letter["error"]
    assert letter["queue"] == "evt-cases-case.registered--probe.on_registered"
    assert box.browse() != [], "browsing must not consume"


def test_a_broken_message_is_dead_lettered_at_once(probe, amqp_uri):
    publish(amqp_uri, {"type": "case.registered", "payload": {}})
    box = DeadLetterBox(amqp_uri, "probe")
    (letter,) = wait_for(box.browse, timeout=10, message="dead letter")
    assert letter["error"].startswith("InvalidEvent")
    assert CALLS == {}


def test_a_replayed_dead_letter_is_handled_again(probe, amqp_uri):
    publish(amqp_uri, to_message(sample_event("case.registered", case_id="always-2")))
    box = DeadLetterBox(amqp_uri, "probe")
    (letter,) = wait_for(box.browse, timeout=10, message="dead letter")
    box.replay(letter["message_id"])
    wait_for(lambda: CALLS["always-2"] >= 4, timeout=10, message="replayed attempt")


def test_non_json_garbage_does_not_kill_the_consumer(probe, amqp_uri):
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        producer.publish(b"\x00garbage", exchange=get_event_exchange("cases", {}), routing_key="case.registered",
                         content_type="application/json", content_encoding="binary")
    publish(amqp_uri, to_message(sample_event("case.registered", case_id="ok-2")))
    wait_for(lambda: CALLS.get("ok-2") == 1, timeout=10, message="next message handled")
    json.dumps(CALLS)
