"""The recipient rules, event by event: who hears, on which channels."""

import pytest

from services.notifications.domain import audiences, rules
from shared.events.catalogue import all_contracts
from tests.support.notify import reference
from tests.support.samples import sample_event

REFERENCE = reference()
PEOPLE = audiences.people_of(REFERENCE)
OFFICER_GRID = "610102001001001"  # officer-1, leader-610102001001


def told(event, subscriptions=(), preferences=None, webhooks=frozenset()):
    addressed = audiences.address(event, PEOPLE, list(subscriptions))
    chosen = audiences.choose_channels(addressed, event.type, preferences or {}, set(webhooks))
    return {a.recipient.key: sorted(a.channels) for a in chosen}


def sub(user_id, kind, target):
    return {"user_id": user_id, "kind": kind, "target": target, "key": f"{kind}:{target}"}


def test_every_case_event_has_rules_and_nothing_else_does():
    case_events = {t for t, (_, _, producer) in all_contracts().items() if producer == "cases"}
    assert set(rules.RULES) == case_events


def test_a_new_report_reaches_every_operator():
    assert told(sample_event("case.reported")) == {"user:operator1": ["inbox"]}


def test_a_dispatched_case_reaches_the_department_its_handlers_and_its_head():
    found = told(sample_event("case.dispatched"), webhooks={"sanitation"})
    assert found == {
        "department:sanitation": ["inbox", "webhook"],
        "department:urban_management": ["inbox"],  # assisting, no endpoint set up
        "user:handler-sanitation-1": ["email", "inbox"],
        "user:head-sanitation": ["email", "inbox"],
    }


def test_a_resolved_case_asks_the_grids_officers_and_leader_to_verify():
    found = told(sample_event("case.resolved", grid=OFFICER_GRID))
    assert found == {"user:officer-1": ["inbox", "sms"], "user:leader-610102001001": ["inbox"]}


def test_a_closed_case_tells_its_reporters():
    assert told(sample_event("case.closed", reporters=["officer-3"])) == {"user:officer-3": ["email", "inbox"]}


@pytest.mark.parametrize(
    "event_type", ["case.rejected", "case.registered", "case.accepted", "case.merged", "case.cancelled"]
)
def test_reporters_follow_their_own_reports(event_type):
    assert "user:officer-3" in told(sample_event(event_type, reporters=["officer-3"]))


def test_extension_requests_go_to_supervision_and_the_answer_to_the_department():
    assert told(sample_event("case.extension_requested")) == {"user:supervisor": ["email", "inbox"]}
    assert told(sample_event("case.extension_denied")) == {"user:handler-sanitation-1": ["inbox"]}


def test_returned_and_verified_cases_go_back_to_the_command_centre():
    assert set(told(sample_event("case.returned"))) == {"user:operator1"}
    assert set(told(sample_event("case.verified"))) == {"user:operator1"}


def test_followers_hear_of_everything_that_happens_to_their_case():
    follower = [sub("operator1", "case", "C1")]
    assert told(sample_event("case.commented"), follower) == {"user:operator1": ["inbox"]}
    assert "user:operator1" in told(sample_event("case.accepted"), follower)


def test_watchers_hear_of_new_and_closed_cases_in_their_place_or_category():
    watchers = [sub("handler-sanitation-1", "category", "sanitation"), sub("supervisor", "grid", OFFICER_GRID)]
    assert "user:supervisor" in told(sample_event("case.reported"), watchers)
    assert {"user:handler-sanitation-1", "user:supervisor"} <= set(told(sample_event("case.closed"), watchers))
    assert "user:supervisor" not in told(sample_event("case.accepted"), watchers)
    # a new case has no department yet: its handlers cannot see it, so they are not told
    assert "user:handler-sanitation-1" not in told(sample_event("case.reported"), watchers)


def test_a_subscription_grants_no_sight_of_other_peoples_cases():
    # the municipal handler watches the grid, but the case is sanitation's
    watchers = [sub("handler-municipal-1", "grid", OFFICER_GRID)]
    assert "user:handler-municipal-1" not in told(sample_event("case.reported", grid=OFFICER_GRID), watchers)


def test_nobody_is_told_of_their_own_action():
    event = sample_event("case.commented")
    event = type(event)(**{**event.__dict__, "actor": {"user_id": "operator1", "role": "operator"}})
    assert told(event, [sub("operator1", "case", "C1")]) == {}


def test_someone_who_is_named_twice_is_told_once_on_every_channel_of_both_rows():
    assert told(sample_event("case.dispatched"), [sub("head-sanitation", "case", "C1")])["user:head-sanitation"] == [
        "email",
        "inbox",
    ]


def test_people_choose_their_channels_per_kind_of_notification():
    found = told(
        sample_event("case.dispatched"),
        preferences={"handler-sanitation-1": {"case.dispatched": ["sms"]}, "head-sanitation": {"case.dispatched": []}},
    )
    assert found["user:handler-sanitation-1"] == ["sms"]
    assert "user:head-sanitation" not in found  # silenced


def test_inactive_people_and_unknown_departments_are_left_out():
    from tests.service.fakes import reference_with
    from tests.support.notify import reference_data

    data = reference_data()
    data["users"]["items"] = [{**u, "active": u["user_id"] != "head-sanitation"} for u in data["users"]["items"]]
    people = audiences.people_of(reference_with(**data))
    found = audiences.address(sample_event("case.dispatched", assisting_departments=["nowhere"]), people, [])
    assert {a.recipient.key for a in found} == {"department:sanitation", "user:handler-sanitation-1"}


@pytest.mark.parametrize(
    "targets, stage, expected",
    [
        ([{"kind": "responsible"}], "disposal", {"user:handler-sanitation-1"}),
        ([{"kind": "responsible_head"}], "disposal", {"user:head-sanitation"}),
        ([{"kind": "responsible"}], "verification", {"user:officer-1"}),
        ([{"kind": "responsible_head"}], "verification", {"user:leader-610102001001"}),
        ([{"kind": "responsible"}], "dispatch", {"user:operator1"}),
        ([{"kind": "command_centre"}], "disposal", {"user:operator1"}),
        ([{"kind": "supervisor"}], "disposal", {"user:supervisor"}),
        ([{"kind": "person", "user_id": "officer-3"}], "disposal", {"user:officer-3"}),
        (
            [{"kind": "grid_officers"}, {"kind": "grid_leader"}],
            "disposal",
            {"user:officer-1", "user:leader-610102001001"},
        ),
        ([{"kind": "department_handlers"}], "verification", {"user:handler-sanitation-1"}),
    ],
)
def test_a_fired_escalation_rung_reaches_whom_it_names(targets, stage, expected):
    event = sample_event("case.escalated", targets=targets, stage=stage, grid=OFFICER_GRID)
    assert set(told(event)) == expected


def test_a_department_head_hears_when_the_department_runs_late_by_inbox_and_email():
    event = sample_event("case.escalated", targets=[{"kind": "responsible_head"}], stage="disposal")
    assert told(event) == {"user:head-sanitation": ["email", "inbox"]}


def test_a_rung_naming_the_departments_systems_goes_to_its_webhook():
    event = sample_event("case.escalated", targets=[{"kind": "webhook"}], stage="disposal")
    assert told(event, webhooks={"sanitation"}) == {"department:sanitation": ["inbox", "webhook"]}


def test_the_shared_inboxes_a_person_reads_follow_their_roles_and_department_now():
    from shared.auth import Identity

    def read(roles, department=None):
        return audiences.shared_inboxes_of(Identity("u1", frozenset(roles), department=department))

    assert read({"operator"}) == ("command_centre",)
    assert read({"handler"}, "sanitation") == ("department_handlers:sanitation",)
    assert read({"handler"}, "municipal") == ("department_handlers:municipal",)  # moved: the new one's only
    assert read({"handler"}) == ()  # a handler of no department reads no department's
    assert read({"department_head"}, "sanitation") == ()  # a head keeps entries of their own
    assert read({"operator", "handler"}, "sanitation") == ("command_centre", "department_handlers:sanitation")


def test_an_event_naming_the_handlers_names_their_departments_shared_inbox_with_its_handlers_then():
    people = audiences.people_of(reference())
    (shared,) = audiences.shared_named(sample_event("case.dispatched"), people)
    assert (shared.audience, shared.via, shared.members) == (
        "department_handlers:sanitation",
        frozenset({rules.HANDLERS}),
        frozenset({"handler-sanitation-1"}),
    )
    escalated = sample_event("case.escalated", stage="sign_for", targets=[{"kind": "responsible"}])
    assert [s.audience for s in audiences.shared_named(escalated, people)] == ["department_handlers:sanitation"]
    assert audiences.shared_named(sample_event("case.returned"), people)[0].audience == "command_centre"
    assert audiences.shared_named(sample_event("case.extension_requested"), people) == []
