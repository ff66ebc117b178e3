"""One paging contract for every list the API answers page by page (docs/architecture.md#paging).

A request names ``limit`` and the ``cursor`` the page before answered; the answer is ``{items, next}``,
``next`` null on the last page. A cursor is opaque to clients: base64url of a small JSON value — the place
of the last item in the list's order (an id, or a sort key, or a moment and an id). The service that made it
reads it back through ``decode`` with a reader that checks the shape it expects, so a cursor it did not give
out, or one from another list, is a 400 naming ``cursor`` with one text (``paging.not_a_cursor``) wherever
it is refused.
"""

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from shared import texts
from shared.errors import ValidationFailed

FIELD = "cursor"
REASON = "paging.not_a_cursor"
T = TypeVar("T")


def encode(value: Any) -> str:
    """The cursor for ``value`` (JSON: text, numbers, lists; a datetime as ISO 8601 text)."""
    text = json.dumps(value, separators=(",", ":"), default=_iso)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"a cursor cannot hold {type(value).__name__}")


def decode(cursor: str, read: Callable[[Any], T]) -> T:
    """What ``encode`` was given, through ``read``, which raises ``ValueError``, ``TypeError`` or ``KeyError``
    for a value the list never puts in a cursor; any of those, or text that is not a cursor, is
    ``not_a_cursor()``."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return read(value)
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise not_a_cursor() from None


def not_a_cursor() -> ValidationFailed:
    """The one error for a cursor this API did not give out: a 400 naming the field, with its own text."""
    return ValidationFailed.of(REASON, {"fields": {FIELD: [texts.render(REASON, None, "en")]}})


# -- readers: the shapes lists page by ------------------------------------------------------------------------


def text(value) -> str:
    """A cursor holding one non-empty string (an id, a sort key) that a store query may carry."""
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ValueError("not a text cursor")
    value.encode("utf-8")  # UnicodeEncodeError, a ValueError, for a lone surrogate
    return value


def moment_and_id(value) -> tuple[datetime, str]:
    """A cursor holding ``[ISO 8601 moment with its offset, id]``."""
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise ValueError("not a moment-and-id cursor")
    moment = datetime.fromisoformat(value[0])
    if moment.tzinfo is None:
        raise ValueError("a cursor's moment has its offset")
    return moment, text(value[1])


def one_of(*tags: str) -> Callable[[Any], tuple[str, str]]:
    """A reader of ``[tag, id]`` with ``tag`` among ``tags`` (which part of a list made of parts)."""

    def read(value) -> tuple[str, str]:
        if not (isinstance(value, list) and len(value) == 2 and value[0] in tags):
            raise ValueError("not a tagged cursor")
        return value[0], text(value[1])

    return read


# -- pages ----------------------------------------------------------------------------------------------------


def page(found: list, limit: int, place: Callable[[Any], Any], *, more: bool = False) -> dict:
    """The answer for ``found``, read with ``limit + 1`` (one more tells that there is more): its first ``limit``
    items, and the cursor of the last of them, from ``place(item)``, when more follow. ``more``: more follow
    whatever ``found`` holds (a page merged from several reads, each of which said so)."""
    items = found[:limit]
    more = (more or len(found) > limit) and items
    return {"items": items, "next": encode(place(items[-1])) if more else None}


def last_page(items: list) -> dict:
    """An answer that is the whole list."""
    return {"items": items, "next": None}
