"""States, the shape of a change, and the facts every case event carries."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.events import Event, new_event
from shared.events.contracts.cases import CASE_FACTS, OPEN_STATUSES
from shared.events.contracts.cases import STATUSES as STATUSES  # re-exported: the case's statuses, named below

REPORTED = "reported"  # 信息采集: waiting to be registered
REGISTERED = "registered"  # 立案: waiting for dispatch (also when a department returned it)
DISPATCHED = "dispatched"  # 派遣: sent to a department, not yet signed for
ACCEPTED = "accepted"  # 签收: the department has it
RESOLVED = "resolved"  # 处置反馈: fixed, waiting for the grid officer's check
VERIFIED = "verified"  # 核查通过: the fix is real
CLOSED = "closed"  # 结案
REJECTED = "rejected"  # 不予立案
MERGED = "merged"  # folded into another case
CANCELLED = "cancelled"  # 作废

OPEN = frozenset(OPEN_STATUSES)  # the case-event contract's, which every service reads
PUBLIC_SINCE = "public_requested_at"  # set on the public's cases only: Open311 lists them by it (sparse index)
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
# The facts a case event carries (``CaseFacts``) but ``case_id`` and ``version``, which ``facts`` names itself.
FACT_FIELDS = tuple(name for name in CASE_FACTS if name not in ("case_id", "version"))


@dataclass
class Change:
    """What one transition does to a case seen at ``expected_version``.

    Bookkeeping the system adds on the side (a routing suggestion) names no version
    and bumps none: it must never make a person's action on the case a conflict.
    Such a change is guarded by ``guard`` (e.g. the status it applies in) instead.
    """

    expected_version: int | None
    set_fields: dict
    history: list[dict]
    events: list[Event] = field(default_factory=list)
    add_to_sets: dict = field(default_factory=dict)
    bump_version: bool = True
    guard: dict = field(default_factory=dict)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")


def derived(case: dict) -> dict:
    """Fields kept only so that every list is one flat, indexed query (no ``$or``, no ``$and``).

    ``departments``: lead and assisting in one field. ``deadline_key`` and
    ``priority_key``: the sort orders as single strings ending in the id, so a page
    cursor is a plain range on one field.
    """
    deadline = case.get("deadline")
    return {
        "departments": [d for d in [case.get("department"), *case.get("assisting_departments", [])] if d],
        "deadline_key": f"{_stamp(deadline) if deadline else '~'}|{case['_id']}",
        "priority_key": f"{PRIORITY_RANK[case['priority']]}|{_stamp(case['created_at'])}|{case['_id']}",
    }


def with_derived(case: dict, set_fields: dict) -> dict:
    """``set_fields`` plus the derived fields of the case they produce."""
    return {**set_fields, **derived({**case, **set_fields})}


def facts(case: dict) -> dict:
    """The ``CaseFacts`` of an event: the case as it is after the transition."""
    found = {k: case.get(k) for k in FACT_FIELDS}
    found["suspended"], found["supervised"] = bool(found["suspended"]), bool(found["supervised"])
    return {"case_id": case["_id"], "version": case["version"], **found}


def after(case: dict, set_fields: dict, history: list[dict]) -> dict:
    """The case as it will be once the change is applied."""
    return {**case, **set_fields, "version": case["version"] + 1, "history": case["history"] + history}


def case_event(
    event_type: str,
    case_after: dict,
    extra: dict,
    *,
    event_id: str,
    actor: dict,
    now: datetime,
    causation_id: str | None = None,
) -> Event:
    return new_event(
        event_type,
        {**facts(case_after), **extra},
        producer="cases",
        occurred_at=now,
        correlation_id=case_after["correlation_id"],
        causation_id=causation_id,
        actor=actor,
        event_id=event_id,
    )


def history_entry(
    case: dict,
    offset: int,
    *,
    action: str,
    to_status: str | None,
    actor: dict,
    at: datetime,
    note: str | None = None,
    attachments=(),
    **extra,
) -> dict:
    """An append-only history entry: who (and in which role), when, from what to what, why. A note the platform
    writes itself is kept as ``note_key`` and ``note_params`` (``shared/texts.py``) and put into words when read,
    in the reader's language; ``note`` is a person's own words."""
    return {
        "seq": len(case["history"]) + offset + 1,
        "at": at,
        "action": action,
        "from_status": case["status"],
        "to_status": to_status or case["status"],
        "actor": dict(actor),
        "note": note,
        "attachments": list(attachments),
        "correlation_id": case["correlation_id"],
        **extra,
    }
