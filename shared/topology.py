"""Names and declarations of every exchange and queue on the bus.

Queues must exist before anything is published to them, or RabbitMQ drops the
message as unroutable. The deploy step (``python -m deploy.prepare``, which
``make run`` runs too) declares the whole topology before any service starts, and
each service declares its own queues again when it starts, with the same arguments.

Every queue that holds messages someone is waiting for is a **quorum queue**
(``x-queue-type: quorum``), on a single broker as on a cluster: replicated by Raft,
it survives the loss of a minority of the cluster's nodes, where a classic queue
lives on one node (RabbitMQ 4 has no classic mirroring). These are the services'
event queues, their RPC request queues, their dead letters and the retry delay
queues. Two kinds are classic on purpose, because a quorum queue cannot be
exclusive or transient and these must be both: nameko's RPC reply queues and the
broadcast queues of reference data and the live feed. Each belongs to one running
process and lives and dies with its connection; what it held is not lost but asked
again (a reply is retried by the caller, reference data is re-read as a snapshot
when the connection returns, the live feed catches up from the feed).

Retries wait in **one queue per delay** (``civicgrid.retry.<ms>ms``, fed by a fanout
exchange of the same name): a message expires only at the head of its queue, so a
1 s retry must never sit behind a 60 s one. The delay queue's expired messages are
dead-lettered *at least once* (``x-dead-letter-strategy: at-least-once``, which
needs ``x-overflow: reject-publish``) back to the queue they came from, through the
default exchange under their own routing key, the name of that queue: a retry is
never dropped because its target was unavailable at that moment.

An event queue dead-letters a message its consumers have been handed
``REDELIVERY_LIMIT`` times without settling it (the process died while holding it,
each time) to the service's dead letters, at least once: a message that kills its
consumer cannot crash-loop every replica for ever. Failures a handler survives are
counted by the consumer itself (``shared.messaging``), because their back-off grows
with each attempt, which the broker's count cannot steer.
"""

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Exchange, Queue
from nameko.rpc import get_rpc_exchange
from nameko.standalone.events import get_event_exchange

from shared.broker import connect
from shared.config import ConfigError, setting

DEAD_LETTER_EXCHANGE = Exchange("civicgrid.dead-letters", type="topic", durable=True)
# Deliveries of one message to consumers that never settled it before it is parked as a dead letter. Part of the
# queues' arguments: changing it changes every queue, which deploy.prepare then moves (docs/deployment.md).
REDELIVERY_LIMIT = 20
# balanced: a new queue's leader goes to the node leading the fewest, not to the node the declaring client happens to
# be connected to (the deploy step's: every leader on one node, which then does all the routing)
QUORUM = {"x-queue-type": "quorum", "x-queue-leader-locator": "balanced"}
# at-least-once dead-lettering is only offered with reject-publish overflow (no queue here has a length limit)
_AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def event_queue_name(source_service: str, event_type: str, service: str, method: str) -> str:
    # nameko's own naming for SERVICE_POOL handlers, kept so its tooling recognises them.
    return f"evt-{source_service}-{event_type}--{service}.{method}"


def event_queue(name: str, exchange: Exchange, routing_key: str, service: str) -> Queue:
    """A service's queue of one event type: quorum, redeliveries bounded into its dead letters."""
    return Queue(
        name,
        exchange=exchange,
        routing_key=routing_key,
        durable=True,
        queue_arguments={
            **QUORUM,
            **_AT_LEAST_ONCE,
            "x-delivery-limit": REDELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
            "x-dead-letter-routing-key": dead_letter_routing_key(service, name),
        },
    )


def rpc_queue(service: str, config) -> Queue:
    """A service's RPC requests. A request redelivered that often was abandoned by its caller long ago: dropped."""
    return Queue(
        f"rpc-{service}",
        exchange=get_rpc_exchange(config),
        routing_key=f"{service}.*",
        durable=True,
        queue_arguments={**QUORUM, "x-delivery-limit": REDELIVERY_LIMIT},
    )


def transient_queue(name: str, exchange: Exchange, routing_key: str) -> Queue:
    """A queue of one running process (RPC replies, broadcasts): classic, gone with its connection."""
    return Queue(name, exchange=exchange, routing_key=routing_key, durable=False, exclusive=True, auto_delete=True)


def dead_letter_routing_key(service: str, queue_name: str) -> str:
    return f"{service}.{queue_name}"


def dead_letter_queue(service: str) -> Queue:
    """Where a service's failures wait for an operator. Listing them returns each to the queue unsettled, which a
    quorum queue counts as a delivery (RabbitMQ 4 gives every quorum queue a limit of 20 by default): the limit is
    set far out of reach, so that looking at dead letters never drops one."""
    return Queue(
        f"{service}.dead-letters",
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=f"{service}.#",
        durable=True,
        queue_arguments={**QUORUM, "x-delivery-limit": 1_000_000_000},
    )


# -- retries ------------------------------------------------------------------------------
def retry_delays(config) -> list[float]:
    """The back-off ladder in seconds: ``EVENT_RETRY_BASE_SECONDS`` doubling up to ``EVENT_RETRY_MAX_SECONDS``."""
    base = setting(config, "EVENT_RETRY_BASE_SECONDS", 1.0, float)
    longest = setting(config, "EVENT_RETRY_MAX_SECONDS", 60.0, float)
    if not 0.001 <= base <= longest:
        raise ConfigError(
            f"configuration EVENT_RETRY_BASE_SECONDS={base:g} must be at least 0.001 and at most "
            f"EVENT_RETRY_MAX_SECONDS={longest:g} (each delay is a queue of its own)"
        )
    delays, delay = [], base
    while delay < longest:
        delays.append(delay)
        delay *= 2
    return [*delays, longest]


def delay_exchange(seconds: float) -> Exchange:
    return Exchange(_delay_name(seconds), type="fanout", durable=True)


def delay_queue(seconds: float) -> Queue:
    """Where a retry waits ``seconds``, then returns to the queue named by its routing key."""
    return Queue(
        _delay_name(seconds),
        exchange=delay_exchange(seconds),
        durable=True,
        queue_arguments={
            **QUORUM,
            **_AT_LEAST_ONCE,
            "x-message-ttl": _milliseconds(seconds),
            "x-dead-letter-exchange": "",  # the default exchange: the routing key is the queue the message came from
        },
    )


def retry_entities(config) -> list:
    return [entity for seconds in retry_delays(config) for entity in (delay_exchange(seconds), delay_queue(seconds))]


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _delay_name(seconds: float) -> str:
    return f"civicgrid.retry.{_milliseconds(seconds)}ms"


# -- a service's whole topology -------------------------------------------------------------
def consumer_queues(service_cls, config) -> list:
    """Every kombu entity the consumers of ``service_cls`` need (events, RPC, retries, dead letters)."""
    from shared.bus import Rpc  # the entrypoints import this module
    from shared.messaging import EventConsumer

    entities = [DEAD_LETTER_EXCHANGE, dead_letter_queue(service_cls.name)]
    serves_rpc = False
    for method_name in dir(service_cls):
        method = getattr(service_cls, method_name)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            serves_rpc = serves_rpc or isinstance(entrypoint, Rpc)
            if not isinstance(entrypoint, EventConsumer) or entrypoint.broadcast:
                continue  # broadcast queues belong to a running instance, which declares its own
            exchange = get_event_exchange(entrypoint.source_service, config)
            name = event_queue_name(entrypoint.source_service, entrypoint.event_type, service_cls.name, method_name)
            entities += [exchange, event_queue(name, exchange, entrypoint.event_type, service_cls.name)]
    if serves_rpc:
        entities += [get_rpc_exchange(config), rpc_queue(service_cls.name, config)]
    return entities


def service_entities(service_classes, config) -> list:
    """The topology of ``service_classes``: their queues and the retry delay queues they share."""
    return [*retry_entities(config), *(e for cls in service_classes for e in consumer_queues(cls, config))]


def retired_queues(service_classes) -> list[str]:
    """The event queues an earlier version of ``service_classes`` consumed and this one no longer does: each class's
    ``RETIRED_EVENTS`` (``{source service: (event type, ...)}``). Still bound to their exchanges, they would keep
    every such event for nobody: the deploy step deletes them once no older replica runs (``python -m
    deploy.prepare --retire``)."""
    from shared.messaging import entrypoint_name  # it imports this module

    return [
        event_queue_name(source, event_type, cls.name, entrypoint_name(event_type))
        for cls in service_classes
        for source, event_types in getattr(cls, "RETIRED_EVENTS", {}).items()
        for event_type in event_types
    ]


def delete_queues(amqp_uri: str, names: list[str]) -> list[str]:
    """Delete the queues ``names`` that exist, whatever they hold; returns those deleted."""
    deleted = []
    with connect(amqp_uri) as connection:
        for name in names:
            channel = connection.channel()
            try:
                channel.queue_declare(name, passive=True)
            except NotFound:
                continue  # never declared here, or deleted already (the passive declare closed that channel)
            channel.queue_delete(name)
            channel.close()
            deleted.append(name)
    return deleted


class TopologyMismatch(Exception):
    """A queue on the broker was declared with other arguments than this version's (a classic queue of an
    earlier version, say)."""


def declare(amqp_uri: str, entities) -> None:
    with connect(amqp_uri) as connection:
        channel = connection.channel()
        try:
            for entity in entities:
                try:
                    entity.bind(channel).declare()
                except PreconditionFailed as exc:
                    raise TopologyMismatch(
                        f"{entity.name} exists on the broker with other arguments than this "
                        f"version declares ({exc.reply_text}): {_hint(entity)}"
                    ) from None
        finally:
            if channel.is_open:
                channel.close()


def _hint(entity) -> str:
    if isinstance(entity, Queue):
        return (
            "run `python -m deploy.prepare` with the services stopped: it moves the messages into the queue this "
            'version declares (docs/deployment.md, "Upgrading the queues")'
        )
    return (
        "an exchange cannot be moved: delete it (RabbitMQ's management UI, or rabbitmqadmin delete exchange), "
        "then run `python -m deploy.prepare`"
    )


_declared: set[tuple[str, str]] = set()


def declare_once(amqp_uri: str, entities) -> None:
    """``declare``, skipping what this process declared on that broker before: every consumer of a process needs
    the same retry and dead-letter queues, and a declaration is a round trip."""
    wanted = [e for e in entities if (amqp_uri, f"{type(e).__name__}:{e.name}") not in _declared]
    if wanted:
        declare(amqp_uri, wanted)
        _declared.update((amqp_uri, f"{type(e).__name__}:{e.name}") for e in wanted)
