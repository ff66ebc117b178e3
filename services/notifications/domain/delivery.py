"""The life of an outgoing delivery (e-mail, SMS, webhook). Pure: states, back-off, attempt records.

``pending`` (due at ``due_at``) → ``sending`` (claimed; ``due_at`` is then the end of
the claim's lease) → ``delivered``, or back to ``pending`` after a failed attempt
with exponential back-off and jitter, or ``dead`` after the last attempt — listed
for an administrator, who may replay it (back to ``pending``, attempts counted
afresh, the earlier ones kept). ``held`` waits for a digest (``digested`` once
gathered into one); ``skipped`` could not be sent at all (no address, no endpoint)
and says why. A webhook the platform refuses to send (its address now lies inside the
platform's networks) is ``dead`` at once, so an administrator sees it and may replay
it once the address or ``WEBHOOK_ALLOWED_HOSTS`` is put right. A delivery whose claim lapsed (its process died
mid-send) is claimed again: the only way a message can go out twice, which is why every message
carries its delivery id for the receiver to recognise.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# ids: a prefix and a ULID, which says when it was made (lists page by it: ``storage.pages.newest``)
INBOX_PREFIX, DELIVERY_PREFIX = "N", "D"

PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"
HELD, DIGESTED, SKIPPED, ASSEMBLING = "held", "digested", "skipped", "assembling"
# what the courier picks up when due: new work, lapsed claims, digests whose assembly was cut short
CLAIMABLE = (PENDING, SENDING, ASSEMBLING)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    final: bool = False  # retrying cannot help (nothing to send to)
    refused: bool = False  # the platform would not send it (a webhook address inside its networks): dead, replayable

    @classmethod
    def failed(cls, error: str) -> "Outcome":
        return cls(False, error)

    @classmethod
    def impossible(cls, error: str) -> "Outcome":
        return cls(False, error, final=True)

    @classmethod
    def refused_by_rule(cls, error: str) -> "Outcome":
        return cls(False, error, final=True, refused=True)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempt: int, rand=random.random) -> timedelta:
        """Back-off after failed attempt number ``attempt`` (1-based): half fixed, half random ("equal jitter"),
        so receivers that fail together are not all retried at the same instant."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return timedelta(seconds=ceiling / 2 + rand() * ceiling / 2)

    def after_attempt(self, tries: int, outcome: Outcome, now: datetime, rand=random.random) -> dict:
        """The fields to set after attempt number ``tries`` ended with ``outcome``."""
        if outcome.ok:
            return {"state": DELIVERED, "delivered_at": now, "due_at": now}
        if outcome.final and not outcome.refused:
            return {"state": SKIPPED, "due_at": now}
        if outcome.refused or tries >= self.max_attempts:
            return {"state": DEAD, "dead_at": now, "due_at": now}
        return {"state": PENDING, "due_at": now + self.delay(tries, rand)}


def attempt_record(delivery: dict, target: str | None, outcome: Outcome, at: datetime) -> dict:
    return {
        "at": at,
        "channel": delivery["channel"],
        "target": target,
        "outcome": (
            "delivered" if outcome.ok else "refused" if outcome.refused else "skipped" if outcome.final else "failed"
        ),
        "error": outcome.error,
    }
