"""Case lists as queries: filters from validated fields only, limited to what the caller may see. Pure.

Every query is one flat document — equality and ranges on fields, no ``$and`` or
``$or`` at the top — and names the field whose index answers it, the most selective
one it constrains: the storage puts that clause first, because the embedded store
(SecantusDB) looks up the first clause an index leads with and checks the others on
what it finds; a hint would make it walk the whole index (tests check the rule). Sorting by deadline or priority
uses single-field keys ending in the id (``deadline_key``, ``priority_key``), so a page cursor is a plain range;
newest and oldest go by ``created_at`` a window of time at a time (``CaseRepository.find``). What a caller may see
is one query per scope they see through — "my grids, or reported by me" is two — merged page by page
(``CaseRepository.find_any``).
"""

from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING

from services.cases.domain.model import STATUSES
from shared.auth import Identity, case_filters
from shared.errors import ValidationFailed

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SORTS = {
    "newest": ("created_at", DESCENDING),
    "oldest": ("created_at", ASCENDING),
    "deadline": ("deadline_key", ASCENDING),
    "priority": ("priority_key", ASCENDING),
}
# most selective first: the first one a query constrains names its index
HINT_ORDER = (
    "reporters",
    "grid",
    "community",
    "street",
    "departments",
    "category",
    "supervised",
    "stage_deadline",
    "priority",
    "status",
)


class NothingVisible(Exception):
    """The filters and the caller's scope cannot meet: the answer is an empty page."""


def _statuses(text: str) -> list[str]:
    statuses = text.split(",")
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise ValidationFailed.from_messages({"status": [f"Unknown status: {', '.join(unknown)}."]})
    return statuses


def _narrow(query: dict, field: str, allowed: list) -> None:
    """Restrict ``field`` to ``allowed``, keeping any restriction already there."""
    current = query.get(field)
    if current is None:
        query[field] = {"$in": allowed}
        return
    present = current["$in"] if isinstance(current, dict) else [current]
    kept = [v for v in present if v in allowed]
    if not kept:
        raise NothingVisible()
    query[field] = {"$in": kept}


def index_for(query: dict) -> str:
    """The field whose index answers ``query``."""
    return next((field for field in HINT_ORDER if field in query), "created_at")


def build(q: dict, identity: Identity, now: datetime) -> tuple[list[dict], tuple[str, int]]:
    """(queries, sort) for a validated ``CaseListQuerySchema``: the cases matching any of the queries, one per
    scope the caller sees through (``shared.auth.case_filters``) that the filters can meet; ``NothingVisible`` when
    none can."""
    asked, found = _filters(q, now), []
    for scope in case_filters(identity):
        try:
            query = _within(dict(asked), scope)
        except NothingVisible:
            continue
        if query == asked:  # the scope adds nothing (all cases, or a list of one's own reports): it holds the rest
            return [query], SORTS[q.get("sort") or "newest"]
        if query not in found:
            found.append(query)
    if not found:
        raise NothingVisible()
    return found, SORTS[q.get("sort") or "newest"]


def _filters(q: dict, now: datetime) -> dict:
    query: dict = {"created_at": {"$gte": q.get("created_from") or EPOCH, "$lte": q.get("created_to") or now}}
    for field in ("category", "grid", "community", "street", "priority"):
        if q.get(field):
            query[field] = q[field]
    if q.get("department"):
        query["departments"] = q["department"]
    if q.get("status"):
        query["status"] = {"$in": _statuses(q["status"])}
    if q.get("reporter"):
        query["reporters"] = q["reporter"]
    if q.get("overdue"):  # past the deadline of the stage it is in, and not parked
        query["stage_deadline"] = {"$lt": now}
        query["suspended"] = False
    if q.get("supervised") is not None:
        query["supervised"] = True if q["supervised"] else {"$ne": True}
    return query


def _within(query: dict, scope: dict) -> dict:
    """``query`` kept to ``scope``; ``NothingVisible`` when the two cannot meet."""
    for field, allowed in scope.items():
        if isinstance(allowed, dict):  # {"$in": [...]}: one of several (an officer's grids)
            _narrow(query, field, allowed["$in"])
        elif query.get(field, allowed) != allowed:
            raise NothingVisible()
        else:
            query[field] = allowed
    return query
