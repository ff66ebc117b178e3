"""Listing and replaying a service's dead letters.

Dead letters stay in the broker (``<service>.dead-letters``), where RabbitMQ's own
tools see them too. Listing browses the queue without consuming it: messages are
fetched unacknowledged and return to the queue, in order, when the channel closes.
Replaying publishes one message back to the queue it failed in, with a fresh
attempt count, then removes it from the dead letters.

Two kinds arrive there: those the consumer parked after its attempts (their
``x-civicgrid-*`` headers say where and why), and those the broker parked because
consumers died holding them ``REDELIVERY_LIMIT`` times (RabbitMQ's ``x-death``
header says from which queue; ``shared.topology``).
"""

import json

from kombu import Exchange
from nameko.extensions import DependencyProvider

from shared.broker import connect
from shared.bus import publisher
from shared.errors import NotFound
from shared.messaging import ATTEMPTS_HEADER
from shared.topology import REDELIVERY_LIMIT, dead_letter_queue, declare


def _origin(headers: dict) -> str | None:
    """The queue a dead letter failed in."""
    if headers.get("x-civicgrid-queue"):
        return headers["x-civicgrid-queue"]
    deaths = headers.get("x-death") or []
    return deaths[0].get("queue") if deaths else None


def _error(headers: dict) -> str | None:
    if headers.get("x-civicgrid-error"):
        return headers["x-civicgrid-error"]
    deaths = headers.get("x-death") or []
    if deaths and deaths[0].get("reason") == "delivery_limit":
        return (
            f"returned to its queue unsettled {REDELIVERY_LIMIT} times: a consumer died or lost its connection "
            "while holding it, or could not park it for a retry"
        )
    return f"dead-lettered by the broker ({deaths[0].get('reason')})" if deaths else None


def _death_time(headers: dict) -> str | None:
    deaths = headers.get("x-death") or []
    moment = deaths[0].get("time") if deaths else None
    return moment.isoformat() if hasattr(moment, "isoformat") else None


def _describe(message) -> dict:
    headers = message.headers or {}
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = message.body.decode("utf-8", "replace") if isinstance(message.body, bytes) else message.body
    return {
        "message_id": message.properties.get("message_id"),
        "queue": _origin(headers),
        "error": _error(headers),
        "failed_at": headers.get("x-civicgrid-failed-at") or _death_time(headers),
        "attempts": headers.get(ATTEMPTS_HEADER),
        "event_type": body.get("type") if isinstance(body, dict) else None,
        "event_id": body.get("event_id") if isinstance(body, dict) else None,
        "body": body,
    }


class DeadLetterBox:
    def __init__(self, amqp_uri: str, service: str):
        self.amqp_uri = amqp_uri
        self.queue = dead_letter_queue(service)
        self.publisher = publisher(amqp_uri, use_confirms=True, mandatory=True)

    def _fetch(self, channel, until=None, limit=1000):
        bound = self.queue.bind(channel)
        bound.declare()
        messages = []
        for _ in range(limit):
            message = bound.get(no_ack=False)
            if message is None:
                break
            messages.append(message)
            if until is not None and until(message):
                break
        return messages

    def browse(self, limit: int = 100) -> list[dict]:
        with connect(self.amqp_uri) as connection:
            channel = connection.channel()
            try:
                return [_describe(m) for m in self._fetch(channel, limit=limit)]
            finally:
                channel.close()  # everything fetched goes back, unacknowledged

    def replay(self, message_id: str) -> dict:
        with connect(self.amqp_uri) as connection:
            channel = connection.channel()
            try:
                messages = self._fetch(channel, until=lambda m: m.properties.get("message_id") == message_id)
                target = next((m for m in messages if m.properties.get("message_id") == message_id), None)
                if target is None:
                    raise NotFound.of("deadletter.not_found", message_id=message_id)
                headers = {
                    k: v
                    for k, v in (target.headers or {}).items()
                    if not k.startswith(("x-civicgrid-", "x-death", "x-first-death", "x-last-death"))
                }
                original_queue = _origin(target.headers or {})
                self.publisher.publish(
                    json.loads(target.body),
                    exchange=Exchange(""),
                    routing_key=original_queue,
                    headers=headers,
                    message_id=target.headers.get("x-civicgrid-original-message-id") or message_id,
                )
                target.ack()
                return {"replayed": message_id, "queue": original_queue}
            finally:
                channel.close()


class DeadLetters(DependencyProvider):
    def setup(self):
        self.box = DeadLetterBox(self.container.config["AMQP_URI"], self.container.service_name)

    def start(self):
        declare(self.box.amqp_uri, [self.box.queue])

    def get_dependency(self, worker_ctx):
        return self.box
