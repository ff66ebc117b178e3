"""Sending what an event filed at once, from the process that filed it, instead of at the courier's next scan.

The handler files the messages that can go now already claimed by this process —
``sending``, with a lease, exactly as the courier's scan would claim them — and hands
them over here once they are stored; a greenthread sends them and records each
attempt. If the process dies first, the lease lapses and the scan of any replica
claims them again: the guarantee of a claim taken by the scan, without the scan's
claim write and read per message, and without waiting for the next scan.

A claim that has used up half its lease while waiting here is left to the scan
(it lapses, then the scan takes it), so a message is never sent by this process
when another may already have claimed it. With ``DELIVERY_SEND_AT_ONCE=0`` every
message waits for the scan, as before.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta

from eventlet import GreenPool
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider

from services.notifications.domain.delivery import PENDING, SENDING
from shared.config import as_bool, setting

_log = logging.getLogger(__name__)
_STOP = object()


class Outgoing(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.enabled = setting(config, "DELIVERY_SEND_AT_ONCE", True, as_bool)
        self.limit = setting(config, "DELIVERY_QUEUE_LIMIT", 1000, int)
        self.concurrency = setting(config, "DELIVERY_CONCURRENCY", 8, int)
        self.queue: LightQueue = LightQueue()
        self.pending = 0  # handed over, not yet sent: claims this process still holds
        self._thread = None

    def start(self):
        if self.enabled:
            self._thread = self.container.spawn_managed_thread(self._run, identifier="outgoing")

    def stop(self):
        if self._thread is not None:
            self.queue.put(_STOP)
            try:
                self._thread.wait()
            except Exception:  # noqa: BLE001 - what was not sent is claimed again by the scan once its lease lapses
                _log.warning("outgoing messages were not all sent before stopping; the courier's scan takes them")
            self._thread = None

    def kill(self):
        self._thread = None

    def get_dependency(self, worker_ctx):
        return self

    # -- called by workers -------------------------------------------------------------
    def claim(self, deliveries: list[dict], now: datetime, lease: timedelta) -> list[dict]:
        """Mark the messages that can go now as claimed by this process (before they are stored); returns them."""
        if not self.enabled or self.pending >= self.limit:
            return []  # the scan sends them: nothing waits here unbounded
        token, lease_until = uuid.uuid4().hex, now + lease
        claimed = [d for d in deliveries if d["state"] == PENDING and d["due_at"] <= now]
        for delivery in claimed:
            delivery.update(state=SENDING, due_at=lease_until, claim=token)
        return claimed

    def hand_over(self, claimed: list[dict], send, lease: timedelta) -> None:
        """Send ``claimed`` (stored, and claimed by ``claim`` for ``lease``) with ``send(delivery)``, behind the
        handler."""
        handed_at = time.monotonic()
        for delivery in claimed:
            self.pending += 1
            self.queue.put((delivery, send, handed_at + lease.total_seconds() / 2))

    # -- the sender ----------------------------------------------------------------------
    def _run(self) -> None:
        pool = GreenPool(self.concurrency)
        while True:
            item = self.queue.get()
            if item is _STOP:
                pool.waitall()
                return
            pool.spawn_n(self._send, *item)

    def _send(self, delivery: dict, send, send_by: float) -> None:
        try:
            if time.monotonic() > send_by:
                return  # waited here for half its lease: it could lapse mid-send, so the scan takes it once it has
            send(delivery)
        except Exception:  # noqa: BLE001 - the scan claims it again when the lease lapses
            _log.exception("sending delivery %s at once failed", delivery.get("_id"))
        finally:
            self.pending -= 1
