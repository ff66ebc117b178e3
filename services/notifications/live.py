"""Telling the gateways that the feed grew: ``feed.appended``, to every gateway instance.

Best effort on purpose: no outbox, no ``mandatory`` routing (with no gateway running
nobody needs it, and an outbox would hold it forever). The feed in the store is the
record; a gateway that misses one fills the gap from there.
"""

import logging

from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from shared.events import Event, new_event, to_message

_log = logging.getLogger(__name__)
EVENT_TYPE = "feed.appended"


class LiveFeed:
    def __init__(self, publisher: Publisher, exchange, service: str):
        self.publisher, self.exchange, self.service = publisher, exchange, service

    def announce(self, payload: dict, cause: Event, now) -> None:
        event = new_event(EVENT_TYPE, payload, producer=self.service, occurred_at=now,
                          correlation_id=cause.correlation_id, causation_id=cause.event_id)
        try:
            self.publisher.publish(to_message(event), exchange=self.exchange, routing_key=EVENT_TYPE,
                                   message_id=event.event_id)
        except Exception:  # the gateways catch up from the feed
            _log.warning("could not announce feed entry %s", payload["seq"], exc_info=True)


class LivePublisher(DependencyProvider):
    def setup(self):
        config = self.container.config
        exchange = get_event_exchange(self.container.service_name, config)
        self.feed = LiveFeed(Publisher(config["AMQP_URI"], declare=[exchange]), exchange,
                             self.container.service_name)

    def get_dependency(self, worker_ctx):
        return self.feed
