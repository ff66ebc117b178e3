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
    collection, query: dict, limit: int, before: str | None, *, prefix: str, projection: dict = HIDDEN
) -> list[dict]:
    """``limit`` documents of ``query`` in ``collection``, newest first, older than the one ``before``."""
    start = moment_of(before, prefix) if before else datetime.now(UTC)

    def read(near, far, near_open, room):
        # ids are compared, not moments: the first window stops at the cursor's own id, the others where the
        # window before began
        upper = (before if near == start else first_id_at(prefix, near)) if near_open else None
        ids = {**({"$lt": upper} if upper else {}), **({"$gte": first_id_at(prefix, far)} if far else {})}
        return list(
            collection.find({**query, "_id": ids} if ids else query, projection).sort("_id", DESCENDING).limit(room)
        )

    return gather(read, start, None, limit, start_open=before is not None)
