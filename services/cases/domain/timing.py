"""The clock of a case: which stage it is in, when that stage is due, and its escalation ladder.

Stages and their limits (docs/domain.md §5): registration and dispatch (``dispatch``,
from the report), signing for (``sign_for``, from dispatch), disposal (``disposal``,
also from dispatch — the department's whole job), verification (``verification``,
from the department's result). Limits are hours per category, optionally per
priority, on working time (the Chinese official calendar and office hours) unless
the category runs on the 24×7 clock. Suspension stops the clock; an approved
extension moves the deadline; rework starts a new disposal clock. Pure.
"""

from datetime import datetime

from services.cases.domain import escalation
from services.cases.domain.model import ACCEPTED, DISPATCHED, REGISTERED, REPORTED, RESOLVED
from shared.ids import Ids
from shared.workcalendar import WORKING

HOUR = 3600.0
STAGE_OF = {
    REPORTED: "dispatch",
    REGISTERED: "dispatch",
    DISPATCHED: "sign_for",
    ACCEPTED: "disposal",
    RESOLVED: "verification",
}
STOPPED = {"stage": None, "stage_started_at": None, "stage_limit_s": None, "stage_deadline": None, "escalation": None}


def clock_of(category: dict) -> str:
    return category.get("clock") or WORKING


def limit_s(category: dict, priority: str, stage: str) -> float:
    """Seconds of (working) time the stage may take, for this category at this priority."""
    by_priority = (category.get("limits_by_priority") or {}).get(priority) or {}
    return float(by_priority.get(stage, category["limits_hours"][stage])) * HOUR


def enter(
    case: dict,
    stage: str,
    *,
    now: datetime,
    category: dict,
    calendar,
    policy: dict | None,
    ids: Ids,
    with_disposal: bool = False,
) -> dict:
    """Fields for ``case`` starting ``stage`` at ``now`` (and the disposal clock with it, at dispatch)."""
    clock = clock_of(category)
    limit = limit_s(category, case["priority"], stage)
    fields = {
        "stage": stage,
        "stage_started_at": now,
        "stage_limit_s": limit,
        "stage_deadline": calendar.add(now, limit, clock),
    }
    if with_disposal:
        fields["deadline"] = calendar.add(now, limit_s(category, case["priority"], "disposal"), clock)
    fields["escalation"] = escalation.start({**case, **fields}, policy, calendar=calendar, clock=clock, ids=ids)
    return fields


def enter_disposal(case: dict, *, category: dict, calendar, policy: dict | None, ids: Ids) -> dict:
    """Signed for: the disposal stage, whose clock has run since dispatch, is now the one that counts."""
    clock = clock_of(category)
    fields = {
        "stage": "disposal",
        "stage_started_at": case["dispatched_at"],
        "stage_limit_s": limit_s(category, case["priority"], "disposal"),
        "stage_deadline": case["deadline"],
    }
    fields["escalation"] = escalation.start({**case, **fields}, policy, calendar=calendar, clock=clock, ids=ids)
    return fields


def extend(case: dict, hours: float, *, category: dict, calendar, policy: dict | None) -> dict:
    """An approved extension: the deadline moves by ``hours`` of working time; the ladder follows."""
    clock = clock_of(category)
    deadline = calendar.add(case["deadline"], hours * HOUR, clock) if case.get("deadline") else None
    fields = {"deadline": deadline}
    if case.get("stage") == "disposal":
        fields["stage_deadline"] = deadline
    fields["escalation"] = escalation.reschedule({**case, **fields}, policy, calendar=calendar, clock=clock)
    return fields


def pause(case: dict, *, now: datetime, category: dict, calendar) -> dict:
    """Suspended: remember how much time was left; nothing escalates meanwhile."""
    clock = clock_of(category)
    left = {
        key: calendar.between(now, case[key], clock) if case.get(key) else None
        for key in ("stage_deadline", "deadline")
    }
    paused = {**(case.get("escalation") or {}), "next_due_at": None} if case.get("escalation") else None
    return {"time_left_s": left, "escalation": paused}


def resume(case: dict, *, now: datetime, category: dict, calendar, policy: dict | None) -> dict:
    """The clock runs again with the time that was left."""
    clock = clock_of(category)
    left = case.get("time_left_s") or {}
    fields = {
        key: calendar.add(now, left[key], clock) for key in ("stage_deadline", "deadline") if left.get(key) is not None
    }
    fields["time_left_s"] = None
    fields["escalation"] = escalation.reschedule({**case, **fields}, policy, calendar=calendar, clock=clock)
    return fields


def light(case: dict, *, now: datetime, calendar, categories: dict, warning: float) -> str | None:
    """The traffic light of the current stage: green, yellow (``warning`` of the limit used), red (overdue)."""
    if not case.get("stage") or not case.get("stage_deadline"):
        return None
    clock = clock_of(categories.get(case["category"], {}))
    left = (case.get("time_left_s") or {}).get("stage_deadline") if case.get("suspended") else None
    if left is None:
        left = calendar.between(now, case["stage_deadline"], clock)
    if left < 0:
        return "red"
    used = 1 - left / case["stage_limit_s"] if case.get("stage_limit_s") else 0
    return "yellow" if used >= warning else "green"
