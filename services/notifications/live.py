"""Telling the gateways that the feed grew: ``feed.appended``, to every gateway instance.

Best effort on purpose: no outbox, no ``mandatory`` routing, no publisher confirms
(with no gateway running nobody needs it, and an outbox would hold it forever). The
feed in the store is the record; a gateway that misses one fills the gap from there.

One announcement carries every entry of the moment: the entries appended within
``SSE_ANNOUNCE_SECONDS`` of the first go out together (the newest at the top level,
the others in ``earlier``), so a burst of case events costs the broker and every
gateway one message, not one each. Open screens see a change that much later.
"""

import logging

from eventlet.queue import Empty, LightQueue
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from shared.bus import publisher
from shared.config import setting
from shared.events import Event, new_event, to_message
from shared.topology import declare

_log = logging.getLogger(__name__)
EVENT_TYPE = "feed.appended"
_STOP = object()


def announcement(entries: list[dict]) -> dict:
    """The ``feed.appended`` payload of ``entries`` (in any order): the newest on top, the others before it."""
    ordered = sorted(entries, key=lambda e: e["seq"])
    return {**ordered[-1], "earlier": ordered[:-1]}


class LiveFeed:
    def __init__(self, publisher: Publisher, exchange, service: str, gather_seconds: float):
        self.publisher, self.exchange, self.service = publisher, exchange, service
        self.gather_seconds = gather_seconds
        self._queue: LightQueue = LightQueue()

    def announce(self, payload: dict, cause: Event, now) -> None:
        """Announce a feed entry (``feed.published``) soon, with whatever else is appended meanwhile."""
        self._queue.put((payload, cause, now))

    def run(self) -> None:
        """Gather and publish until told to stop; what is queued at the stop still goes out."""
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            gathered = [first]
            try:
                gathered.append(self._queue.get(timeout=self.gather_seconds))
                while True:
                    gathered.append(self._queue.get_nowait())
            except Empty:
                pass
            stopping = _STOP in gathered
            self._publish([g for g in gathered if g is not _STOP])

    def stop(self) -> None:
        self._queue.put(_STOP)

    def _publish(self, gathered: list) -> None:
        if not gathered:
            return
        payload = announcement([entry for entry, _, _ in gathered])
        _, cause, now = max(gathered, key=lambda g: g[0]["seq"])
        try:
            event = new_event(
                EVENT_TYPE,
                payload,
                producer=self.service,
                occurred_at=now,
                correlation_id=cause.correlation_id,
                causation_id=cause.event_id,
            )
            self.publisher.publish(
                to_message(event), exchange=self.exchange, routing_key=EVENT_TYPE, message_id=event.event_id
            )
        except Exception:  # the gateways catch up from the feed
            _log.warning("could not announce feed entries up to %s", payload["seq"], exc_info=True)


class LivePublisher(DependencyProvider):
    def setup(self):
        config = self.container.config
        exchange = get_event_exchange(self.container.service_name, config)
        # declared once here, not before every publish (a third of a publish's CPU)
        declare(config["AMQP_URI"], [exchange])
        self.feed = LiveFeed(
            publisher(config["AMQP_URI"], use_confirms=False),
            exchange,
            self.container.service_name,
            setting(config, "SSE_ANNOUNCE_SECONDS", 0.05, float),
        )
        self._thread = None

    def start(self):
        self._thread = self.container.spawn_managed_thread(self.feed.run, identifier="live-feed")

    def stop(self):
        if self._thread is not None:
            self.feed.stop()
            self._thread.wait()
            self._thread = None

    def kill(self):
        self._thread = None

    def get_dependency(self, worker_ctx):
        return self.feed
