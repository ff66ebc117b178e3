"""Intake rules for field reports. Pure: no I/O, time passed in."""

import hashlib
import json
from datetime import datetime

from services.reporting.domain.attributes import check_attributes
from shared.errors import UnknownCategory
from shared.events import Event, new_event
from shared.ids import new_id


def replay_key(submission: dict, reporter: str) -> str | None:
    """The key that makes a retried submission find its first report; None without an idempotency key.

    Scoped by reporter, so two devices choosing the same key never collide.
    """
    key = submission.get("idempotency_key")
    return f"{reporter}\x1f{key}" if key else None


def dedup_key(submission: dict, reporter: str, report_id: str) -> str:
    """``replay_key``, or for a submission without a key its own id (unique)."""
    return replay_key(submission, reporter) or report_id


def fingerprint(submission: dict) -> str:
    """A digest of what was reported, to tell a true retry from a reused key."""
    material = {k: v for k, v in submission.items() if k != "idempotency_key"}
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_category(code: str, categories: dict) -> dict:
    category = categories.get(code)
    if category is None or not category.get("active", True):
        raise UnknownCategory.of("category.unknown", {"category": code}, category=code)
    return category


def accept_report(
    submission: dict,
    *,
    reporter: str,
    filed_by: dict,
    place: dict,
    categories: dict,
    now: datetime,
    correlation_id: str,
    possible_duplicates=(),
    source: str = "field",
    public: dict | None = None,
) -> tuple[dict, Event]:
    """The report document to store and the event announcing it.

    ``reporter`` is who reported (an officer, or the resident an operator took a call
    from); ``filed_by`` the actor (``{user_id, role, name}``) who filed it; ``place``
    is where ``services.reporting.domain.placing`` put it. The case id is reserved here so
    the officer's device gets it in the answer, before the case is opened. ``source``
    is ``public`` for the public's reports (``services.reporting.domain.public``), whose
    ``public`` facts (address, media_url) travel with the event; their contact details never do.
    """
    public = public or {}
    category = check_category(submission["category"], categories)
    attributes = check_attributes(submission.get("attributes") or {}, category)
    report_id = new_id("R")
    case_id = new_id("C")
    report = {
        "_id": report_id,
        "case_id": case_id,
        "category": category["code"],
        "description": submission["description"],
        "location": dict(submission["location"]),
        **place,
        "attributes": attributes,
        "attachments": list(submission.get("attachments") or []),
        "handled_on_spot": bool(submission.get("handled_on_spot")),
        "result_note": submission.get("result_note"),
        "possible_duplicates": list(possible_duplicates),
        "reporter": reporter,
        "filed_by": filed_by,
        "idempotency_key": submission.get("idempotency_key"),
        "dedup_key": dedup_key(submission, reporter, report_id),
        "fingerprint": fingerprint(submission),
        "received_at": now,
        "correlation_id": correlation_id,
        "source": source,
        **public,
    }
    event = new_event(
        "incident.reported",
        {
            "report_id": report_id,
            "case_id": case_id,
            "category": report["category"],
            "description": report["description"],
            "location": report["location"],
            "grid": place["grid"],
            "community": place["community"],
            "street": place["street"],
            "grid_mismatch": place["grid_mismatch"],
            "located_grid": place["located_grid"],
            "attributes": attributes,
            "reporter": reporter,
            "source": source,
            **public,
            "reported_at": now,
            "attachments": report["attachments"],
            "handled_on_spot": report["handled_on_spot"],
            "result_note": report["result_note"],
            "possible_duplicates": [d["case_id"] for d in possible_duplicates],
        },
        producer="reporting",
        occurred_at=now,
        correlation_id=correlation_id,
        actor=filed_by,
    )
    return report, event
