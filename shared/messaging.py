"""Consuming events: envelope checks, bounded retries, visible dead letters.

``@consume(source, type)`` replaces nameko's ``event_handler``. The decorated method
receives a validated ``shared.events.Event``. The message is acknowledged only when
the method returns (its writes committed). When it raises:

- a broken message (not a valid event) goes straight to the service's dead-letter
  queue: retrying cannot mend it;
- a transient infrastructure error (store or broker unreachable, or a transaction
  the store calls worth retrying — one that lost a write conflict to another
  replica's, still conflicting when pymongo's own retries ran out) is retried with
  back-off for as long as it takes: an outage must not throw events away;
- any other error is retried ``EVENT_MAX_ATTEMPTS`` times (default 5) with
  exponential back-off, then dead-lettered with the error attached.

Retries wait in one quorum queue per delay (``civicgrid.retry.<ms>ms``), whose expired
messages the broker routes back, at least once, to the original queue; the delays are
``EVENT_RETRY_BASE_SECONDS`` doubling up to ``EVENT_RETRY_MAX_SECONDS``. Event queues
are quorum queues; a message returned to its queue unsettled ``REDELIVERY_LIMIT`` times
(its consumer died or lost its connection while holding it) is dead-lettered by the broker
(``shared.topology``). Dead letters wait in ``<service>.dead-letters`` where
``shared.deadletters`` lists and replays them.

``@consume(source, type, broadcast=True)`` delivers to every running instance of the
service, each on its own queue of its connection, instead of to one of them: for state
that each instance keeps in memory (reference data, live screens). An instance that
missed messages — it was down, or its connection was — catches up by other means (a
snapshot at start and after every reconnection, ``shared.refdata``), so these queues
need not outlive their connection; a failed message is simply returned to the
instance's queue after a pause.
"""

import logging
import traceback
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial

import eventlet
from nameko.events import BROADCAST, SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    PyMongoError,
    WTimeoutError,
)

from shared.bus import ClusterQueueConsumer, publisher
from shared.config import setting
from shared.errors import ServiceUnavailable
from shared.events import InvalidEvent, from_message
from shared.faults import pause_if_armed
from shared.topology import (
    DEAD_LETTER_EXCHANGE,
    dead_letter_queue,
    dead_letter_routing_key,
    declare_once,
    delay_exchange,
    event_queue,
    retry_delays,
    retry_entities,
    transient_queue,
)

_log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-civicgrid-attempts"
OUTAGES_HEADER = "x-civicgrid-outages"  # transient failures in a row: they set the back-off, not the attempts
# Waiting mends these (a store restarting, reference data not yet arrived): they never use up attempts.
TRANSIENT_ERRORS = (
    ConnectionFailure,
    AutoReconnect,
    ExecutionTimeout,
    WTimeoutError,
    ConnectionError,
    ServiceUnavailable,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS) or (
        isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")
    )


class EventConsumer(EventHandler):
    queue_consumer = ClusterQueueConsumer()

    def __init__(self, source_service: str, event_type: str, broadcast: bool = False, **kwargs):
        self.broadcast = broadcast
        super().__init__(
            source_service,
            event_type,
            handler_type=BROADCAST if broadcast else SERVICE_POOL,
            reliable_delivery=not broadcast,
            requeue_on_error=False,
            **kwargs,
        )

    def setup(self):
        super().setup()
        config = self.container.config
        service = self.container.service_name
        if self.broadcast:
            self.queue = transient_queue(self.queue.name, self.queue.exchange, self.event_type)
        else:
            self.queue = event_queue(self.queue.name, self.queue.exchange, self.event_type, service)
        self.max_attempts = setting(config, "EVENT_MAX_ATTEMPTS", 5, int)
        self.delays = retry_delays(config)
        self.dead_letters = dead_letter_queue(service)
        # Declared here (not only when consuming starts) so that a queue an earlier version left with other
        # arguments stops the start with a message saying what to run.
        declare_once(
            config["AMQP_URI"],
            [
                DEAD_LETTER_EXCHANGE,
                self.dead_letters,
                *([] if self.broadcast else [*retry_entities(config), self.queue.exchange, self.queue]),
            ],
        )
        # confirmed and routed, or an error: the original is acknowledged only once its retry or dead letter is safe
        self.publisher = publisher(config["AMQP_URI"], use_confirms=True, mandatory=True)

    def unpack_message_headers(self, message):
        # Only nameko's own context headers become context data; ours stay on the message.
        prefix = f"{self.header_prefix}."
        return {k[len(prefix) :]: v for k, v in (message.headers or {}).items() if k.startswith(prefix)}

    def handle_message(self, body, message):
        try:
            event = from_message(body)
        except InvalidEvent as exc:
            self._settle_failure(message, body, exc, permanent=True)
            return
        handle_result = partial(self.handle_result, message, body)
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=self.unpack_message_headers(message),
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, body, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            # a test holds a message here, handled and committed but not yet acknowledged, to stop the process then
            pause_if_armed(self.container.service_name, "before_ack")
            self.queue_consumer.ack_message(message)
        else:
            self._settle_failure(message, body, exc_info[1], permanent=False)
        return result, exc_info

    # -- failure paths -------------------------------------------------------------
    def _settle_failure(self, message, body, exc, permanent: bool) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        transient = is_transient(exc)
        if self.broadcast and not permanent:
            _log.warning("%s: handling failed (%s); trying again shortly", self.queue.name, exc)
            eventlet.sleep(self.delays[min(2, len(self.delays) - 1)])
            self.queue_consumer.requeue_message(message)
            return
        try:
            if not permanent and (transient or attempts < self.max_attempts):
                self._retry_later(message, body, attempts, transient)
            else:
                self._dead_letter(message, body, exc, attempts)
        except Exception:
            # Could not park the message anywhere (the broker is failing over): give it back to the queue as it is,
            # after a pause — each return counts towards the queue's delivery limit.
            _log.exception("could not retry or dead-letter a message of %s", self.queue.name)
            eventlet.sleep(self.delays[-1] / 4)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _retry_later(self, message, body, attempts: int, transient: bool) -> None:
        headers = dict(message.headers or {})
        # Transient failures do not use up the attempts a real bug gets, but back off all the same.
        outages = int(headers.get(OUTAGES_HEADER, 0)) + 1 if transient else 0
        delay = self.delays[min(max(attempts, outages), len(self.delays)) - 1]
        headers[ATTEMPTS_HEADER] = attempts - 1 if transient else attempts
        headers[OUTAGES_HEADER] = outages
        _log.warning("%s: attempt %d failed; retrying in %.1fs", self.queue.name, attempts, delay)
        # The delay queue hands it back under this routing key: the name of the queue it failed in.
        self.publisher.publish(
            body,
            exchange=delay_exchange(delay),
            routing_key=self.queue.name,
            headers=headers,
            message_id=message.properties.get("message_id"),
        )

    def _dead_letter(self, message, body, exc, attempts: int) -> None:
        service = self.container.service_name
        headers = dict(message.headers or {})
        headers.update(
            {
                ATTEMPTS_HEADER: attempts,
                "x-civicgrid-queue": self.queue.name,
                "x-civicgrid-error": _describe(exc)[:4000],
                "x-civicgrid-failed-at": datetime.now(UTC).isoformat(),
                "x-civicgrid-original-message-id": message.properties.get("message_id") or "",
            }
        )
        _log.error("%s: dead-lettering a message after %d attempt(s): %s", self.queue.name, attempts, exc)
        self.publisher.publish(
            body,
            exchange=DEAD_LETTER_EXCHANGE,
            routing_key=dead_letter_routing_key(service, self.queue.name),
            headers=headers,
            declare=[DEAD_LETTER_EXCHANGE, self.dead_letters],
            message_id=str(uuid.uuid4()),
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, InvalidEvent):
        return f"InvalidEvent: {exc} {exc.errors}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


consume = EventConsumer.decorator


def event_handlers(table: Mapping[str, Mapping[str, str]], *, broadcast: bool = False) -> type:
    """A mixin with one ``@consume`` entrypoint (so one queue) per event of ``table``, each calling its handler.

    ``table`` is a service's whole subscription, written out at the top of its ``service.py``: source service ->
    event type -> the name of the method that handles it (``handler(self, event)``). The entrypoint is named
    ``on_<event type>`` (``on_case_reported``), which names its queue; the handler is a plain method, so a test
    or a reader calls and finds it by name.
    """

    def entrypoint(source: str, event_type: str, handler: str):
        def handle(self, event) -> None:
            getattr(self, handler)(event)

        handle.__name__ = entrypoint_name(event_type)
        handle.__doc__ = f"``{event_type}`` from {source} -> ``{handler}``"
        return consume(source, event_type, broadcast=broadcast)(handle)

    methods = {
        entrypoint_name(event_type): entrypoint(source, event_type, handler)
        for source, events in table.items()
        for event_type, handler in events.items()
    }
    return type("EventHandlers", (), methods)


def entrypoint_name(event_type: str) -> str:
    return "on_" + event_type.replace(".", "_")
