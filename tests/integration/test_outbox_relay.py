"""The outbox relay on the real store and broker: published once, never lost."""

import queue as stdlib_queue
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from pymongo import MongoClient, monitoring

from shared.events import from_message
from shared.lease import LEASES, Lease, LeaseTerms, new_holder
from shared.mongo import Repository
from shared.outbox import OUTBOX_FIELD, OUTBOX_SCAN, OutboxRelay, orphan_place, outbox_entries
from shared.sweep import Sweep
from tests.support.infra import wait_for
from tests.support.recording import Recorder
from tests.support.samples import sample_event


def make_relay(db, amqp_uri, grace=0.3, **options):
    return OutboxRelay(
        db,
        ["things"],
        "cases",
        amqp_uri,
        {"AMQP_URI": amqp_uri},
        lease=Lease(db[LEASES], OUTBOX_SCAN, new_holder(), LeaseTerms()),
        scan_interval=0.2,
        scan_grace=grace,
        **options,
    )


def drain(simple, expect=0, timeout=5.0, quiet=0.3):
    """The events received: waits up to ``timeout`` for ``expect`` of them, then ``quiet`` for more."""
    received = []
    while True:
        wait = timeout if len(received) < expect else quiet
        try:
            message = simple.get(timeout=wait)
        except stdlib_queue.Empty:
            return received
        message.ack()
        received.append(from_message(message.payload))


@pytest.fixture
def running(request):
    threads = []

    def start(relay):
        threads.append((relay, eventlet.spawn(relay.run)))
        return relay

    yield start
    for relay, thread in threads:
        relay.stop()
        thread.wait()


def test_an_event_written_with_its_state_is_published_and_cleared(store_db, amqp_uri, listen, running):
    inbox = listen("cases", "case.registered")
    relay = running(make_relay(store_db, amqp_uri))
    event = sample_event("case.registered")
    assert Repository(store_db, relay).insert_with_events("things", {"_id": "t1"}, [event])

    assert [e.event_id for e in drain(inbox, expect=1)] == [event.event_id]
    wait_for(lambda: store_db.things.find_one({"_id": "t1"})[OUTBOX_FIELD] == [], message="outbox cleared")
    assert drain(inbox) == []


def test_events_of_a_process_that_died_before_publishing_go_out_on_restart(store_db, amqp_uri, listen, running):
    inbox = listen("cases", "case.registered")
    event = sample_event("case.registered")
    # No relay: the write committed, then the process died.
    Repository(store_db, None).insert_with_events("things", {"_id": "t2"}, [event])
    assert store_db.things.find_one({"_id": "t2"})[OUTBOX_FIELD][0]["event_id"] == event.event_id

    running(make_relay(store_db, amqp_uri))  # the restarted process
    received = drain(inbox, expect=1)
    assert [e.event_id for e in received] == [event.event_id]
    wait_for(lambda: store_db.things.find_one({"_id": "t2"})[OUTBOX_FIELD] == [], message="outbox cleared")


def test_an_event_nobody_can_receive_stays_in_the_outbox_until_someone_can(store_db, amqp_uri, listen, running):
    event = sample_event("case.dispatched")
    running(make_relay(store_db, amqp_uri))
    Repository(store_db, None).insert_with_events("things", {"_id": "t3"}, [event])
    eventlet.sleep(1.0)  # several scans with no queue bound
    assert store_db.things.find_one({"_id": "t3"})[OUTBOX_FIELD], "unroutable event must be kept"

    inbox = listen("cases", "case.dispatched")
    assert [e.event_id for e in drain(inbox, expect=1)] == [event.event_id]


def orphan(doc_id: str, event_type: str, queued_at: datetime) -> tuple[dict, str]:
    """A document whose event a process that died left in the outbox at ``queued_at``; and the event's id."""
    event = sample_event(event_type)
    entries = [{**entry, "queued_at": queued_at} for entry in outbox_entries([event])]
    return {"_id": doc_id, OUTBOX_FIELD: entries}, event.event_id


def test_events_no_queue_receives_do_not_hold_up_the_ones_queued_behind_them(store_db, amqp_uri, listen, running):
    inbox = listen("cases", "case.registered")
    running(make_relay(store_db, amqp_uri, batch_size=20, scan_page=10))  # a scan takes 20 documents, 10 a page
    eventlet.sleep(0.1)  # past its start-up scan: the periodic one finds them
    old = datetime.now(UTC) - timedelta(minutes=5)
    stuck = [orphan(f"u{n:02}", "case.dispatched", old + timedelta(seconds=n)) for n in range(30)]  # no queue
    ready = [orphan(f"r{n}", "case.registered", old + timedelta(minutes=1, seconds=n)) for n in range(5)]
    store_db.things.insert_many([doc for doc, _ in stuck + ready])

    assert sorted(e.event_id for e in drain(inbox, expect=5)) == sorted(event_id for _, event_id in ready)
    wait_for(
        lambda: all(store_db.things.find_one({"_id": doc["_id"]})[OUTBOX_FIELD] == [] for doc, _ in ready),
        message="published events pulled",
    )
    assert all(store_db.things.find_one({"_id": doc["_id"]})[OUTBOX_FIELD] for doc, _ in stuck)


def test_the_scan_meets_each_document_once_by_its_oldest_entry_though_newer_ones_match_too(store_db, amqp_uri):
    old = datetime.now(UTC) - timedelta(minutes=5)
    docs = {"a": [0, 50], "b": [10], "c": [20, 30], "d": [40]}  # seconds after ``old`` of each entry
    store_db.things.insert_many(
        [
            {
                "_id": doc_id,
                OUTBOX_FIELD: [
                    {
                        **orphan(doc_id, "case.registered", old)[0][OUTBOX_FIELD][0],
                        "queued_at": old + timedelta(seconds=s),
                    }
                    for s in seconds
                ],
            }
            for doc_id, seconds in docs.items()
        ]
    )
    read = make_relay(store_db, amqp_uri)._orphans("things", datetime.now(UTC))

    met = [doc["_id"] for doc in Sweep(page=1, limit=100).run(read, orphan_place)]
    assert met == ["a", "b", "c", "d"]


def test_the_scan_reads_only_what_a_majority_of_the_replica_set_holds(mongo_server, db_prefix, amqp_uri):
    recorder = Recorder()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[recorder])
    try:
        db = client[f"{db_prefix}probe"]
        db.things.insert_one(orphan("x", "case.registered", datetime.now(UTC) - timedelta(minutes=5))[0])
        read = make_relay(db, amqp_uri)._orphans("things", datetime.now(UTC))
        recorder.reads.clear()

        list(Sweep(page=10, limit=10).run(read, orphan_place))

        assert recorder.reads and all(r.get("readConcern") == {"level": "majority"} for r in recorder.reads)
    finally:
        client.close()


def test_an_update_carries_its_events_and_applies_once_per_consumed_event(store_db, amqp_uri, listen, running):
    inbox = listen("cases", "case.dispatched")
    relay = running(make_relay(store_db, amqp_uri))
    repo = Repository(store_db, relay)
    repo.insert_with_events("things", {"_id": "t4", "n": 0}, [])
    cause = sample_event("routing.decided")
    effect = sample_event("case.dispatched")

    assert repo.update_with_events("things", {"_id": "t4"}, {"$inc": {"n": 1}}, [effect], consumed=cause)
    assert not repo.update_with_events("things", {"_id": "t4"}, {"$inc": {"n": 1}}, [effect], consumed=cause)

    assert store_db.things.find_one({"_id": "t4"})["n"] == 1
    assert [e.event_id for e in drain(inbox, expect=1)] == [effect.event_id]


def outbox_ids(db, doc_id: str) -> set[str]:
    return {entry["event_id"] for entry in db.things.find_one({"_id": doc_id})[OUTBOX_FIELD]}


class _Updates(monitoring.CommandListener):
    """Documents changed by each update command a client sends to the ``things`` (not the relay's lease)."""

    def __init__(self):
        self.changed = []
        self._things = set()

    def started(self, event):
        if event.command_name == "update" and event.command["update"] == "things":
            self._things.add(event.request_id)

    def succeeded(self, event):
        if event.request_id in self._things:
            self.changed.append(event.reply.get("nModified", 0))

    def failed(self, event):
        pass


def test_published_events_are_pulled_from_many_documents_per_write(mongo_server, db_prefix, amqp_uri, listen, running):
    updates = _Updates()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[updates])
    try:
        db = client[f"{db_prefix}probe"]
        inbox = listen("cases", "case.registered")
        repo = Repository(db, running(make_relay(db, amqp_uri)))
        for i in range(20):
            repo.insert_with_events("things", {"_id": f"burst{i}"}, [sample_event("case.registered")])

        assert len(drain(inbox, expect=20)) == 20
        wait_for(lambda: all(d[OUTBOX_FIELD] == [] for d in db.things.find()), message="outboxes cleared")
        # the relay's thread hears the reply to its last pull a moment after the store has committed it
        wait_for(lambda: sum(updates.changed) == 20, timeout=5, message=f"20 documents pulled ({updates.changed})")
        assert len(updates.changed) < 20, "pulls are batched, not one write per document"
    finally:
        client.close()


def test_a_document_written_again_drops_its_published_events_in_that_write_not_by_a_pull(
    mongo_server, db_prefix, amqp_uri, listen, running
):
    """A pull rewrites the document and all its index entries: a document written again before its pull sheds its
    published entries in that write, and is pulled once when it goes quiet."""
    updates = _Updates()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[updates])
    try:
        db = client[f"{db_prefix}probe"]
        inbox = listen("cases", "case.registered")
        relay = running(make_relay(db, amqp_uri, grace=60, mark_delay=0.5))
        repo = Repository(db, relay)
        first, second = sample_event("case.registered"), sample_event("case.registered")
        repo.insert_with_events("things", {"_id": "again", "n": 0}, [first])
        assert [e.event_id for e in drain(inbox, expect=1, quiet=0)] == [first.event_id]
        wait_for(lambda: relay.published_in("things", "again") == {first.event_id}, message="published, not pulled")

        assert repo.update_with_events("things", {"_id": "again"}, {"$inc": {"n": 1}}, [second])

        assert outbox_ids(db, "again") == {second.event_id}, "the published entry left with the write"
        assert updates.changed == [1], "one write, no pull"
        assert [e.event_id for e in drain(inbox, expect=1, quiet=0)] == [second.event_id]
        wait_for(lambda: outbox_ids(db, "again") == set(), message="pulled once quiet")
        assert updates.changed == [1, 1], "the write, then one pull of what it published"
        assert db.things.find_one({"_id": "again"})["n"] == 1
        assert (relay.shed_writes, relay.guard_misses) == (1, 0)
    finally:
        client.close()


def test_a_write_keeps_the_entries_it_does_not_know_published(store_db, amqp_uri, listen, running):
    """Another process's entry (not yet published) in the document: the write's guard misses, it adds its entry
    as usual, and the other entry stays until it is published."""
    inbox = listen("cases", "case.registered")
    relay = running(make_relay(store_db, amqp_uri, grace=60, mark_delay=30))  # no scan or pull meanwhile
    repo = Repository(store_db, relay)
    mine, theirs, next_ = (sample_event("case.registered") for _ in range(3))
    repo.insert_with_events("things", {"_id": "shared"}, [mine])
    assert [e.event_id for e in drain(inbox, expect=1, quiet=0)] == [mine.event_id]
    wait_for(lambda: relay.published_in("things", "shared") == {mine.event_id}, message="published, not pulled")
    Repository(store_db, None).update_with_events("things", {"_id": "shared"}, {"$set": {"by": "other"}}, [theirs])

    assert repo.update_with_events("things", {"_id": "shared"}, {"$set": {"by": "me"}}, [next_])

    assert outbox_ids(store_db, "shared") == {mine.event_id, theirs.event_id, next_.event_id}
    assert (relay.shed_writes, relay.guard_misses) == (0, 1)
    assert [e.event_id for e in drain(inbox, expect=1)] == [next_.event_id]
    relay.stop()  # pulls what it published; the other process's entry stays
    wait_for(lambda: outbox_ids(store_db, "shared") == {theirs.event_id}, message="what was published pulled")
    running(make_relay(store_db, amqp_uri))  # a process starting: its start-up scan sends the rest
    assert [e.event_id for e in drain(inbox, expect=1)] == [theirs.event_id]


def test_a_broker_that_lost_the_exchange_gets_it_again_and_the_event_goes_out(store_db, amqp_uri, listen, running):
    """The relay declares its exchange once, not before every publish — and again after a publish failed."""
    from amqp.exceptions import ChannelError
    from kombu import Connection, Exchange
    from kombu.exceptions import OperationalError

    inbox = listen("cases", "case.registered")
    relay = running(make_relay(store_db, amqp_uri))
    first = sample_event("case.registered")
    Repository(store_db, relay).insert_with_events("things", {"_id": "x1"}, [first])
    assert [e.event_id for e in drain(inbox, expect=1)] == [first.event_id]
    with Connection(amqp_uri) as conn:  # the broker lost its definitions (a reset, a new node)
        conn.default_channel.exchange_delete("cases.events")

    second = sample_event("case.registered")
    Repository(store_db, relay).insert_with_events("things", {"_id": "x2"}, [second])

    def declared_again():
        with Connection(amqp_uri) as conn:
            try:
                Exchange("cases.events", type="topic")(conn.default_channel).declare(passive=True)
            except (ChannelError, OperationalError):
                return False
        return True

    wait_for(declared_again, timeout=10, message="the relay declared its exchange again")
    inbox.queue.bind_to(exchange="cases.events", routing_key="case.registered", channel=inbox.channel)
    assert [e.event_id for e in drain(inbox, expect=1)] == [second.event_id]  # kept in the outbox till then


def test_a_batch_with_an_unroutable_event_marks_the_others_and_keeps_that_one(store_db, amqp_uri, listen, running):
    inbox = listen("cases", "case.registered")  # nothing is bound for case.dispatched
    relay = running(make_relay(store_db, amqp_uri, grace=60))  # no periodic scan meddles
    events = [sample_event("case.registered"), sample_event("case.dispatched"), sample_event("case.registered")]
    Repository(store_db, relay).insert_with_events("things", {"_id": "mixed"}, events)  # one batch of three

    assert sorted(e.event_id for e in drain(inbox, expect=2)) == sorted([events[0].event_id, events[2].event_id])
    wait_for(lambda: outbox_ids(store_db, "mixed") == {events[1].event_id}, message="the routable ones pulled")
    assert relay.published == 2


def test_events_the_broker_refuses_stay_in_the_outbox_and_go_out_later(store_db, amqp_uri, running):
    from kombu import Connection, Queue
    from nameko.standalone.events import get_event_exchange

    # A queue that holds one message and refuses more (the broker nacks them), as a full queue does.
    connection = Connection(amqp_uri)
    full = Queue(
        "probe-full",
        exchange=get_event_exchange("cases", {}),
        routing_key="case.registered",
        durable=True,
        queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    simple = connection.SimpleQueue(full)
    try:
        relay = running(make_relay(store_db, amqp_uri, grace=60))
        events = [sample_event("case.registered") for _ in range(3)]
        Repository(store_db, relay).insert_with_events("things", {"_id": "full"}, events)

        wait_for(lambda: len(outbox_ids(store_db, "full")) == 2, message="the one the queue took pulled")
        eventlet.sleep(0.5)
        assert len(outbox_ids(store_db, "full")) == 2, "the refused ones are kept"
        assert relay.published == 1

        relay.stop()
        running(make_relay(store_db, amqp_uri))  # its periodic scan sends them again, taken one at a time
        received: set[str] = set()
        wait_for(
            lambda: received.update(e.event_id for e in drain(simple, quiet=0.1)) or len(received) == 3,
            timeout=20,
            message="all three taken",
        )
        assert received == {e.event_id for e in events}  # a repeat is possible (at least once), a loss is not
        wait_for(lambda: outbox_ids(store_db, "full") == set(), message="every event pulled once taken")
    finally:
        simple.close()
        connection.release()


def test_a_connection_lost_mid_batch_marks_only_what_the_broker_confirmed(
    store_db, amqp_uri, listen, running, rabbit_admin, vhost, monkeypatch
):
    from amqp.exceptions import AMQPError

    import shared.confirms
    from shared.bus import connection_name

    inbox = listen("cases", "case.registered")
    events = [sample_event("case.registered") for _ in range(10)]
    # Written by a process that died before publishing: the relay's start-up scan takes all ten in one batch.
    Repository(store_db, None).insert_with_events("things", {"_id": "lost"}, events)
    name = f"{connection_name('cases')} outbox"

    closed: list[str] = []

    def relay_connection():  # listed once the broker has emitted its statistics; a closed one may linger there
        for c in rabbit_admin.connections():
            ours = c.get("vhost") == vhost and c.get("client_properties", {}).get("connection_name") == name
            if ours and c["name"] not in closed:
                return c["name"]
        return None

    class BrokerLost(shared.confirms.Producer):
        """On the relay's first connection, the broker closes it before the sixth message; on its second (the
        relay's retry), before the first."""

        made = 0

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            BrokerLost.made += 1
            self.lost_at, self.count = (6 if BrokerLost.made == 1 else 1 if BrokerLost.made == 2 else None), 0

        def publish(self, *args, **kwargs):
            self.count += 1
            if self.count == self.lost_at:
                closed.append(wait_for(relay_connection, timeout=15, message="the relay's connection listed"))
                rabbit_admin.close_connection(closed[-1])
                eventlet.sleep(0.5)  # its close on its way
            return super().publish(*args, **kwargs)

    monkeypatch.setattr(shared.confirms, "Producer", BrokerLost)
    outcomes = []
    relay = make_relay(store_db, amqp_uri, grace=60)
    publish = relay.publisher.publish
    relay.publisher.publish = lambda *args: outcomes.append(publish(*args)) or outcomes[-1]
    running(relay)

    wait_for(lambda: len(outcomes) == 2, timeout=40, message="the batch published, and tried again")
    first, retry = outcomes
    for outcome in outcomes:
        assert isinstance(outcome.error, AMQPError | OSError), f"the connection was lost: {outcome.error!r}"
    assert first.confirmed <= {e.event_id for e in events[:5]}, "nothing sent after the loss is confirmed"
    assert retry.confirmed == set()
    received = drain(inbox, expect=len(first.confirmed))
    assert first.confirmed <= {e.event_id for e in received}
    eventlet.sleep(1.5)  # past the relay's pull (a second after the document's last publish)
    assert outbox_ids(store_db, "lost") == {e.event_id for e in events} - first.confirmed, "only confirmed pulled"

    relay.stop()
    monkeypatch.undo()
    running(make_relay(store_db, amqp_uri))  # the restarted process sends the rest
    received += drain(inbox, expect=10 - len(received))
    assert {e.event_id for e in received} == {e.event_id for e in events}, "nothing lost"
    wait_for(lambda: outbox_ids(store_db, "lost") == set(), message="outbox cleared")
