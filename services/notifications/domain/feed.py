"""The live feed: every case event, numbered in the order it was stored. Pure: its entries.

The store numbers entries ``1, 2, 3, …`` with no gaps, each number taken only after
the one before it was stored (``NotificationRepository.append_feed``), so a reader
who has seen number ``n`` has seen, or can still fetch, everything before it. The
feed keeps the last ``SSE_FEED_KEEP`` entries. Gateways push new entries to open
streams and ask here for what a reconnecting client missed (``docs/notifications.md``).
"""

from shared.events import Event
from shared.events.contracts.cases import CASE_FACTS


def entry_for(event: Event) -> dict:
    """The feed entry of a case event (without its number)."""
    facts = {k: event.payload.get(k) for k in CASE_FACTS}
    return {
        "event_id": event.event_id,
        "event_type": event.type,
        "occurred_at": event.occurred_at,
        "case": facts,
        # flattened for the indexes that answer "what may this reader see" (``shared.auth.case_filters``)
        "grid": facts["grid"],
        "departments": [d for d in [facts["department"], *facts["assisting_departments"]] if d],
        "reporters": list(facts.get("reporters") or []),
    }


def published(entry: dict) -> dict:
    """The ``feed.appended`` payload of a stored entry."""
    return {
        "seq": entry["_id"],
        "event_id": entry["event_id"],
        "event_type": entry["event_type"],
        "occurred_at": entry["occurred_at"],
        "case": entry["case"],
    }
