"""The burst rule: many messages to one person at once become one digest.

Per recipient and channel (e-mail, SMS): while fewer than ``threshold`` messages
were made for them in the last ``window``, each goes out at once; beyond that a
message is *held* until the end of the current window (the clock's, shifted by an
offset of that person's and channel's own), and everything held for that person and
channel then goes out as one digest. A storm that files 200 cases
in a minute sends an officer ``threshold`` e-mails and one digest, not 200.
Urgent cases (the case's or its category's priority) are never held. The inbox,
the live stream and webhooks (read by machines) are never digested.

The count is taken before the message is filed, so concurrent workers may each
let one more through: the threshold is a soft limit (``threshold`` + workers).
"""

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notifications.domain.delivery import ASSEMBLING, DELIVERY_PREFIX

URGENT = "urgent"
# A digest lists the first messages it stands for and counts the rest: a busy window holds hundreds, which nobody
# reads in an e-mail (the inbox has them all), and rendering them held the sending process up.
LISTED = 30


@dataclass(frozen=True)
class BurstRule:
    threshold: int
    window: timedelta

    def hold_until(self, recent: int, urgent: bool, now: datetime, key: str = "") -> datetime | None:
        """When a message to ``key`` (a recipient and channel) goes out in a digest; None: it goes out now."""
        if urgent or recent < self.threshold:
            return None
        return self.window_end(now, key)

    def window_end(self, now: datetime, key: str = "") -> datetime:
        """The end of ``key``'s window holding ``now``. Windows are the clock's, each ``key``'s shifted by its own
        offset within one: were they aligned for everyone, every digest of a busy minute would come due at the same
        instant, and the courier would gather them all in one go while notifications wait behind it."""
        size = self.window.total_seconds()
        offset = (zlib.crc32(key.encode()) % int(size * 1000)) / 1000 if key else 0.0
        start = ((now.timestamp() - offset) // size) * size + offset
        return datetime.fromtimestamp(start + size, UTC)


def is_urgent(facts: dict, categories: dict) -> bool:
    category = categories.get(facts.get("category") or "", {})
    return facts.get("priority") == URGENT or category.get("priority") == URGENT


def digest_for(first: dict, new_id, now: datetime, lease_until: datetime) -> dict:
    """The delivery that carries the messages held for ``first``'s recipient and channel as one message, addressed as
    ``first`` (one of them) is."""
    digest_id = new_id(DELIVERY_PREFIX)
    return {
        "_id": digest_id,
        "dedup_key": f"digest:{digest_id}",
        "event_id": None,
        "event_type": "digest",
        "case_id": None,
        "recipient": first["recipient"],
        "recipient_key": first["recipient_key"],
        "channel": first["channel"],
        "target": first["target"],
        "language": first["language"],
        "urgent": False,
        "digest": True,
        "state": ASSEMBLING,
        "due_at": lease_until,
        "created_at": now,
        "tries": 0,
        "attempts": [],
    }
