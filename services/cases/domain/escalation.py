"""Escalation ladders: who is told, and when, as a stage runs late. Pure.

A policy is an ordered list of rungs; each rung fires at a moment relative to the
stage — a fraction of its limit used (``{"fraction": 0.75}``), or working hours
after its deadline (``{"after_deadline_hours": 4}``; negative: before it) — and
names targets: ``responsible`` (whoever holds the stage: the command centre while
it waits for dispatch, the department's handlers, the grid's officers for the
check), ``responsible_head`` (the department head, the grid leader, the command
centre), ``command_centre``, ``supervisor``, a ``person`` (``user_id``), the
case department's ``department_head`` or ``department_handlers``, its grid's
``grid_officers`` or ``grid_leader``, or the department's ``webhook``. A rung may put
the case under supervision (督办).

Each case keeps the policy version it started with. Entering a stage starts a new
ladder (a new ``ladder_id``: re-dispatch and rework restart it); firing a rung moves
``next_rung`` on in the same write that records it, guarded by the ladder and rung
it saw, so each rung fires once per case and stage however many replicas scan.
"""

from datetime import datetime

from services.cases.domain.model import Change, case_event, history_entry
from shared.api.cases import RUNG_TARGET_KINDS as TARGET_KINDS
from shared.events import SYSTEM_ACTOR
from shared.ids import Ids

HOUR = 3600.0

DEFAULT_POLICY = {
    "policy_id": "default",
    "name": "默认升级规则 Default escalation",
    "rungs": [
        {"name": "warning", "at": {"fraction": 0.75}, "targets": [{"kind": "responsible"}], "supervise": False},
        {
            "name": "overdue",
            "at": {"after_deadline_hours": 0},
            "targets": [{"kind": "responsible_head"}],
            "supervise": False,
        },
        {
            "name": "command_centre",
            "at": {"after_deadline_hours": 4},
            "targets": [{"kind": "command_centre"}],
            "supervise": False,
        },
        # one working day of office hours (08:30–12:00, 14:00–18:00) after the deadline
        {
            "name": "supervision",
            "at": {"after_deadline_hours": 7.5},
            "targets": [{"kind": "supervisor"}],
            "supervise": True,
        },
    ],
}


def due(case: dict, rung: dict, *, calendar, clock: str) -> datetime:
    """When ``rung`` fires for the stage ``case`` is in."""
    at = rung["at"]
    if "fraction" in at:  # that much of the limit used: the rest of it still ahead of the deadline
        return calendar.add(case["stage_deadline"], -(1 - at["fraction"]) * case["stage_limit_s"], clock)
    return calendar.add(case["stage_deadline"], at["after_deadline_hours"] * HOUR, clock)


def start(case: dict, policy: dict | None, *, calendar, clock: str, ids: Ids) -> dict | None:
    """A fresh ladder for the stage the case just entered."""
    if not policy or not policy["rungs"] or not case.get("stage_deadline"):
        return None
    ladder = {
        "policy_id": policy["policy_id"],
        "policy_version": policy["version"],
        "ladder_id": ids.new("L"),
        "stage": case["stage"],
        "next_rung": 0,
        "fired": [],
    }
    return {**ladder, "next_due_at": due(case, policy["rungs"][0], calendar=calendar, clock=clock)}


def reschedule(case: dict, policy: dict | None, *, calendar, clock: str) -> dict | None:
    """The same ladder, its next rung due again from the (moved) deadline."""
    ladder = case.get("escalation")
    if not ladder or not policy or ladder["next_rung"] >= len(policy["rungs"]):
        return {**ladder, "next_due_at": None} if ladder else None
    rung = policy["rungs"][ladder["next_rung"]]
    return {**ladder, "next_due_at": due(case, rung, calendar=calendar, clock=clock)}


def fire(case: dict, policy: dict, *, now: datetime, calendar, clock: str, ids: Ids) -> Change:
    """The next rung of the case's ladder: recorded, announced, and the one after it scheduled."""
    ladder = case["escalation"]
    index = ladder["next_rung"]
    rung = policy["rungs"][index]
    following = policy["rungs"][index + 1] if index + 1 < len(policy["rungs"]) else None
    next_due = due(case, following, calendar=calendar, clock=clock) if following else None
    fired = [*ladder.get("fired", []), {"rung": index + 1, "name": rung["name"], "at": now}]
    fields = {"escalation": {**ladder, "next_rung": index + 1, "next_due_at": next_due, "fired": fired}}
    if rung.get("supervise"):
        fields.update(supervised=True, supervised_at=case.get("supervised_at") or now)
    actor = dict(SYSTEM_ACTOR)
    entry = history_entry(
        case,
        0,
        action="escalate",
        to_status=None,
        actor=actor,
        at=now,
        note_key="note.escalated",
        note_params={"rung": index + 1, "rung_name": rung["name"]},
        rung=index + 1,
        stage=ladder["stage"],
        targets=rung["targets"],
    )
    after = {**case, **fields}
    event = case_event(
        "case.escalated",
        after,
        {
            "rung": index + 1,
            "rung_name": rung["name"],
            "targets": rung["targets"],
            "policy_id": ladder["policy_id"],
            "policy_version": ladder["policy_version"],
        },
        event_id=ids.event(),
        actor=actor,
        now=now,
    )
    # Bookkeeping: no version is named or bumped, so escalating never makes a person's action a conflict;
    # the guard makes sure this exact rung of this exact ladder fires once.
    return Change(
        None,
        fields,
        [entry],
        [event],
        bump_version=False,
        guard={"escalation.ladder_id": ladder["ladder_id"], "escalation.next_rung": index, "suspended": False},
    )


def check_policy(policy: dict) -> list[str]:
    """What is wrong with a policy an administrator wrote; empty when it is fine."""
    problems = []
    if not policy.get("rungs"):
        problems.append("A policy needs at least one rung.")
    for number, rung in enumerate(policy.get("rungs", []), 1):
        at = rung.get("at", {})
        if set(at) not in ({"fraction"}, {"after_deadline_hours"}):
            problems.append(f"Rung {number}: 'at' needs either 'fraction' or 'after_deadline_hours'.")
        if "fraction" in at and not 0 < at["fraction"] <= 1:
            problems.append(f"Rung {number}: a fraction is between 0 and 1.")
        for target in rung.get("targets", []):
            if target.get("kind") not in TARGET_KINDS:
                problems.append(f"Rung {number}: unknown target kind '{target.get('kind')}'.")
    order = [_position(r.get("at", {})) for r in policy.get("rungs", [])]
    if None not in order and order != sorted(order):
        problems.append("Rungs go in the order they fire: fractions first, then hours after the deadline.")
    return problems


def _position(at: dict):
    if "fraction" in at:
        return (0, at["fraction"])
    if "after_deadline_hours" in at:
        return (1, at["after_deadline_hours"])
    return None
