"""Newest-first pages of documents whose ids say when they were made (the inbox, the deliveries).

An id is a prefix and a ULID (``shared.ids``): a page is read a window of time at a time (``shared.windows``), so a
page of a list nobody empties costs what its newest windows hold, not everything in it.
"""

from datetime import UTC, datetime

from pymongo import DESCENDING

from shared import paging
from shared.ids import first_id_at, moment_of
from shared.windows import gather

HIDDEN = {"_outbox": 0}


def by_id(doc: dict) -> str:
    return doc["_id"]


def id_of(prefix: str):
    """A cursor reader of an id with ``prefix``: its time part tells where a newest-first page starts."""

    def read(value) -> str:
        moment_of(paging.text(value), prefix)  # ValueError for anything else
        return value

    return read


def newest(
    collection,
    query: dict,
    limit: int,
    before: str | None,
    *,
    prefix: str,
    projection: dict = HIDDEN,
    upto: str | None = None,
    above: str | None = None,
    checked: dict | None = None,
) -> list[dict]:
    """``limit`` documents of ``query`` in ``collection``, newest first, older than the one ``before``; none newer
    than the id ``upto`` (itself included), none but newer than the id ``above``. ``checked``: clauses no index
    answers, sent after the indexed ones (the store narrows by the first clauses an index leads with)."""
    if upto is not None and (before is None or before > upto):
        start, first_upper, start_open = moment_of(upto, prefix), {"$lte": upto}, False
    else:
        start = moment_of(before, prefix) if before else datetime.now(UTC)
        first_upper, start_open = ({"$lt": before} if before else {}), before is not None
    end = moment_of(above, prefix) if above else None

    def read(near, far, near_open, room):
        # ids are compared, not moments: the first window stops at the cursor's own id (or at ``upto``), the others
        # where the window before began; the last one, when there is an ``above``, just after it
        upper = {"$lt": first_id_at(prefix, near)} if near_open else {}
        ids = dict(first_upper) if near == start else upper
        if above is not None and far == end:
            ids["$gt"] = above
        elif far:
            ids["$gte"] = first_id_at(prefix, far)
        return list(
            collection.find({**query, **({"_id": ids} if ids else {}), **(checked or {})}, projection)
            .sort("_id", DESCENDING)
            .limit(room)
        )

    return gather(read, start, end, limit, start_open=start_open)
