"""The raw ceilings of the broker and the store, measured on the platform's own instances.

Each figure is what one client does alone, with the guarantees the services use:

- broker publish: persistent messages to a quorum queue (as every queue a service
  waits on is: ``shared.topology``), each waiting for its publisher confirm (as the
  outbox relay publishes). On a cluster the queue has a member on every node and a
  confirm waits for a majority of them to have the message on disk: the figure is
  what replication costs one publisher;
- broker consume: the same messages, acknowledged one by one, prefetch as a
  service's ``MAX_WORKERS`` (as ``shared.messaging`` consumes);
- store insert: ``insert_one`` of a report-sized document with a string ``_id``
  and a unique secondary index (as every handler inserts);
- store update: ``update_one`` by ``_id`` and expected version, ``$set`` + ``$inc``
  (as the cases service applies a change).

They run in a queue and a database of the bench's own, before any load. The
database is left to die with the platform's store: dropping it made the store
busy for seconds, in the middle of the first load step.
"""

import time
import uuid

from kombu import Connection, Consumer, Exchange, Queue
from nameko.amqp.publish import Publisher
from pymongo import ASCENDING, IndexModel, MongoClient

from shared.topology import QUORUM

_BODY = {
    "event_id": "00000000-0000-0000-0000-000000000000",
    "type": "incident.reported",
    "payload": {"description": "x" * 120, "location": {"lat": 34.27, "lon": 108.96}},
}


def _rate(count: int, elapsed: float) -> float:
    return round(count / elapsed, 1) if elapsed > 0 else 0.0


def broker(amqp_uri: str, seconds: float, prefetch: int = 10) -> dict:
    """Publish with confirms for ``seconds``, then consume all of it with acks."""
    queue = Queue(f"bench.ceiling.{uuid.uuid4().hex[:8]}", exchange=Exchange(""), durable=True, queue_arguments=QUORUM)
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, declare=[queue])
    published, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        publisher.publish(_BODY, routing_key=queue.name, delivery_mode=2, serializer="json")
        published += 1
    publish_elapsed = time.perf_counter() - started

    consumed = 0

    def on_message(body, message):
        nonlocal consumed
        message.ack()
        consumed += 1

    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        with Consumer(channel, queues=[queue], callbacks=[on_message], prefetch_count=prefetch):
            started = time.perf_counter()
            while consumed < published:
                conn.drain_events(timeout=5)
            consume_elapsed = time.perf_counter() - started
        queue.bind(channel).delete()
    return {
        "broker_publish_per_s": _rate(published, publish_elapsed),
        "broker_consume_per_s": _rate(consumed, consume_elapsed),
        "broker_queue_type": "quorum",
    }


def store(mongo_uri: str, database: str, seconds: float) -> dict:
    """``insert_one`` for ``seconds``, then ``update_one`` over what was inserted."""
    client = MongoClient(mongo_uri, tz_aware=True)
    try:
        collection = client[database]["ceiling"]
        collection.create_indexes([IndexModel([("key", ASCENDING)], unique=True)])
        ids, started = [], time.perf_counter()
        while time.perf_counter() - started < seconds:
            doc_id = uuid.uuid4().hex
            collection.insert_one({"_id": doc_id, "key": doc_id, "version": 1, **_BODY})
            ids.append(doc_id)
        insert_elapsed = time.perf_counter() - started

        updated, started = 0, time.perf_counter()
        for doc_id in ids:
            if time.perf_counter() - started >= seconds:
                break
            collection.update_one({"_id": doc_id, "version": 1}, {"$set": {"status": "x"}, "$inc": {"version": 1}})
            updated += 1
        update_elapsed = time.perf_counter() - started
    finally:
        client.close()
    return {
        "store_insert_per_s": _rate(len(ids), insert_elapsed),
        "store_update_per_s": _rate(updated, update_elapsed),
    }
