"""Routing rules, assignments and each department's open workload. Pure: no I/O, time passed in."""

from datetime import datetime

from shared.events import Event, new_event
from shared.ids import new_id

IN_HAND = frozenset({"dispatched", "accepted"})


def _specificity(rule: dict) -> int:
    return 2 if rule.get("community") else 1 if rule.get("street") else 0


def route(rules: list[dict], *, category: str, street: str | None, community: str | None) -> dict | None:
    """The rule for a case: category × (community or street, optional); the most specific wins.

    A rule for the case's community beats one for its street, which beats the
    category's district-wide rule. None: no rule names a department, an operator decides.
    """
    matching = [
        r
        for r in rules
        if r["category"] == category and r.get("community") in (None, community) and r.get("street") in (None, street)
    ]
    if not matching:
        return None
    return max(matching, key=lambda r: (_specificity(r), r["rule_id"]))


def unseen(rule: dict, source: str | None) -> bool:
    """Whether the rule dispatches the case without an operator. A report from the public is screened by a person
    first (立案 or 不予立案) unless the rule says the public's reports may go straight through too."""
    return rule["automatic"] and (source != "public" or rule.get("dispatch_public_reports", False))


def decide(reported: Event, rule: dict, *, now: datetime) -> Event:
    """Announce the department a rule names for a newly reported case, and whether to dispatch without a person."""
    return new_event(
        "routing.decided",
        {
            "case_id": reported.payload["case_id"],
            "department": rule["department"],
            "assisting_departments": [],
            "rule_id": rule["rule_id"],
            "automatic": unseen(rule, reported.payload.get("source")),
        },
        producer="dispatch",
        occurred_at=now,
        correlation_id=reported.correlation_id,
        causation_id=reported.event_id,
    )


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
