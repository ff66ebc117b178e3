"""Moving the queues an earlier version declared to the ones this version declares, messages and all.

RabbitMQ cannot change a queue's type or arguments in place: a classic queue of an
earlier civicgrid (or a quorum queue with other arguments) must be replaced by a new
queue of the same name. Each such queue is moved so that no message is lost, waiting
or arriving meanwhile:

0. the retry queue of versions before quorum queues (``<queue>.retry``) is emptied into
   its queue first, while that still exists (an expiring retry goes back by name);
1. a holding queue ``<name>.moving`` is declared with the same binding, so what is
   published from now on lands there too;
2. every message waiting in the old queue is copied into it (publisher confirms),
   each acknowledged in the old queue only once the copy is confirmed;
3. the old queue is deleted and this version's declared, with its binding;
4. the holding queue is unbound and its messages are copied into the new queue, then
   it is deleted.

A message published between 3 and 4 reaches both queues and is delivered twice, which
consumers already discard. A run stopped half-way is finished by the next one (a
holding queue left behind is emptied into its queue). Messages from a legacy retry
queue are tried again at once.

Nothing of an older version may consume a queue while it is moved: a queue with
consumers is refused, with what to do.
"""

import logging

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Producer, Queue

from shared.broker import connect
from shared.topology import QUORUM

_log = logging.getLogger(__name__)
HOLDING_SUFFIX = ".moving"
LEGACY_RETRY_SUFFIX = ".retry"
# Properties a copy keeps. Not user_id (checked against the connection's user), nor expiration: only retries carried
# one, and a retry moved out of its retry queue is due now — in an event queue it would expire into the dead letters.
_KEPT = ("message_id", "correlation_id", "reply_to", "timestamp", "type", "app_id", "priority")


class QueueInUse(Exception):
    pass


def upgrade_queues(amqp_uri: str, entities) -> list[str]:
    """Declare ``entities``, moving every queue that exists with other arguments; returns the queues moved or
    emptied. Raises ``QueueInUse`` if one to move is still consumed."""
    moved = []
    with connect(amqp_uri, confirm_publish=True) as connection:
        for entity in entities:
            if not isinstance(entity, Queue):
                _declare(connection, entity)
                continue
            legacy_retry = f"{entity.name}{LEGACY_RETRY_SUFFIX}"
            if entity.name.startswith("evt-") and _state(connection, legacy_retry) is not None:
                # First, while its queue still exists: a legacy retry that expires dead-letters to its queue by name
                # (not through the exchange the holding queue is bound to), and would be lost in the move's gap.
                if _state(connection, entity.name) is None:
                    _declare(connection, entity)
                _empty_into(connection, legacy_retry, entity.name)
                moved.append(legacy_retry)
            holding = _holding_queue(entity)
            if not _try_declare(connection, entity):
                _move(connection, entity, holding)
                moved.append(entity.name)
            if _state(connection, holding.name) is not None:  # this run's, or one an interrupted run left
                _unbind(connection, holding)
                _empty_into(connection, holding.name, entity.name)
    return moved


def _holding_queue(queue: Queue) -> Queue:
    return Queue(
        f"{queue.name}{HOLDING_SUFFIX}",
        exchange=queue.exchange,
        routing_key=queue.routing_key,
        durable=True,
        queue_arguments=QUORUM,
    )


def _declare(connection, entity) -> None:
    channel = connection.channel()
    try:
        entity.bind(channel).declare()
    finally:
        _close(channel)


def _try_declare(connection, queue: Queue) -> bool:
    """Declare ``queue``; False if a queue of that name exists with other arguments (the broker then closes the
    channel, so each try has its own)."""
    try:
        _declare(connection, queue)
    except PreconditionFailed:
        return False
    return True


def _state(connection, name: str) -> tuple[int, int] | None:
    """(messages, consumers) of queue ``name``, or None if there is none."""
    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(name, passive=True)
        return messages, consumers
    except NotFound:
        return None
    finally:
        _close(channel)


def _move(connection, queue: Queue, holding: Queue) -> None:
    messages, consumers = _state(connection, queue.name) or (0, 0)
    if consumers:
        raise QueueInUse(
            f"{queue.name} must be replaced by this version's queue, but {consumers} consumer(s) of an older version "
            "still read it: stop every civicgrid service (scale them to 0), then run `python -m deploy.prepare` "
            'again (docs/deployment.md, "Upgrading the queues")'
        )
    _log.warning("moving %s (%d message(s) waiting) to the queue this version declares", queue.name, messages)
    _declare(connection, holding)  # bound like the queue: what is published from now on lands there too
    _copy_all(connection, queue.name, holding.name)
    channel = connection.channel()
    try:
        # if_unused: a consumer that came since the check would hold messages the delete would take with it
        channel.queue_delete(queue.name, if_unused=True)
    except PreconditionFailed:
        raise QueueInUse(
            f"{queue.name} gained a consumer while it was being moved: stop every civicgrid service, "
            "then run `python -m deploy.prepare` again (its messages wait in "
            f"{holding.name})"
        ) from None
    finally:
        _close(channel)
    _declare(connection, queue)


def _unbind(connection, holding: Queue) -> None:
    if holding.exchange is None or not holding.exchange.name:
        return
    channel = connection.channel()
    try:
        holding.bind(channel).unbind_from(holding.exchange, holding.routing_key)
    finally:
        _close(channel)


def _empty_into(connection, source: str, target: str) -> None:
    copied = _copy_all(connection, source, target)
    channel = connection.channel()
    try:
        channel.queue_delete(source)
    finally:
        _close(channel)
    _log.warning("emptied %s into %s (%d message(s)) and deleted it", source, target, copied)


def _copy_all(connection, source: str, target: str) -> int:
    """Copy every message of ``source`` into ``target``, acknowledging each in ``source`` only after the broker
    confirmed its copy. Returns how many."""
    channel = connection.channel()
    producer = Producer(connection.channel())
    queue = Queue(source).bind(channel)
    copied = 0
    try:
        while (message := queue.get(no_ack=False)) is not None:
            properties = {k: message.properties[k] for k in _KEPT if message.properties.get(k) is not None}
            producer.publish(
                message.body,
                exchange="",
                routing_key=target,
                mandatory=True,
                delivery_mode=2,
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                headers=message.headers or {},
                **properties,
            )
            message.ack()
            copied += 1
    finally:
        _close(producer.channel)
        _close(channel)
    return copied


def _close(channel) -> None:
    if channel.is_open:
        channel.close()
