"""Open311 API keys: made, hashed, counted. Pure: no I/O, time passed in.

A key is 32 random bytes, so a plain SHA-256 of it is as good as a slow password
hash and costs nothing on every request; only the hash and the first characters
(to recognise a key in a list) are kept. The key itself is shown once.
"""

import hashlib
import secrets
from datetime import datetime

from shared.ids import new_id

PREFIX = "cg311_"
SHOWN = len(PREFIX) + 6


def make_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_key_document(
    given: dict, *, api_key: str, created_by: str | None, now: datetime, key_id: str | None = None
) -> dict:
    return {
        "_id": key_id or new_id("K"),
        "app": given["app"],
        "contact": given.get("contact"),
        "rate_limit_per_minute": given["rate_limit_per_minute"],
        "hash": key_hash(api_key),
        "prefix": api_key[:SHOWN],
        "created_at": now,
        "created_by": created_by,
        "revoked_at": None,
        "window": None,
        "used": 0,
    }


def listed(document: dict) -> dict:
    """A key as an administrator sees it: never its hash."""
    return {
        "key_id": document["_id"],
        **{
            k: document.get(k)
            for k in ("app", "contact", "prefix", "rate_limit_per_minute", "created_at", "created_by", "revoked_at")
        },
    }


def window_of(now: datetime) -> int:
    """The minute a request counts in (fixed windows: simple, and at worst twice the rate across a boundary)."""
    return int(now.timestamp() // 60)
