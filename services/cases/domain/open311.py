"""What a case shows to everyone through Open311 GeoReport v2. Pure: no I/O.

Only cases reported by the public are listed, and only facts meant for the public:
never the reporter (an app's id) or their contact details (which the cases service
does not even hold), never internal comments or the history. ``status_notes`` is
the latest note meant for the public: a public reply (a comment marked ``public``),
and while the case is rejected or closed the reason or closing note that made it so.
"""

from services.cases.domain.model import CLOSED, MERGED, OPEN, PUBLIC_SINCE, REJECTED, STATUSES
from shared import texts

__all__ = ["PUBLIC_SINCE", "public_view"]

OPEN311_OPEN, OPEN311_CLOSED = "open", "closed"
INTERNAL_STATUSES = {
    OPEN311_OPEN: sorted(OPEN),
    OPEN311_CLOSED: [s for s in STATUSES if s not in OPEN],
}
_MERGED_NOTE = {
    "zh-CN": "已与同一问题的诉求 {target} 合并办理。",
    "en": "Handled together with request {target}, the same problem.",
}
_CAUSE_OF = {REJECTED: "reject", CLOSED: "close"}


def open311_status(status: str) -> str:
    return OPEN311_OPEN if status in OPEN else OPEN311_CLOSED


def status_notes(case: dict, language: str) -> str | None:
    """The latest public note; on a closed case the reporter's rating (回访) follows it — its level only, never their
    comment, which is for the district."""
    note = _latest_note(case, language)
    rating = case.get("public_rating")
    # a rating of this closing only: one given before the case was reopened and closed again says nothing of now
    if case["status"] == CLOSED and rating and case.get("closed_at") and rating["at"] >= case["closed_at"]:
        rated = texts.render("open311.rated", {"rating": rating["rating"]}, language)
        return f"{note} {rated}" if note else rated
    return note


def _latest_note(case: dict, language: str) -> str | None:
    cause = _CAUSE_OF.get(case["status"])
    for entry in reversed(case.get("history", ())):
        if entry["action"] == "comment" and entry.get("public") and entry.get("note"):
            return entry["note"]
        if cause and entry["action"] == cause:
            return entry.get("note") or None
    if case["status"] == MERGED and case.get("merged_into"):
        return _MERGED_NOTE[language].format(target=case["merged_into"])
    return None


def _name(item: dict | None, language: str) -> str | None:
    if not item:
        return None
    return item.get("name_en" if language == "en" else "name_zh")


def _stamp(moment):
    return moment.isoformat() if moment else None


def public_view(case: dict, *, categories: dict, departments: dict, language: str) -> dict:
    """One Open311 ``request``, in the specification's field names."""
    location = case.get("location") or {}
    return {
        "service_request_id": case["_id"],
        "status": open311_status(case["status"]),
        "status_notes": status_notes(case, language),
        "service_name": _name(categories.get(case["category"]), language),
        "service_code": case["category"],
        "description": case.get("description"),
        "agency_responsible": _name(departments.get(case.get("department")), language),
        "service_notice": None,
        "requested_datetime": _stamp(case.get("reported_at")),
        "updated_datetime": _stamp(case.get("updated_at")),
        "expected_datetime": _stamp(case.get("deadline")),
        "address": case.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": case.get("media_url"),
    }
