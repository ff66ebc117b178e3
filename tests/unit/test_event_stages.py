"""shared/events/stages.py: an event as the stages it stands for, the one expansion every consumer takes."""

from shared.events import from_message, to_message
from shared.events.stages import stages
from tests.support.samples import BORN_REPORT, NOW, REGISTRATION, sample_event


def test_a_case_born_dispatched_is_its_report_its_registration_and_its_dispatch_in_that_order():
    event = sample_event("case.dispatched", version=2, registration=REGISTRATION, report=BORN_REPORT)
    reported, registered, dispatched = stages(event)
    assert [s.event_id for s in (reported, registered, dispatched)] == [
        f"{event.event_id}:reported",
        f"{event.event_id}:registered",
        event.event_id,
    ]
    assert dispatched is event
    assert (reported.type, reported.occurred_at, reported.actor) == ("case.reported", NOW, BORN_REPORT["actor"])
    p = reported.payload
    assert (p["status"], p["version"], p["department"], p["assisting_departments"], p["deadline"]) == (
        "reported",
        1,
        None,
        [],
        None,
    )
    assert (p["stage"], p["stage_deadline"], p["report_id"], p["handled_on_spot"]) == ("dispatch", NOW, "R1", False)
    assert (p["grid"], p["reporters"], p["category"]) == (event.payload["grid"], ["officer-1"], "sanitation")
    assert "report" not in p and "registration" not in p and "decided_by" not in p
    assert (registered.type, registered.payload["registered_by"], registered.payload["version"]) == (
        "case.registered",
        "system",
        2,
    )
    # what goes to a webhook is the stage's own payload, not the event's
    assert reported.wire_payload is None and registered.wire_payload is None
    assert to_message(reported)["payload"]["status"] == "reported"


def test_a_redelivered_event_unfolds_into_the_same_ids():
    event = sample_event("case.dispatched", registration=REGISTRATION, report=BORN_REPORT)
    first, again = from_message(to_message(event)), from_message(to_message(event))
    assert [s.event_id for s in stages(again)] == [s.event_id for s in stages(event)]
    assert [s.payload for s in stages(again)] == [s.payload for s in stages(first)]


def test_a_dispatch_that_only_registered_the_case_is_two_stages_and_every_other_event_one():
    routed = sample_event("case.dispatched", registration=REGISTRATION)
    assert [s.type for s in stages(routed)] == ["case.registered", "case.dispatched"]
    for event in (sample_event("case.dispatched"), sample_event("case.reported"), sample_event("case.closed")):
        assert stages(event) == [event]
