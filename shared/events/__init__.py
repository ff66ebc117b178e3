"""Events on the bus: the envelope, and the contracts of every producer."""

from shared.events.envelope import (
    SYSTEM_ACTOR,
    Event,
    InvalidEvent,
    from_message,
    new_event,
    to_message,
)

__all__ = ["SYSTEM_ACTOR", "Event", "InvalidEvent", "from_message", "new_event", "to_message"]
