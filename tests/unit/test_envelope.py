import uuid

import pytest

from shared.events import InvalidEvent, from_message, new_event, to_message
from shared.events.catalogue import all_contracts
from tests.support.samples import NOW, PAYLOADS, PRODUCERS, sample_event


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_every_sample_survives_the_wire(event_type):
    event = sample_event(event_type)
    received = from_message(to_message(event))
    assert received.event_id == event.event_id
    assert received.type == event_type
    assert received.correlation_id == "X1"
    assert received.occurred_at == NOW


def test_every_contract_has_a_sample():
    assert set(all_contracts()) == set(PAYLOADS) == set(PRODUCERS)


def test_envelope_carries_the_required_fields():
    message = to_message(sample_event("case.registered"))
    assert set(message) >= {"event_id", "type", "version", "occurred_at", "producer", "correlation_id", "payload"}
    uuid.UUID(message["event_id"])
    assert message["occurred_at"].endswith("+00:00")


def test_a_service_cannot_publish_another_services_event():
    with pytest.raises(ValueError, match="producer is cases"):
        new_event(
            "case.registered", PAYLOADS["case.registered"], producer="dispatch", occurred_at=NOW, correlation_id="X"
        )


def test_a_payload_that_breaks_its_contract_is_a_bug_at_the_producer():
    broken = {k: v for k, v in PAYLOADS["case.registered"].items() if k != "category"}
    with pytest.raises(ValueError, match="category"):
        new_event("case.registered", broken, producer="cases", occurred_at=NOW, correlation_id="X")


def test_consumers_ignore_fields_they_do_not_know():
    message = to_message(sample_event("routing.decided"))
    message["payload"]["added_later"] = 1
    message["something_new"] = True
    assert "added_later" not in from_message(message).payload


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda m: m.pop("event_id"), "invalid event envelope"),
        (lambda m: m.update(type="Case Registered"), "invalid event envelope"),
        (lambda m: m.update(type="case.vanished"), "unknown event type"),
        (lambda m: m.update(producer="dispatch"), "not the producer"),
        (lambda m: m["payload"].pop("case_id"), "invalid payload"),
        (lambda m: m.update(occurred_at="2026-11-23T09:00:00"), "invalid event envelope"),
    ],
)
def test_broken_messages_are_refused_with_the_reason(mutate, reason):
    message = to_message(sample_event("case.registered"))
    mutate(message)
    with pytest.raises(InvalidEvent, match=reason):
        from_message(message)


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidEvent):
        from_message(["not", "an", "event"])


def test_a_dispatch_carries_the_registration_a_rule_made_with_it_over_the_wire():
    from tests.support.samples import REGISTRATION

    received = from_message(to_message(sample_event("case.dispatched", registration=REGISTRATION)))
    assert received.payload["registration"] == REGISTRATION
    assert from_message(to_message(sample_event("case.dispatched"))).payload["registration"] is None


def test_a_dispatch_carries_the_report_of_a_case_born_dispatched_over_the_wire():
    from tests.support.samples import BORN_REPORT, REGISTRATION

    received = from_message(to_message(sample_event("case.dispatched", registration=REGISTRATION, report=BORN_REPORT)))
    assert received.payload["report"] == BORN_REPORT
    assert from_message(to_message(sample_event("case.dispatched"))).payload["report"] is None
