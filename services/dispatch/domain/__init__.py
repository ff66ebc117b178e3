"""Assignments and each department's open workload. Pure: no I/O, time passed in."""

from datetime import datetime

from shared.events import Event
from shared.ids import new_id

IN_HAND = frozenset({"dispatched", "accepted"})
ASSIGNING = ("case.dispatched", "case.reworked")  # the events that give a case to a department


def assignment(dispatched: Event, *, now: datetime) -> dict:
    """The record of who was given a case, decided by whom (a rule or a person)."""
    p = dispatched.payload
    decided_by = p.get("decided_by") or dispatched.actor
    return {
        "_id": new_id("A"),
        "case_id": p["case_id"],
        "department": p["department"],
        "assisting_departments": p["assisting_departments"],
        "decided_by": "rule" if p.get("rule_id") else "person",
        "rule_id": p.get("rule_id"),
        "actor": decided_by,
        "rework": dispatched.type == "case.reworked" or p.get("rework", False),
        "deadline": p["deadline"],
        "source_event_id": dispatched.event_id,
        "created_at": now,
        "correlation_id": dispatched.correlation_id,
    }


def workload_entry(event: Event) -> dict:
    """Where a case stands for workload counting: the department holding it, if any."""
    p = event.payload
    holder = p["department"] if p["status"] in IN_HAND else None
    return {"department": holder, "status": p["status"], "version": p["version"]}
