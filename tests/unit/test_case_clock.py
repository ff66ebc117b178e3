"""The clock of a case on working time, and its escalation ladder: every rung once, in order."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cases.domain import escalation, timing
from services.cases.domain.actions import ACTIONS, Context, When, check_state
from services.cases.domain.escalation import DEFAULT_POLICY
from services.cases.domain.model import after
from shared.auth import Identity
from shared.workcalendar import WorkCalendar
from tests.support import district
from tests.support.ids import counting

BEIJING = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
POLICY = {**DEFAULT_POLICY, "version": 1}
WORKING = {c["code"]: {"attributes": [], "clock": "working", **c} for c in district.CATEGORIES}
OPERATOR = Identity("op", frozenset({"operator"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
SUPERVISOR = Identity("sup", frozenset({"supervisor"}))
HOUR = 3600


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


IDS = counting()  # one source for the module, as a service has one: ids never repeat


def dispatched_case(when):
    """A sanitation case (sign for: 1 h; disposal: 24 working hours) dispatched at ``when``."""
    case = {
        "_id": "C1",
        "category": "sanitation",
        "priority": "normal",
        "status": "dispatched",
        "department": "sanitation",
        "dispatched_at": when,
        "history": [],
        "version": 3,
        "correlation_id": "X",
        "suspended": False,
        "grid": "G1",
        "assisting_departments": [],
        "reporters": [],
        "created_at": when,
    }
    return {
        **case,
        **timing.enter(
            case,
            "sign_for",
            now=when,
            category=WORKING["sanitation"],
            calendar=CAL,
            policy=POLICY,
            ids=IDS,
            with_disposal=True,
        ),
    }


def act(case, action, params, who, now):
    actor = {"user_id": who.user_id, "role": sorted(who.roles)[0], "name": ""}
    check_state(action, case, When(now))
    ctx = Context(
        actor=actor, now=now, categories=WORKING, departments={"sanitation": {}}, calendar=CAL, policy=POLICY, ids=IDS
    )
    spec = ACTIONS[action]
    change = spec.apply(case, spec.schema.load(params), ctx)
    return after(case, change.set_fields, change.history)


def test_a_case_dispatched_on_friday_evening_is_due_on_monday():
    case = dispatched_case(at("2026-11-20 17:30"))  # Friday
    assert case["stage"] == "sign_for"
    assert case["stage_deadline"] == at("2026-11-23 09:00")  # Friday's last half hour, then Monday's first
    assert CAL.between(case["dispatched_at"], case["deadline"]) == 24 * HOUR


def test_signing_for_makes_the_disposal_clock_the_one_that_counts():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:20"))
    assert case["stage"] == "disposal"
    assert case["stage_started_at"] == at("2026-11-23 09:00") and case["stage_deadline"] == case["deadline"]
    assert case["escalation"]["stage"] == "disposal"


def test_suspension_in_the_middle_of_a_stage_keeps_the_time_that_was_left():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:10"))
    before = case["deadline"]
    suspended = act(case, "suspend", {"reason": "owner away"}, OPERATOR, at("2026-11-23 12:00"))  # 3 h used
    assert suspended["escalation"]["next_due_at"] is None  # a parked case never escalates
    resumed = act(suspended, "resume", {}, OPERATOR, at("2026-11-26 09:00"))  # Thursday
    assert CAL.between(at("2026-11-26 09:00"), resumed["deadline"]) == pytest.approx(
        CAL.between(at("2026-11-23 12:00"), before)
    )
    assert resumed["escalation"]["next_due_at"] is not None


def test_an_extension_moves_the_deadline_by_working_hours():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:10"))
    asked = act(case, "request_extension", {"reason": "crane", "hours": 15}, HANDLER, at("2026-11-23 10:00"))
    approved = act(asked, "approve_extension", {}, SUPERVISOR, at("2026-11-23 11:00"))
    assert CAL.between(case["deadline"], approved["deadline"]) == 15 * HOUR
    assert approved["stage_deadline"] == approved["deadline"]


def test_rework_starts_a_new_disposal_clock_and_a_new_ladder():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:10"))
    case = {**case, "status": "resolved", "stage": "verification", "grid": "G1"}
    officer = Identity("o", frozenset({"grid_officer"}), grids=frozenset({"G1"}))
    reworked = act(case, "verify", {"passed": False, "note": "still dirty"}, officer, at("2026-11-25 10:00"))
    assert reworked["stage"] == "sign_for" and reworked["dispatched_at"] == at("2026-11-25 10:00")
    assert CAL.between(at("2026-11-25 10:00"), reworked["deadline"]) == 24 * HOUR
    assert reworked["escalation"]["ladder_id"] != case["escalation"]["ladder_id"]


def test_the_default_rungs_fall_at_75_percent_the_deadline_plus_4_hours_and_one_working_day():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:10"))
    dues = [escalation.due(case, rung, calendar=CAL, clock="working") for rung in POLICY["rungs"]]
    deadline = case["stage_deadline"]
    assert CAL.between(case["stage_started_at"], dues[0]) == pytest.approx(0.75 * 24 * HOUR)
    assert dues[1] == deadline
    assert CAL.between(deadline, dues[2]) == 4 * HOUR
    assert (
        dues[3] == CAL.add(deadline, 7.5 * HOUR)
        and dues[3].astimezone(BEIJING).time() == deadline.astimezone(BEIJING).time()
    )


def test_every_rung_fires_once_in_order_and_the_last_puts_the_case_under_supervision():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:10"))
    fired = []
    now = at("2026-12-31 12:00")  # long after everything was due
    while case["escalation"]["next_due_at"] is not None:
        change = escalation.fire(case, POLICY, now=now, calendar=CAL, clock="working", ids=IDS)
        assert change.guard["escalation.next_rung"] == case["escalation"]["next_rung"]
        assert change.bump_version is False
        (event,) = change.events
        fired.append((event.payload["rung"], event.payload["rung_name"], event.payload["targets"][0]["kind"]))
        case = after(case, change.set_fields, change.history)
        case["version"] -= 1  # bookkeeping leaves the version alone
    assert fired == [
        (1, "warning", "responsible"),
        (2, "overdue", "responsible_head"),
        (3, "command_centre", "command_centre"),
        (4, "supervision", "supervisor"),
    ]
    assert case["supervised"] is True
    assert [h["action"] for h in case["history"]].count("escalate") == 4
    last = case["history"][-1]  # the platform's note is kept by key, worded when read (shared/texts.py)
    assert last["note"] is None and (last["note_key"], last["note_params"]) == (
        "note.escalated",
        {"rung": 4, "rung_name": "supervision"},
    )


def test_the_traffic_light_turns_yellow_at_75_percent_and_red_when_overdue():
    case = act(dispatched_case(at("2026-11-23 09:00")), "accept", {}, HANDLER, at("2026-11-23 09:10"))
    start, deadline = case["stage_started_at"], case["stage_deadline"]

    def light(moment):
        return timing.light(case, now=moment, calendar=CAL, categories=WORKING, warning=0.75)

    assert light(CAL.add(start, 0.5 * 24 * HOUR)) == "green"
    assert light(CAL.add(start, 0.8 * 24 * HOUR)) == "yellow"
    assert light(deadline + timedelta(minutes=1)) == "red"


def test_a_policy_with_rungs_out_of_order_or_unknown_targets_is_refused():
    policy = {
        "rungs": [
            {"name": "late", "at": {"after_deadline_hours": 2}, "targets": [{"kind": "mayor"}]},
            {"name": "early", "at": {"fraction": 0.5}, "targets": [{"kind": "supervisor"}]},
        ]
    }
    problems = escalation.check_policy(policy)
    assert any("mayor" in p for p in problems) and any("order" in p for p in problems)
    assert escalation.check_policy(DEFAULT_POLICY) == []
