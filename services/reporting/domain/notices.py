"""Telling a member of the public what became of their report, and the link to rate it (回访). Pure: no I/O.

The contact details stay in the report document: the ``reporter.notice_due`` event
names only the report, the channels the reporter can be reached on and their
language, with a one-notice secret (``capability``) whose hash the report keeps. The
notifications service asks for the address with it when it sends (``address_for``),
and keeps nothing but what it was told here.

A closed case's notice carries a link to rate the outcome. Its token is random,
made when the address is asked for (so it lives only in the message sent), kept as
a SHA-256 hash per channel, valid until ``expires_at`` and usable once.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from shared.events import Event, new_event
from shared.ids import new_id

TOLD_OF = ("case.registered", "case.rejected", "case.closed")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


def told_of(case_event: Event) -> str | None:
    """What a public reporter is told of by ``case_event`` (one of ``TOLD_OF``), if anything. An event that stands
    for several stages is asked stage by stage (``shared/events/stages.py``): a routing rule's dispatch tells of the
    registration it made, as a ``case.registered`` would have."""
    return case_event.type if case_event.type in TOLD_OF else None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def channels_of(contact: dict | None) -> list[str]:
    contact = contact or {}
    return [c for c, field in (("email", "email"), ("sms", "phone")) if contact.get(field)]


def notice_for(
    case_event: Event, report: dict, *, language: str, now: datetime, rating_days: float | None
) -> tuple[dict, Event]:
    """(what the report keeps of the notice, the event asking notifications to send it) for one public report."""
    p, about = case_event.payload, told_of(case_event)
    capability = secrets.token_urlsafe(32)
    notice_id = new_id("O")
    kept = {
        "notice_id": notice_id,
        "about": about,
        "capability": digest(capability),
        "at": now,
        "case_event_id": case_event.event_id,
    }
    event = new_event(
        "reporter.notice_due",
        {
            "notice_id": notice_id,
            "report_id": report["_id"],
            "case_id": p["case_id"],
            "about": about,
            "category": p["category"],
            "language": language,
            "channels": channels_of(report.get("contact")),
            "reason": p.get("reason") if about == "case.rejected" else None,
            "note": p.get("note") if about == "case.closed" else None,
            "rating": bool(rating_days) and about == "case.closed",
            "rating_days": rating_days if about == "case.closed" else None,
            "capability": capability,
        },
        producer="reporting",
        occurred_at=now,
        correlation_id=case_event.correlation_id,
        causation_id=case_event.event_id,
    )
    return kept, event


def rating_round(case_event: Event, notice_id: str, *, now: datetime, valid_for: timedelta) -> dict:
    """A closing opens a round of rating: tokens are made as the notices go out, one rating is taken."""
    return {
        "notice_id": notice_id,
        "case_id": case_event.payload["case_id"],
        "closed_at": case_event.occurred_at,
        "expires_at": now + valid_for,
        "tokens": {},
        "rated_at": None,
    }


def capability_fits(report: dict, notice_id: str, capability: str) -> dict | None:
    """The notice ``capability`` opens, if it is that notice's."""
    kept = next((n for n in report.get("notices", ()) if n["notice_id"] == notice_id), None)
    if kept is None or not hmac.compare_digest(kept["capability"], digest(capability or "")):
        return None
    return kept


def new_rating_token(report_id: str) -> str:
    """``<report id>.<random>``: the report is found by its id, the random part checked against its hash."""
    return f"{report_id}.{secrets.token_urlsafe(24)}"


def report_of_token(token: str) -> str | None:
    report_id, dot, rest = (token or "").partition(".")
    return report_id if dot and report_id.startswith("R") and len(rest) >= 16 else None


def rating_state(report: dict, token: str, now: datetime) -> str:
    """``open``, ``used``, ``expired`` or ``unknown`` for the rating link ``token`` of ``report``."""
    rating = (report or {}).get("rating")
    if not rating or not any(hmac.compare_digest(h, digest(token)) for h in rating.get("tokens", {}).values()):
        return "unknown"
    if rating.get("rated_at") is not None:
        return "used"
    if now > rating["expires_at"]:
        return "expired"
    return "open"
