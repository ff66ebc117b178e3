"""Sample events, one per contract: producers' tests check them, consumers' tests use them."""

from datetime import UTC, datetime

from shared.events import new_event
from tests.support import district

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# On the 24×7 clock, so lifecycle tests can count hours plainly; tests of working time set their own.
CATEGORIES = {c["code"]: {"attributes": [], "active": True, "clock": "24x7", **c} for c in district.CATEGORIES}

PAYLOADS = {
    "incident.reported": {
        "report_id": "R1",
        "case_id": "C1",
        "category": "sanitation",
        "description": "垃圾堆积 rubbish pile",
        "location": {"lat": 34.265, "lon": 108.955},
        "grid": "610102001001001",
        "community": "610102001001",
        "street": "610102001",
        "grid_mismatch": False,
        "located_grid": "610102001001001",
        "attributes": {},
        "reporter": "officer-1",
        "source": "field",
        "reported_at": NOW,
        "attachments": [],
        "handled_on_spot": False,
        "result_note": None,
        "possible_duplicates": [],
    },
    "routing.decided": {
        "case_id": "C1",
        "department": "sanitation",
        "assisting_departments": [],
        "rule_id": "sanitation",
        "automatic": True,
    },
}

FACTS = {
    "case_id": "C1",
    "version": 3,
    "status": "dispatched",
    "category": "sanitation",
    "priority": "normal",
    "grid": "610102001001001",
    "community": "610102001001",
    "street": "610102001",
    "location": {"lat": 34.265, "lon": 108.955},
    "department": "sanitation",
    "assisting_departments": ["urban_management"],
    "deadline": NOW,
    "reporters": ["officer-1"],
    "suspended": False,
}
SYSTEM = {"user_id": "system", "role": "system", "name": "system"}
# What a routing rule's dispatch carries of the registration it made in the same decision (``case.dispatched``).
REGISTRATION = {"report_id": "R1", "registered_by": "system", "registered_at": NOW}
# What the dispatch of a case born dispatched by a routing rule carries of its report (``case.dispatched``).
BORN_REPORT = {
    "report_id": "R1",
    "handled_on_spot": False,
    "possible_duplicates": [],
    "occurred_at": NOW,
    "actor": {"user_id": "officer-1", "role": "grid_officer"},
    "version": 1,
    "stage": "dispatch",
    "stage_deadline": NOW,
}
CASE_EXTRAS = {
    "case.reported": {
        "status": "reported",
        "department": None,
        "deadline": None,
        "report_id": "R1",
        "handled_on_spot": False,
        "possible_duplicates": [],
    },
    "case.registered": {"status": "registered", "department": None, "report_id": "R1", "registered_by": "system"},
    "case.rejected": {"status": "rejected", "reason": "not a problem"},
    "case.merged": {"status": "merged", "target_case_id": "C0"},
    "case.dispatched": {"decided_by": SYSTEM, "rule_id": "sanitation", "rework": False},
    "case.accepted": {"status": "accepted"},
    "case.returned": {
        "status": "registered",
        "department": None,
        "reason": "not ours",
        "returned_by_department": "sanitation",
    },
    "case.extension_requested": {"status": "accepted", "reason": "needs a crane", "hours": 24},
    "case.extension_approved": {"status": "accepted", "hours": 24},
    "case.extension_denied": {"status": "accepted", "note": None},
    "case.suspended": {"suspended": True, "reason": "waiting for the owner"},
    "case.resumed": {"paused_seconds": 3600},
    "case.supervised": {"status": "accepted", "supervised": True, "note": "finish by Friday", "supervisions": 1},
    "case.resolved": {"status": "resolved", "note": "cleared", "attachments": []},
    "case.verified": {"status": "verified", "note": "looks fine"},
    "case.reworked": {"reason": "still dirty", "rework_count": 1, "reopened": False},
    "case.closed": {"status": "closed", "on_time": True},
    "case.cancelled": {"status": "cancelled", "reason": "duplicate call"},
    "case.rated": {
        "status": "closed",
        "report_id": "R1",
        "rating": "unsatisfied",
        "comment": "still dirty",
        "reopened": False,
    },
    "case.commented": {"comment_id": "M1", "text": "on my way", "author": SYSTEM},
    "case.escalated": {
        "status": "accepted",
        "stage": "disposal",
        "stage_deadline": NOW,
        "rung": 2,
        "rung_name": "overdue",
        "targets": [{"kind": "responsible_head"}],
        "policy_id": "default",
        "policy_version": 1,
    },
}
PAYLOADS.update({event_type: {**FACTS, **extra} for event_type, extra in CASE_EXTRAS.items()})

PAYLOADS.update(
    {
        "grid_map.imported": {
            "revision": 1,
            "map_version": 1,
            "areas": district.AREAS,
            "grids": [{**g, "community": g["parent"], "street": None} for g in district.GRIDS],
        },
        "departments.changed": {"revision": 1, "items": district.DEPARTMENTS},
        "categories.changed": {"revision": 1, "items": district.CATEGORIES},
        "routing_rules.changed": {"revision": 1, "items": district.ROUTING_RULES},
        "users.changed": {"revision": 1, "items": district.USERS},
    }
)

PAYLOADS["reporter.notice_due"] = {
    "notice_id": "O1",
    "report_id": "R1",
    "case_id": "C1",
    "about": "case.closed",
    "category": "sanitation",
    "language": "en",
    "channels": ["email", "sms"],
    "reason": None,
    "note": "cleared",
    "rating": True,
    "rating_days": 7,
    "capability": "a-secret",
}
PAYLOADS["report.rated"] = {
    "report_id": "R1",
    "case_id": "C1",
    "rating": "satisfied",
    "comment": None,
    "rated_at": NOW,
    "closed_at": NOW,
}

PAYLOADS["feed.appended"] = {
    "seq": 1,
    "event_id": "4d7f2b1e-0000-4000-8000-000000000001",
    "event_type": "case.dispatched",
    "occurred_at": NOW,
    "case": FACTS,
}

PRODUCERS = {
    "grid_map.imported": "directory",
    "departments.changed": "directory",
    "categories.changed": "directory",
    "routing_rules.changed": "directory",
    "users.changed": "directory",
    "incident.reported": "reporting",
    "reporter.notice_due": "reporting",
    "report.rated": "reporting",
    "routing.decided": "dispatch",
    "feed.appended": "notifications",
    **dict.fromkeys(CASE_EXTRAS, "cases"),
}


ACTORS = {"incident.reported": {"user_id": "officer-1", "role": "grid_officer"}}


def sample_event(event_type: str, correlation_id: str = "X1", **payload_overrides):
    payload = {**PAYLOADS[event_type], **payload_overrides}
    return new_event(
        event_type,
        payload,
        producer=PRODUCERS[event_type],
        occurred_at=NOW,
        correlation_id=correlation_id,
        actor=ACTORS.get(event_type),
    )
