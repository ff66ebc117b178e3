"""Feed entries appended together are announced to the gateways together: one message, the newest on top."""

from datetime import UTC, datetime

import eventlet

from services.notifications.live import LiveFeed, announcement
from shared.events import from_message
from tests.support.samples import PAYLOADS, sample_event


class _Publisher:
    def __init__(self):
        self.sent = []

    def publish(self, message, **kwargs):
        self.sent.append(from_message(message))


def _entry(seq):
    return {**PAYLOADS["feed.appended"], "seq": seq}


def test_entries_of_the_same_moment_go_out_in_one_announcement_newest_on_top():
    publisher = _Publisher()
    feed = LiveFeed(publisher, exchange=None, service="notifications", gather_seconds=0.05)
    runner = eventlet.spawn(feed.run)
    cause, now = sample_event("case.dispatched"), datetime.now(UTC)
    for seq in (7, 5, 6):
        feed.announce(_entry(seq), cause, now)
    eventlet.sleep(0.2)
    feed.announce(_entry(8), cause, now)
    feed.stop()
    runner.wait()
    assert [(e.payload["seq"], [x["seq"] for x in e.payload["earlier"]]) for e in publisher.sent] == [
        (7, [5, 6]),
        (8, []),
    ]
    assert publisher.sent[0].causation_id == cause.event_id


def test_an_announcement_of_one_entry_reads_as_before():
    assert announcement([_entry(3)]) == {**_entry(3), "earlier": []}
