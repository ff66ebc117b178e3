"""Publishing a batch of messages and waiting for the broker's confirms once: how the outbox relay publishes.

nameko's ``Publisher`` (py-amqp's ``confirm_publish``) sends a message and waits for its confirm before the next:
a round trip, a wait and a pooled connection taken and given back per message. Here a batch goes out on one channel
in confirm mode, then the confirms of all of it are read as they come (the broker may confirm many with one
``basic.ack``, ``multiple`` set). What this tells its caller, per message id:

- **confirmed**: the broker acknowledged it and did not return it: it is in every queue it routes to;
- **unroutable**: published ``mandatory`` and returned (``basic.return``, which the broker sends before the message's
  ack): no queue is bound for it;
- anything else is **unconfirmed**: nacked, or its confirm did not come (the connection or the channel was lost, or
  ``timeout`` passed). It may or may not have reached a queue: whoever keeps it sends it again (at least once).

One connection of its own, kept between batches, opened again after any failure or nack (a fresh channel also starts
the broker's delivery tags again at 1, so a confirm that comes late can never be taken for a newer message's). It is
used by one greenthread at a time.
"""

import logging
import time
from dataclasses import dataclass, field

from kombu import Connection, Producer
from nameko.constants import PERSISTENT

from shared.broker import broker_count

_log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of a batch: message ids ``confirmed`` and ``unroutable``; ``error``, if the batch's connection or
    channel failed (then some messages may be neither: unconfirmed). ``nacked``: how many the broker refused."""

    confirmed: set[str] = field(default_factory=set)
    unroutable: set[str] = field(default_factory=set)
    nacked: int = 0
    error: Exception | None = None


class BatchPublisher:
    """Publishes batches of JSON messages, persistent and ``mandatory``, with publisher confirms awaited per batch."""

    def __init__(self, amqp_uri: str, *, timeout: float, connection_name: str | None = None):
        self.amqp_uri = amqp_uri
        self.timeout = timeout  # for the whole batch's confirms, and for each write to the socket
        self.connection_name = connection_name
        self._connection: Connection | None = None
        self._channel = None
        self._producer: Producer | None = None
        self._tag = 0  # the delivery tag of the last message published on the channel
        self._pending: dict[int, str] = {}  # delivery tag -> message id, published and not yet confirmed or refused
        self._outcome = Outcome()

    def publish(self, exchange, messages: list[tuple[str, dict, str]]) -> Outcome:
        """Publish ``messages`` — (routing key, body, message id) — to ``exchange`` and wait for their confirms.

        Never raises for the broker's sake: a failure is the outcome's ``error``, the connection is dropped and the
        next batch opens another."""
        self._outcome = outcome = Outcome()
        if not messages:
            return outcome
        try:
            producer = self._ready()
            for routing_key, body, message_id in messages:
                # The broker numbers the messages of a channel in confirm mode 1, 2, 3…: its confirms name these.
                self._tag += 1
                self._pending[self._tag] = message_id
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key=routing_key,
                    message_id=message_id,
                    mandatory=True,
                    delivery_mode=PERSISTENT,
                    serializer="json",
                    headers={},
                    retry=False,
                    timeout=self.timeout,
                )
            self._await_confirms()
            if outcome.nacked:
                # A channel the broker nacked on is not trusted with the next batch: seen on a cluster, a channel
                # opened while a quorum queue's leader was being elected again nacked everything for minutes.
                self._drop(graceful=True)
        except Exception as exc:  # noqa: BLE001 - the connection, the channel, the socket: all mean "unconfirmed"
            outcome.error = exc
            self._drop(graceful=False)
        finally:
            self._pending.clear()
        return outcome

    def close(self) -> None:
        self._drop(graceful=True)

    def _drop(self, graceful: bool) -> None:
        connection, self._connection, self._channel, self._producer = self._connection, None, None, None
        self._tag = 0
        if connection is None:
            return
        try:
            # A failed connection is let go without a word to the broker: a close waits for the broker's answer,
            # which a broker whose machine vanished never sends.
            connection.release() if graceful else connection.collect()
        except Exception:  # noqa: BLE001 - it is dropped either way
            _log.debug("closing a publishing connection", exc_info=True)

    # -- the channel ---------------------------------------------------------
    def _ready(self) -> Producer:
        if self._producer is not None:
            return self._producer
        options = {}
        if self.connection_name:
            options["client_properties"] = {"connection_name": self.connection_name}
        connection = Connection(self.amqp_uri, connect_timeout=5, transport_options=options)
        try:
            # each broker of AMQP_URI (kombu's failover form) once, as nameko's publisher retries
            connection.ensure_connection(
                max_retries=broker_count(self.amqp_uri), interval_start=0, interval_step=1, interval_max=2
            )
            channel = connection.channel()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            channel.confirm_select()
        except Exception:
            connection.collect()
            raise
        self._connection, self._channel, self._tag = connection, channel, 0
        self._producer = Producer(channel)
        return self._producer

    def _await_confirms(self) -> None:
        deadline = time.monotonic() + self.timeout
        while self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._pending)} publisher confirm(s) not received in {self.timeout:g} s")
            try:
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue  # the deadline decides

    # -- the broker's answers (called while draining, in this greenthread) ---------
    def _settled(self, delivery_tag: int, multiple: bool) -> list[str]:
        tags = [t for t in self._pending if t <= delivery_tag] if multiple else [delivery_tag]
        return [message_id for t in tags if (message_id := self._pending.pop(t, None)) is not None]

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        for message_id in self._settled(delivery_tag, multiple):
            if message_id not in self._outcome.unroutable:
                self._outcome.confirmed.add(message_id)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._outcome.nacked += len(self._settled(delivery_tag, multiple))

    def _on_return(self, exc, exchange, routing_key, message) -> None:
        # The broker sends a returned message before its ack: the ack then finds it here and does not confirm it.
        message_id = message.properties.get("message_id")
        if message_id is not None:
            self._outcome.unroutable.add(message_id)
