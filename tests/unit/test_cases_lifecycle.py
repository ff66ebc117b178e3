"""Every row of the closed loop's table: who may take each action, from which states, to what."""

import uuid
from datetime import timedelta

import pytest

from services.cases import domain
from services.cases.domain.actions import ACTIONS, Context, When, absorb, check_state
from services.cases.domain.escalation import DEFAULT_POLICY
from services.cases.domain.model import after, facts
from shared.auth import Identity
from shared.errors import Forbidden, Unprocessable, WrongState
from shared.events import Event
from shared.events.contracts.cases import CASE_FACTS
from shared.workcalendar import WorkCalendar
from tests.support import district
from tests.support.ids import counting
from tests.support.samples import CATEGORIES, NOW, sample_event

GRID = "610102001001001"
OPERATOR = Identity("op", frozenset({"operator"}), "调度员")
SUPERVISOR = Identity("sup", frozenset({"supervisor"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
HEAD = Identity("head", frozenset({"department_head"}), department="sanitation")
OTHER_HANDLER = Identity("h2", frozenset({"handler"}), department="municipal")
OFFICER = Identity("o", frozenset({"grid_officer"}), grids=frozenset({GRID}))
LEADER = Identity("l", frozenset({"grid_leader"}), grids=frozenset({GRID, "610102001001002"}))
OTHER_OFFICER = Identity("o2", frozenset({"grid_officer"}), grids=frozenset({"610102001001002"}))
ADMIN = Identity("a", frozenset({"admin"}))
DEPARTMENTS = {d["code"]: d for d in district.DEPARTMENTS}
PHOTO = "F" + "0" * 26
CALENDAR = WorkCalendar()
POLICY = {**DEFAULT_POLICY, "version": 1}


def case_in(status="reported", **extra):
    case, _ = domain.open_case(
        sample_event("incident.reported"),
        rules=[],
        category=CATEGORIES["sanitation"],
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    with_department = status in {"dispatched", "accepted", "resolved", "verified", "closed"}
    timed = {"dispatched": "sign_for", "accepted": "disposal", "resolved": "verification"}.get(status)
    clock = (
        {
            "stage": timed,
            "stage_started_at": NOW,
            "stage_limit_s": 24 * 3600.0,
            "stage_deadline": NOW + timedelta(hours=24),
        }
        if timed
        else {}
    )
    return {
        **case,
        "status": status,
        "department": "sanitation" if with_department else None,
        "deadline": NOW + timedelta(hours=24) if with_department else None,
        "dispatched_at": NOW,
        "closed_at": NOW if status == "closed" else None,
        **clock,
        **extra,
    }


def act(case, action, params, identity, now=NOW, **ctx):
    """What the service does: who, then state, then the change — returns the case after."""
    actor = domain.authorize(action, identity, case)
    context = Context(
        actor=actor,
        now=now,
        categories=CATEGORIES,
        departments=DEPARTMENTS,
        calendar=CALENDAR,
        policy=POLICY,
        **{"ids": counting(), **ctx},
    )
    check_state(action, case, When(now, context.reopen_window))
    spec = ACTIONS[action]
    change = spec.apply(case, _loaded(spec, params), context)
    return after(case, change.set_fields, change.history), change, context


def _loaded(spec, params):
    """``params`` as the service loads them, what they leave out filled in as little as the schema takes."""
    return spec.schema.load({**{k: v for k, v in _MINIMAL.items() if k in spec.schema.fields}, **params})


_MINIMAL = {
    "reason": "because",
    "note": "done",
    "text": "hello",
    "hours": 24,
    "passed": True,
    "department": "sanitation",
    "target_case_id": "C" + "1" * 26,
}

EXTENSION = {"status": "pending", "hours": 24, "reason": "crane", "requested_by": {}, "requested_at": NOW}

# action, the state it starts from (and fields), params, who may, who may not, the status after
TABLE = [
    ("register", "reported", {}, {}, OPERATOR, OFFICER, "registered"),
    ("reject", "reported", {}, {"reason": "not a problem"}, OPERATOR, OFFICER, "rejected"),
    ("dispatch", "registered", {}, {"department": "sanitation"}, OPERATOR, SUPERVISOR, "dispatched"),
    ("accept", "dispatched", {}, {}, HANDLER, OPERATOR, "accepted"),
    ("return", "dispatched", {}, {"reason": "not ours"}, HANDLER, OFFICER, "registered"),
    ("request_extension", "accepted", {}, {"reason": "crane", "hours": 24}, HEAD, OPERATOR, "accepted"),
    ("approve_extension", "accepted", {"extension": EXTENSION}, {}, SUPERVISOR, OPERATOR, "accepted"),
    ("deny_extension", "accepted", {"extension": EXTENSION}, {}, SUPERVISOR, HANDLER, "accepted"),
    ("suspend", "dispatched", {}, {"reason": "owner away"}, OPERATOR, HANDLER, "dispatched"),
    ("resume", "dispatched", {"suspended": True, "suspended_at": NOW}, {}, SUPERVISOR, HANDLER, "dispatched"),
    ("supervise", "accepted", {}, {"note": "finish by Friday"}, OPERATOR, HEAD, "accepted"),
    ("resolve", "accepted", {}, {"note": "cleared", "attachments": [PHOTO]}, HANDLER, OPERATOR, "resolved"),
    ("verify", "resolved", {}, {"passed": True, "note": "fine"}, OFFICER, OPERATOR, "verified"),
    ("close", "verified", {}, {}, OPERATOR, SUPERVISOR, "closed"),
    ("reopen", "closed", {}, {"reason": "dirty again"}, LEADER, HANDLER, "dispatched"),
    ("cancel", "registered", {}, {"reason": "prank call"}, SUPERVISOR, OFFICER, "cancelled"),
    ("comment", "dispatched", {}, {"text": "on my way"}, HANDLER, OTHER_OFFICER, "dispatched"),
]


def test_every_action_has_a_row():
    assert {row[0] for row in TABLE} | {"merge"} == set(ACTIONS)


@pytest.mark.parametrize("action, status, fields, params, who, _, to", TABLE, ids=[r[0] for r in TABLE])
def test_the_right_person_takes_the_action(action, status, fields, params, who, _, to):
    case, change, _ctx = act(case_in(status, **fields), action, params, who)
    assert case["status"] == to
    assert case["version"] == 2
    (entry,) = change.history
    assert (entry["action"], entry["from_status"], entry["to_status"]) == (action, status, to)
    assert entry["actor"]["user_id"] == who.user_id
    assert entry["correlation_id"] == case["correlation_id"]
    (event,) = change.events
    assert event.type.startswith("case.")
    assert event.payload["version"] == 2 and event.payload["status"] == to


@pytest.mark.parametrize("action, status, fields, params, _, who, __", TABLE, ids=[r[0] for r in TABLE])
def test_anyone_else_is_refused_with_a_reason(action, status, fields, params, _, who, __):
    with pytest.raises(Forbidden) as refused:
        act(case_in(status, **fields), action, params, who)
    assert "Only" in refused.value.message or "may not see" in refused.value.message


@pytest.mark.parametrize("action", sorted(set(ACTIONS) - {"comment"}))  # a remark fits any state
def test_an_action_in_the_wrong_state_is_a_conflict_saying_which_states_fit(action):
    wrong = next(s for s in ("cancelled", "closed", "reported") if s not in ACTIONS[action].states)
    with pytest.raises(WrongState) as refused:
        check_state(action, case_in(wrong), When(NOW))
    assert wrong in refused.value.message


def test_a_failed_check_sends_the_case_back_and_counts_the_rework():
    case = case_in("resolved")
    for expected in (1, 2):
        case, change, _ = act(case, "verify", {"passed": False, "note": "still dirty"}, OFFICER)
        assert (case["status"], case["rework_count"]) == ("dispatched", expected)
        assert change.events[0].type == "case.reworked"
        case = {**case, "status": "resolved"}


def test_dispatch_needs_a_department_that_exists():
    with pytest.raises(Unprocessable, match="Unknown department"):
        act(case_in("registered"), "dispatch", {"department": "nasa"}, OPERATOR)


def test_register_may_correct_category_and_priority():
    case, change, _ = act(case_in("reported"), "register", {"category": "drainage"}, OPERATOR)
    assert (case["category"], case["priority"]) == ("drainage", "high")
    case, _, _ = act(case_in("reported"), "register", {"priority": "urgent"}, OPERATOR)
    assert (case["category"], case["priority"], case["priority_rank"]) == ("sanitation", "urgent", 0)


def test_a_returned_case_is_back_in_the_operator_queue_without_a_department():
    case, change, _ = act(case_in("accepted"), "return", {"reason": "police matter"}, HANDLER)
    assert (case["status"], case["department"], case["returned"], case["returned_by"]) == (
        "registered",
        None,
        True,
        "sanitation",
    )


def test_only_one_extension_may_wait_at_a_time():
    with pytest.raises(WrongState, match="already waiting"):
        act(case_in("accepted", extension=EXTENSION), "request_extension", {"reason": "x", "hours": 4}, HANDLER)


def test_the_deadline_moves_only_on_approval():
    start = case_in("accepted", extension=EXTENSION)
    approved, _, _ = act(start, "approve_extension", {}, SUPERVISOR)
    denied, _, _ = act(start, "deny_extension", {}, SUPERVISOR)
    assert approved["deadline"] == start["deadline"] + timedelta(hours=24)
    assert denied["deadline"] == start["deadline"]


def test_suspension_stops_the_clock():
    suspended, _, _ = act(case_in("dispatched"), "suspend", {"reason": "owner away"}, OPERATOR)
    resumed, change, _ = act(suspended, "resume", {}, OPERATOR, now=NOW + timedelta(hours=3))
    assert resumed["deadline"] == suspended["deadline"] + timedelta(hours=3)
    assert change.events[0].payload["paused_seconds"] == 3 * 3600


def test_a_suspended_case_takes_no_step_but_resume():
    with pytest.raises(WrongState, match="suspended"):
        check_state("accept", case_in("dispatched", suspended=True), When(NOW))


def test_a_case_closes_only_after_its_check_unless_handled_on_the_spot():
    with pytest.raises(WrongState, match="not checked"):
        act(case_in("resolved"), "close", {}, OPERATOR)
    closed, _, _ = act(case_in("resolved", handled_on_spot=True), "close", {}, OPERATOR)
    assert closed["status"] == "closed"


def test_reopening_is_possible_within_the_window_only():
    late = NOW + timedelta(days=31)
    with pytest.raises(WrongState, match="30 days"):
        act(case_in("closed"), "reopen", {"reason": "dirty again"}, OFFICER, now=late)
    case, change, _ = act(case_in("closed"), "reopen", {"reason": "dirty again"}, OFFICER, now=NOW + timedelta(days=2))
    assert change.events[0].payload["reopened"] is True
    assert case["rework_count"] == 1


def test_merge_folds_reports_and_reporters_into_the_target():
    target = {**case_in("dispatched"), "_id": "C" + "1" * 26, "reporters": ["officer-9"], "report_ids": ["R9"]}
    source, change, ctx = act(case_in("reported"), "merge", {"target_case_id": target["_id"]}, OPERATOR, target=target)
    assert (source["status"], source["merged_into"]) == ("merged", target["_id"])
    (event,) = change.events
    assert (event.payload["target_case_id"], event.payload["report_ids"]) == (target["_id"], ["R1"])
    absorbed = absorb(target, event, now=NOW)
    assert absorbed.add_to_sets == {"report_ids": ["R1"], "reporters": ["officer-1"], "merged_cases": ["C1"]}
    assert (absorbed.expected_version, absorbed.bump_version) == (None, False)


def test_merge_only_into_an_open_case():
    target = {**case_in("closed"), "_id": "C" + "1" * 26}
    with pytest.raises(WrongState):
        act(case_in("reported"), "merge", {"target_case_id": target["_id"]}, OPERATOR, target=target)


def test_the_history_only_grows():
    case = case_in("registered")
    for action, params, who in [
        ("dispatch", {"department": "sanitation"}, OPERATOR),
        ("accept", {}, HANDLER),
        ("comment", {"text": "hi"}, OFFICER),
    ]:
        before = list(case["history"])
        case, _, _ = act(case, action, params, who)
        assert case["history"][: len(before)] == before
        assert [h["seq"] for h in case["history"]] == list(range(1, len(case["history"]) + 1))


def test_automatic_routing_registers_and_dispatches_as_the_system():
    case = case_in("reported")
    change = domain.apply_routing(
        case,
        sample_event("routing.decided"),
        category=CATEGORIES["sanitation"],
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    assert [h["action"] for h in change.history] == ["register", "dispatch"]
    assert all(h["actor"]["user_id"] == "system" for h in change.history)
    assert change.set_fields["status"] == "dispatched"


def test_automatic_routing_is_announced_once_as_a_dispatch_carrying_its_registration():
    case = case_in("reported")
    decision = sample_event("routing.decided")
    change = domain.apply_routing(
        case, decision, category=CATEGORIES["sanitation"], now=NOW, calendar=CALENDAR, policy=POLICY, ids=counting()
    )
    (event,) = change.events
    p = event.payload
    assert event.type == "case.dispatched" and event.causation_id == decision.event_id
    assert p["registration"] == {"report_id": case["report_ids"][0], "registered_by": "system", "registered_at": NOW}
    assert (p["status"], p["department"], p["rule_id"], p["version"]) == (
        "dispatched",
        "sanitation",
        "sanitation",
        case["version"] + 1,
    )
    assert p["deadline"] == change.set_fields["deadline"] and p["stage"] == "sign_for"


def test_an_operators_dispatch_carries_no_registration():
    _, change, _ = act(case_in("registered"), "dispatch", {"department": "sanitation"}, OPERATOR)
    assert [e.type for e in change.events] == ["case.dispatched"]
    assert change.events[0].payload["registration"] is None


def test_a_rule_that_is_not_automatic_only_suggests():
    decision = sample_event("routing.decided", automatic=False)
    change = domain.apply_routing(
        case_in("reported"),
        decision,
        category=CATEGORIES["sanitation"],
        now=NOW,
        calendar=CALENDAR,
        policy=POLICY,
        ids=counting(),
    )
    assert change.set_fields == {"suggestion": {"department": "sanitation", "rule_id": "sanitation"}}
    assert change.events == []
    assert (change.expected_version, change.bump_version, change.guard) == (None, False, {"status": "reported"})


def test_a_report_handled_on_the_spot_opens_resolved():
    incident = sample_event(
        "incident.reported", handled_on_spot=True, result_note="swept it", attachments=["P" + "0" * 26]
    )
    case, (event,) = domain.open_case(
        incident, category=CATEGORIES["sanitation"], rules=[], now=NOW, calendar=CALENDAR, policy=POLICY, ids=counting()
    )
    assert case["status"] == "resolved" and case["resolution"]["note"] == "swept it"
    assert event.payload["handled_on_spot"] is True


def a_case_that_went_everywhere() -> dict:
    case = case_in("reported")
    steps = [
        ("register", {}, OPERATOR),
        ("dispatch", {"department": "sanitation"}, OPERATOR),
        ("accept", {}, HANDLER),
        ("request_extension", {"reason": "crane", "hours": 4}, HANDLER),
        ("approve_extension", {}, SUPERVISOR),
        ("suspend", {"reason": "x"}, OPERATOR),
        ("resume", {}, OPERATOR),
        ("resolve", {"note": "ok", "attachments": [PHOTO]}, HANDLER),
        ("verify", {"passed": True, "note": "ok"}, OFFICER),
        ("close", {}, OPERATOR),
    ]
    for action, params, who in steps:
        case, _, _ = act(case, action, params, who)
    return {**case, "suggestion": {"department": "sanitation", "rule_id": "r"}}


def test_a_case_that_went_everywhere_reads_as_plain_json():
    import json

    from shared.api.cases import CaseSchema

    json.dumps(CaseSchema().dump(a_case_that_went_everywhere()))  # raises on anything JSON cannot carry


def test_supervision_marks_the_case_keeps_the_first_time_and_counts_each_instruction():
    first, change, _ = act(case_in("accepted"), "supervise", {"note": "finish by Friday"}, SUPERVISOR)
    assert first["supervised"] is True and first["supervisions"] == 1
    assert (
        first["supervision"]["note"] == "finish by Friday"
        and first["supervision"]["by"]["user_id"] == SUPERVISOR.user_id
    )
    (event,) = change.events
    assert event.type == "case.supervised" and event.payload["note"] == "finish by Friday"
    again, _, _ = act(first, "supervise", {"note": "still waiting"}, OPERATOR, now=NOW + timedelta(hours=2))
    assert again["supervisions"] == 2 and again["supervised_at"] == first["supervised_at"]
    assert again["supervision"]["note"] == "still waiting"
    assert [e["action"] for e in again["history"]][-2:] == ["supervise", "supervise"]


def test_a_suspended_case_can_still_be_supervised_but_a_closed_one_cannot():
    supervised, _, _ = act(
        case_in("dispatched", suspended=True, suspended_at=NOW), "supervise", {"note": "why parked?"}, OPERATOR
    )
    assert supervised["supervised"] is True
    with pytest.raises(WrongState):
        check_state("supervise", case_in("closed"), When(NOW))


def test_a_transition_follows_from_its_input_alone_its_whole_events_included():
    case = case_in("registered")
    _, first, _ = act(case, "dispatch", {"department": "sanitation"}, OPERATOR, ids=counting())
    _, again, _ = act(case, "dispatch", {"department": "sanitation"}, OPERATOR, ids=counting())
    assert first == again  # ids are input: nothing in a change is made up inside the domain
    assert first.set_fields["escalation"]["ladder_id"] == "L" + "1".zfill(26)


def test_a_comment_is_one_whole_event_known_in_advance():
    case = case_in("dispatched")
    done, change, _ = act(case, "comment", {"text": "on my way"}, HANDLER, ids=counting())
    actor = {"user_id": "h", "role": "handler", "name": ""}
    comment_id = "M" + "1".zfill(26)
    assert change.events == [
        Event(
            event_id=str(uuid.UUID(int=2)),
            type="case.commented",
            version=1,
            occurred_at=NOW,
            producer="cases",
            correlation_id=case["correlation_id"],
            causation_id=None,
            actor=actor,
            payload={**facts(done), "comment_id": comment_id, "text": "on my way", "author": actor, "public": False},
        )
    ]
    assert done["history"][-1]["comment_id"] == comment_id


def test_a_case_event_carries_exactly_the_facts_the_contract_names_in_its_order():
    assert tuple(facts(case_in("dispatched"))) == CASE_FACTS
