"""Consuming events: acknowledged after the work, retried when it fails, dead letters visible."""

import json

import pytest
from kombu import Connection, Queue
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from shared.deadletters import DeadLetterBox
from shared.events import to_message
from shared.messaging import consume
from shared.topology import REDELIVERY_LIMIT
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
        producer.publish(
            b"\x00garbage",
            exchange=get_event_exchange("cases", {}),
            routing_key="case.registered",
            content_type="application/json",
            content_encoding="binary",
        )
    publish(amqp_uri, to_message(sample_event("case.registered", case_id="ok-2")))
    wait_for(lambda: CALLS.get("ok-2") == 1, timeout=10, message="next message handled")
    json.dumps(CALLS)


@pytest.fixture
def patient_probe(container_factory, service_config):
    """A probe whose back-off climbs to 6.4 s: 0.1, 0.2, 0.4 … 6.4."""
    CALLS.clear()
    container = container_factory(Probe, {**service_config, "EVENT_MAX_ATTEMPTS": 20, "EVENT_RETRY_MAX_SECONDS": 6.4})
    container.start()
    return container


def test_a_short_retry_never_waits_behind_a_long_one(patient_probe, amqp_uri):
    publish(amqp_uri, to_message(sample_event("case.registered", case_id="always-slow")))
    wait_for(lambda: CALLS.get("always-slow", 0) >= 7, timeout=30, message="the slow one waiting 6.4 s")
    attempts_of_slow = CALLS["always-slow"]

    publish(amqp_uri, to_message(sample_event("case.registered", case_id="fail-twice-quick")))

    wait_for(lambda: CALLS.get("fail-twice-quick") == 3, timeout=20, message="the quick one's third attempt")
    assert CALLS["always-slow"] == attempts_of_slow, "the quick retries went first, not behind the slow one"


def test_event_queues_and_retries_are_quorum_queues_that_dead_letter_at_least_once(probe, rabbit_admin, vhost):
    queues = rabbit_admin.queues(vhost)
    event_queue = queues["evt-cases-case.registered--probe.on_registered"]
    assert event_queue["type"] == "quorum"
    assert event_queue["arguments"]["x-dead-letter-strategy"] == "at-least-once"
    assert event_queue["arguments"]["x-delivery-limit"] == REDELIVERY_LIMIT
    delays = {name: q for name, q in queues.items() if name.startswith("civicgrid.retry.")}
    assert {q["arguments"]["x-message-ttl"] for q in delays.values()} == {100, 200, 400, 500}
    assert {q["type"] for q in delays.values()} == {"quorum"}
    assert {q["arguments"]["x-dead-letter-strategy"] for q in delays.values()} == {"at-least-once"}
    assert queues["probe.dead-letters"]["type"] == "quorum"


def test_a_message_its_consumers_keep_dying_on_is_parked_by_the_broker_and_can_be_replayed(probe, amqp_uri):
    probe.stop()  # its consumer would take the message; here a consumer "dies" holding it, again and again
    event = sample_event("case.registered", case_id="ok-killer")
    publish(amqp_uri, to_message(event))
    queue = Queue("evt-cases-case.registered--probe.on_registered")
    with Connection(amqp_uri) as connection:
        bound = queue.bind(connection.channel())
        for _ in range(REDELIVERY_LIMIT + 1):
            message = wait_for(lambda: bound.get(no_ack=False), timeout=10, message="delivered again")
            message.requeue()

    box = DeadLetterBox(amqp_uri, "probe")
    (letter,) = wait_for(box.browse, timeout=10, message="parked by the broker")
    assert letter["event_id"] == event.event_id
    assert letter["queue"] == queue.name
    assert f"{REDELIVERY_LIMIT} times" in letter["error"]

    box.replay(letter["message_id"])
    with Connection(amqp_uri) as connection:
        again = wait_for(lambda: queue.bind(connection.channel()).get(no_ack=True), timeout=10, message="replayed")
    assert json.loads(again.body)["event_id"] == event.event_id
