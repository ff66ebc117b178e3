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

Retries wait in ``<queue>.retry``, a queue whose expired messages the broker routes
back to the original queue. Dead letters wait in ``<service>.dead-letters`` where
``shared.deadletters`` lists and replays them.

``@consume(source, type, broadcast=True)`` delivers to every running instance of the
service, each on its own short-lived queue, instead of to one of them: for state
that each instance keeps in memory (reference data). An instance that was down
catches up by other means (a snapshot at start), so these queues need not outlive
their instance; a failed message is simply returned to the instance's queue after
a pause.
"""

import logging
import traceback
import uuid
from datetime import UTC, datetime
from functools import partial

import eventlet
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.events import BROADCAST, SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    PyMongoError,
    WTimeoutError,
)

from shared.config import setting
from shared.errors import ServiceUnavailable
from shared.events import InvalidEvent, from_message
from shared.topology import DEAD_LETTER_EXCHANGE, dead_letter_queue, declare, retry_queue

_log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-civicgrid-attempts"
# Waiting mends these (a store restarting, reference data not yet arrived): they never use up attempts.
TRANSIENT_ERRORS = (ConnectionFailure, AutoReconnect, ExecutionTimeout, WTimeoutError, ConnectionError,
                    ServiceUnavailable)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS) or (
        isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError"))

_DEFAULT_EXCHANGE = Exchange("")


class EventConsumer(EventHandler):
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
        self.max_attempts = setting(config, "EVENT_MAX_ATTEMPTS", 5, int)
        self.base_delay = setting(config, "EVENT_RETRY_BASE_SECONDS", 1.0, float)
        self.max_delay = setting(config, "EVENT_RETRY_MAX_SECONDS", 60.0, float)
        self.retry_queue = None if self.broadcast else retry_queue(self.queue.name)
        self.dead_letters = dead_letter_queue(self.container.service_name)
        declare(config["AMQP_URI"], [DEAD_LETTER_EXCHANGE, self.dead_letters,
                                     *([self.retry_queue] if self.retry_queue else [])])
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True)

    def unpack_message_headers(self, message):
        # Only nameko's own context headers become context data; ours stay on the message.
        prefix = f"{self.header_prefix}."
        return {k[len(prefix):]: v for k, v in (message.headers or {}).items() if k.startswith(prefix)}

    def handle_message(self, body, message):
        try:
            event = from_message(body)
        except InvalidEvent as exc:
            self._settle_failure(message, body, exc, permanent=True)
            return
        handle_result = partial(self.handle_result, message, body)
        try:
            self.container.spawn_worker(
                self, (event,), {},
                context_data=self.unpack_message_headers(message),
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, body, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
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
            eventlet.sleep(min(self.max_delay, self.base_delay * 5))
            self.queue_consumer.requeue_message(message)
            return
        try:
            if not permanent and (transient or attempts < self.max_attempts):
                self._retry_later(message, body, attempts, transient)
            else:
                self._dead_letter(message, body, exc, attempts)
        except Exception:
            # Could not park the message anywhere: give it back to the queue as it is.
            _log.exception("could not retry or dead-letter a message of %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _retry_later(self, message, body, attempts: int, transient: bool) -> None:
        delay = min(self.max_delay, self.base_delay * 2 ** (attempts - 1))
        headers = dict(message.headers or {})
        # Transient failures do not use up the attempts a real bug gets.
        headers[ATTEMPTS_HEADER] = attempts - 1 if transient else attempts
        _log.warning("%s: attempt %d failed; retrying in %.1fs", self.queue.name, attempts, delay)
        self.publisher.publish(
            body,
            exchange=_DEFAULT_EXCHANGE,
            routing_key=self.retry_queue.name,
            headers=headers,
            expiration=delay,
            declare=[self.retry_queue],
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
            routing_key=f"{service}.{self.queue.name}",
            headers=headers,
            declare=[DEAD_LETTER_EXCHANGE, self.dead_letters],
            message_id=str(uuid.uuid4()),
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, InvalidEvent):
        return f"InvalidEvent: {exc} {exc.errors}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


consume = EventConsumer.decorator


def consumers(source_service: str, event_types, handler: str, *, broadcast: bool = False) -> type:
    """A mixin with one ``@consume`` entrypoint (so one queue) per event type, each calling ``self.<handler>(event)``.

    For services that treat many event types alike (a read model, a notifier).
    """

    def entrypoint(event_type: str):
        def handle(self, event) -> None:
            getattr(self, handler)(event)

        handle.__name__ = "on_" + event_type.replace(".", "_")
        return consume(source_service, event_type, broadcast=broadcast)(handle)

    return type(f"{handler}_consumers", (), {"on_" + t.replace(".", "_"): entrypoint(t) for t in event_types})
