"""Identifiers: time-ordered, unguessable, readable (ULID in Crockford base32).

Time order lets ids serve as cursors and keeps index inserts local; 80 random bits
make them safe to generate in any replica without coordination.
"""

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def ulid(now_ms: int | None = None) -> str:
    """A 26-character ULID; ``now_ms`` fixes the time part (for tests)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    randomness = int.from_bytes(os.urandom(10), "big")
    return _encode(ms, 10) + _encode(randomness, 16)


def new_id(prefix: str) -> str:
    """A prefixed id such as ``C01JD...``; the prefix tells what the id names."""
    return f"{prefix}{ulid()}"


def first_id_at(prefix: str, moment: datetime) -> str:
    """The smallest id ``prefix`` can have at ``moment``: ids from then on sort at or after it."""
    return prefix + _encode(max(0, int(moment.timestamp() * 1000)), 10)


def moment_of(id_: str, prefix: str) -> datetime:
    """When the id ``prefix`` + ULID was made (to the millisecond); ValueError for anything else."""
    part = id_[len(prefix) : len(prefix) + 10]
    if not id_.startswith(prefix) or len(part) != 10 or any(c not in _ALPHABET for c in part):
        raise ValueError(f"not an id of {prefix!r}: {id_!r}")
    ms = 0
    for c in part:
        ms = ms * 32 + _ALPHABET.index(c)
    return datetime.fromtimestamp(ms / 1000, UTC)


def new_event_id() -> str:
    """An event's id (``shared.events``): a UUID, on which consumers deduplicate."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Ids:
    """Where pure code gets new identifiers: passed in, so that what it returns follows from its input alone — a
    service passes ``FRESH``, a test ids it can foresee, and compares whole events."""

    new: Callable[[str], str]  # a prefixed id, ``new("M")``
    event: Callable[[], str]  # an event's id


FRESH = Ids(new=new_id, event=new_event_id)
