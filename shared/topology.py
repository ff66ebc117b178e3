"""Names and declarations of every exchange and queue on the bus.

Queues must exist before anything is published to them, or RabbitMQ drops the
message as unroutable. Each service declares its own queues when it starts; the
launcher (and the deploy step in docker-compose) also declares the whole topology
up front from the service classes, so a producer that starts first loses nothing.
"""

from kombu import Exchange, Queue
from nameko.amqp.publish import get_connection
from nameko.standalone.events import get_event_exchange

DEAD_LETTER_EXCHANGE = Exchange("civicgrid.dead-letters", type="topic", durable=True)


def event_queue_name(source_service: str, event_type: str, service: str, method: str) -> str:
    # nameko's own naming for SERVICE_POOL handlers, kept so its tooling recognises them.
    return f"evt-{source_service}-{event_type}--{service}.{method}"


def retry_queue(queue_name: str) -> Queue:
    """Where a failed message waits out its back-off, then returns to ``queue_name``."""
    return Queue(
        f"{queue_name}.retry",
        durable=True,
        queue_arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


def dead_letter_queue(service: str) -> Queue:
    return Queue(
        f"{service}.dead-letters",
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=f"{service}.#",
        durable=True,
    )


def consumer_queues(service_cls, config) -> list:
    """Every kombu entity the event consumers of ``service_cls`` need."""
    from shared.messaging import EventConsumer  # the entrypoint imports this module

    entities = [DEAD_LETTER_EXCHANGE, dead_letter_queue(service_cls.name)]
    for method_name in dir(service_cls):
        method = getattr(service_cls, method_name)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if not isinstance(entrypoint, EventConsumer) or entrypoint.broadcast:
                continue  # broadcast queues belong to a running instance, which declares its own
            exchange = get_event_exchange(entrypoint.source_service, config)
            name = event_queue_name(
                entrypoint.source_service, entrypoint.event_type, service_cls.name, method_name
            )
            entities += [
                exchange,
                Queue(name, exchange=exchange, routing_key=entrypoint.event_type, durable=True),
                retry_queue(name),
            ]
    return entities


def declare(amqp_uri: str, entities) -> None:
    with get_connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            for entity in entities:
                entity.bind(channel).declare()
        finally:
            channel.close()


def declare_services(amqp_uri: str, service_classes, config=None) -> int:
    """Declare the queues of all ``service_classes``; returns how many entities."""
    config = config or {"AMQP_URI": amqp_uri}
    entities = [e for cls in service_classes for e in consumer_queues(cls, config)]
    declare(amqp_uri, entities)
    return len(entities)
