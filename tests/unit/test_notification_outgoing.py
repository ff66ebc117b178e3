"""The at-once sender's own rules: a bound on what waits, and claims left to the scan when they waited too long."""

from datetime import UTC, datetime, timedelta

import eventlet

from services.notifications.outgoing import Outgoing
from tests.support.infra import wait_for


class _Container:
    config = {"DELIVERY_QUEUE_LIMIT": 2}

    @staticmethod
    def spawn_managed_thread(fn, identifier=None):
        return eventlet.spawn(fn)


def _pending(n, now):
    return [{"_id": f"D{i}", "state": "pending", "due_at": now} for i in range(n)]


def test_claims_stop_when_as_many_wait_as_the_limit_allows_and_late_ones_are_left_to_the_scan():
    container = _Container()
    outgoing = Outgoing().bind(container, "outgoing")
    outgoing.setup()
    now = datetime.now(UTC)
    first = outgoing.claim(_pending(2, now), now, timedelta(seconds=60))
    assert [d["state"] for d in first] == ["sending", "sending"] and first[0]["due_at"] == now + timedelta(seconds=60)
    assert len({d["claim"] for d in first}) == 1
    sent = []
    outgoing.hand_over(first, sent.append, timedelta(seconds=60))
    assert outgoing.claim(_pending(1, now), now, timedelta(seconds=60)) == []  # two wait already: the scan's
    outgoing.start()
    wait_for(lambda: len(sent) == 2, message="sent")
    assert outgoing.pending == 0
    late = outgoing.claim(_pending(1, now), now, timedelta(seconds=0))  # half of no lease is over at once
    outgoing.hand_over(late, sent.append, timedelta(seconds=0))
    eventlet.sleep(0.1)
    assert len(sent) == 2 and outgoing.pending == 0
    outgoing.stop()
