"""Webhook signatures: HMAC-SHA256 over the timestamp and the exact body, with the department's secret.

Headers of every webhook request:

- ``X-Civicgrid-Timestamp``: Unix seconds when the request was signed;
- ``X-Civicgrid-Signature``: ``sha256=`` + hex HMAC-SHA256(secret, ``"{timestamp}." + body``);
- ``X-Civicgrid-Delivery``: the delivery id (the same on every retry: deduplicate on it);
- ``X-Civicgrid-Event``: the event type.

A receiver recomputes the signature over the raw body it received, compares in
constant time, and refuses a timestamp more than a few minutes from its own clock,
so a captured request cannot be replayed later. ``verify`` is that receiver's check.
"""

import hashlib
import hmac
import secrets

TIMESTAMP_HEADER = "X-Civicgrid-Timestamp"
SIGNATURE_HEADER = "X-Civicgrid-Signature"
DELIVERY_HEADER = "X-Civicgrid-Delivery"
EVENT_HEADER = "X-Civicgrid-Event"
SCHEME = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def signed_headers(secret: str, body: bytes, timestamp: int, delivery_id: str, event_type: str) -> dict:
    return {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event_type,
    }


def verify(
    secret: str, body: bytes, timestamp: str, signed: str, now: float, tolerance: float = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """Whether a received request is genuine and fresh (what a receiver runs)."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - moment) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, moment, body), signed or "")
