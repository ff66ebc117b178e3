"""What one message and one store write cost, on this machine: ``python -m bench.overhead``.

The figures behind "what bounds the numbers" in docs/benchmarks.md, each measured as
CPU time (not wall time) of the process that pays it:

- **consuming**: a nameko service whose event handler does nothing, through
  ``shared.messaging.consume`` (contract check, ack after the handler), run in this
  process after the messages are queued: CPU per message;
- **the framework per message** (``--framework`` alone, ~30 s): each figure twice, with nameko and
  marshmallow as shipped and with civicgrid's changes (``shared.events.compiled``,
  ``shared.nameko_patches``, ``shared.bus.SerialisedOnceResponder`` and ``SignatureCheckedOnce``):
  the contract check of one event (envelope and payload, as a consumer loads it); finding nameko's pooled producer for a
  publish; a no-op event handler (as below); an RPC round trip to a no-op service answering a
  case-sized document, caller (a service, as the gateway is) and service in this process: CPU per call
  of both;
- **publishing**: nameko's ``Publisher`` with confirms, with and without declaring the
  exchange before every publish (the outbox relay used to), and without confirms (the
  live feed's announcements): this process's CPU per publish; and with confirms and
  mandatory routing as the outbox relay publishes, one at a time (each confirm awaited
  before the next, as it did) and in batches of 1, 10 and 100 whose confirms are awaited
  once per batch (``shared.confirms``, as it does now);
- **store writes**: ``insert_one`` and ``update_one`` of a case-sized document on the
  embedded store (a SecantusDB process of its own) with one secondary index and with
  thirteen (as the case has), without and with ``--sync-on-commit`` (as ``make run``
  starts a store on disk): the store process's CPU per write;
- **guarded updates** (``--guarded``, alone, ~1 min, no broker): on a synced store whose collection has the case's
  indexes and 3,000 cases, the store's CPU per read by ``_id`` (with and without a projection), per update by
  ``_id`` alone and with the case's guards (version, status, an event not yet seen), per outbox pull and per
  insert, and per ``insert_many`` of 20 inbox entries into a collection of five indexes (notifications' filing),
  with SecantusDB's own server and as ``deploy.launch.secantusd`` runs it (docs/architecture.md, "Queries on the
  embedded store").
- **the outbox's ways** (``--outbox``, alone: no broker needed): store and client CPU per
  case event of each way of carrying events out of the cases store (``outbox_ways``).
- **the indicators' writes** (``--indicators``, alone, no broker): on a synced store, the store's CPU per write of
  a case's fact document (a case eight events in, as ``services/indicators/storage.take_event`` makes it) replaced
  whole with its contributions packed in one string (as stored) and as an array of triples (as before), and updated
  by a ``$set`` of what an event changes; per ``$inc`` of a daily counter (one key's day, as stored) and of a
  month's counter (a key's 30 days in one document: the candidate layout); per six daily counters in six
  ``UpdateOne`` and in one ``update_many`` (``indicator_writes``).
- **a report's event, written once** (``--reports``, alone, ~1 min, no broker): store and client CPU per report of
  each way of carrying ``incident.reported`` out of reporting's store, whose reports are not written again after it
  (``report_outbox_ways``), and the client's CPU per command as the services' clients are made and with the options
  one might turn off (``client_per_command``).

Not a test and not part of ``make bench``; it prints one table and takes about a minute
(``--publishing``: the publishing figures alone; ``--outbox``: the outbox's, ~20 s).
It needs what ``make bench`` needs (RabbitMQ with its management API).
"""

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # eventlet announces its own at import

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from kombu import Exchange, Queue  # noqa: E402
from nameko.amqp.publish import Publisher  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.rpc import Responder  # noqa: E402
from nameko.standalone.events import get_event_exchange  # noqa: E402
from nameko.testing.services import entrypoint_hook  # noqa: E402
from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient  # noqa: E402

from deploy.launch.embedded_store import MEMORY, EmbeddedStore  # noqa: E402
from services.cases.storage import CASES, CaseStore  # noqa: E402
from services.reporting.storage import REPORTS, ReportStore  # noqa: E402
from shared import nameko_patches  # noqa: E402
from shared.bus import SerialisedOnceResponder, SignatureCheckedOnce  # noqa: E402
from shared.bus import publisher as relay_publisher  # noqa: E402
from shared.confirms import BatchPublisher  # noqa: E402
from shared.events import from_message, to_message  # noqa: E402
from shared.events.compiled import Loader  # noqa: E402
from shared.messaging import consume  # noqa: E402
from shared.metrics import StoreCommandMetrics  # noqa: E402
from shared.outbox import OUTBOX_FIELD, OUTBOX_INDEX, QUEUED_AT  # noqa: E402
from shared.rpc import TimedRpcProxy, rpc  # noqa: E402
from shared.topology import declare  # noqa: E402
from tests.support.infra import RabbitAdmin, amqp_base_uri, free_port, rabbit_api_uri, unique_name  # noqa: E402
from tests.support.samples import sample_event  # noqa: E402

MESSAGES = 2000
CALLS = 1000
CHECKS = 5000
WRITES = 500
_handled = 0


class Sink:
    name = "overhead_sink"

    @consume("cases", "case.dispatched")
    def on_case_dispatched(self, event) -> None:
        global _handled
        _handled += 1


class Answering:
    """A service whose RPC does nothing but answer a case-sized document."""

    name = "overhead_answering"

    @rpc
    def get(self, n: int) -> dict:
        return {**_case(n), "created_at": "2026-11-23T09:00:00+00:00"}


class Asking:
    """A caller as the gateway is: a service with a ``TimedRpcProxy``."""

    name = "overhead_asking"
    answering = TimedRpcProxy("overhead_answering")

    @rpc
    def ask(self, calls: int) -> None:
        for n in range(calls):
            self.answering.get(n)


@contextlib.contextmanager
def _as_shipped():
    """nameko and marshmallow without civicgrid's per-message changes: Schema.load for every event, a kombu
    Connection built per publish to find the pool, the reply serialised twice, every call's signature checked."""
    loader_call, send_response = Loader.__call__, SerialisedOnceResponder.send_response
    check_signature = SignatureCheckedOnce.check_signature
    Loader.__call__ = lambda self, data: self.schema.load(data, unknown=self.unknown)
    SerialisedOnceResponder.send_response = Responder.send_response
    SignatureCheckedOnce.check_signature = lambda self, args, kwargs: super(SignatureCheckedOnce, self).check_signature(
        args, kwargs
    )
    nameko_patches._nameko_publish.get_producer = nameko_patches._original_get_producer
    try:
        yield
    finally:
        Loader.__call__, SerialisedOnceResponder.send_response = loader_call, send_response
        SignatureCheckedOnce.check_signature = check_signature
        nameko_patches.apply()


def _both(measure) -> tuple[float, float]:
    """``measure()`` as shipped, then with civicgrid's changes."""
    with _as_shipped():
        before = measure()
    return before, measure()


def contract_check() -> float:
    """CPU ms per event of the consumer's check, envelope and payload (``from_message``), of case.dispatched."""
    body = json.loads(json.dumps(to_message(sample_event("case.dispatched"))))
    from_message(body)
    started = _cpu()
    for _ in range(CHECKS):
        from_message(body)
    return (_cpu() - started) / CHECKS * 1000


def finding_the_producer(amqp_uri: str) -> float:
    """CPU ms per publish of entering and leaving nameko's ``get_producer`` (nothing published)."""
    get_producer = nameko_patches._nameko_publish.get_producer
    options = dict(Publisher.transport_options)
    with get_producer(amqp_uri, True, None, None, options):
        pass
    started = _cpu()
    for _ in range(CHECKS):
        with get_producer(amqp_uri, True, None, None, options):
            pass
    return (_cpu() - started) / CHECKS * 1000


def rpc_round_trip(amqp_uri: str) -> float:
    """CPU ms per call, caller and answering service together (both in this process)."""
    config = {"AMQP_URI": amqp_uri, "max_workers": 10, "serializer": "json", "RPC_TIMEOUT_SECONDS": 30}
    answering, asking = ServiceContainer(Answering, config), ServiceContainer(Asking, config)
    answering.start()
    asking.start()
    try:
        with entrypoint_hook(asking, "ask") as ask:
            ask(20)
            started = _cpu()
            ask(CALLS)
            return (_cpu() - started) / CALLS * 1000
    finally:
        asking.stop()
        answering.stop()


def framework(amqp_uri: str) -> dict[str, float]:
    found = {}
    for label, measure in (
        ("contract check of one event (case.dispatched, envelope and payload)", contract_check),
        ("finding nameko's pooled producer, per publish", partial_uri(finding_the_producer, amqp_uri)),
        ("consume, no-op handler (shared.messaging)", partial_uri(consuming, amqp_uri)),
        ("RPC round trip, case-sized answer (caller + service)", partial_uri(rpc_round_trip, amqp_uri)),
    ):
        before, after = _both(measure)
        found[f"{label}: as shipped"] = before
        found[f"{label}: civicgrid's"] = after
    return found


def partial_uri(measure, amqp_uri: str):
    return lambda: measure(amqp_uri)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def consuming(amqp_uri: str) -> float:
    """CPU ms per message of a no-op nameko event handler."""
    global _handled
    _handled = 0
    config = {"AMQP_URI": amqp_uri, "max_workers": 10, "serializer": "json"}
    container = ServiceContainer(Sink, config)
    container.start()  # declares its queue
    container.stop()
    exchange = get_event_exchange("cases", {})
    publisher = Publisher(amqp_uri)
    event = sample_event("case.dispatched")
    for _ in range(MESSAGES):
        message = to_message(event)
        message["event_id"] = str(uuid.uuid4())
        publisher.publish(message, exchange=exchange, routing_key="case.dispatched")
    container = ServiceContainer(Sink, config)
    started = _cpu()
    container.start()
    while _handled < MESSAGES:
        eventlet.sleep(0.01)
    spent = _cpu() - started
    container.stop()
    return spent / MESSAGES * 1000


def publishing(amqp_uri: str) -> dict[str, float]:
    """CPU ms per publish of nameko's Publisher, three ways."""
    exchange = Exchange(f"overhead.{uuid.uuid4().hex[:8]}", type="topic", durable=False, auto_delete=False)
    declare(amqp_uri, [exchange])
    body = to_message(sample_event("case.dispatched"))
    found = {}
    for label, publisher in (
        ("publish, confirms, exchange declared each time", Publisher(amqp_uri, declare=[exchange])),
        ("publish, confirms", Publisher(amqp_uri)),
        ("publish, no confirms", Publisher(amqp_uri, use_confirms=False)),
    ):
        publisher.publish(body, exchange=exchange, routing_key="nowhere")
        started = _cpu()
        for _ in range(MESSAGES):
            publisher.publish(body, exchange=exchange, routing_key="nowhere")
        found[label] = (_cpu() - started) / MESSAGES * 1000
    return found


def batched_publishing(amqp_uri: str) -> dict[str, float]:
    """CPU ms per publish with confirms and mandatory routing, as the outbox relay publishes: one at a time, each
    confirm awaited before the next (nameko's Publisher, the relay until issue 19), and a batch at a time, the
    batch's confirms awaited once (``shared.confirms``, the relay since)."""
    exchange = Exchange(f"overhead.{uuid.uuid4().hex[:8]}", type="topic", durable=False, auto_delete=False)
    # a queue that keeps only the newest messages: mandatory routing finds a queue, the broker's memory stays small
    sink = Queue(
        f"{exchange.name}.sink",
        exchange=exchange,
        routing_key="overhead",
        durable=False,
        queue_arguments={"x-max-length": 100},
    )
    declare(amqp_uri, [exchange, sink])
    body = to_message(sample_event("case.dispatched"))
    found = {}
    one = relay_publisher(amqp_uri, use_confirms=True, mandatory=True)
    one.publish(body, exchange=exchange, routing_key="overhead", message_id="warm-up")
    started = _cpu()
    for n in range(MESSAGES):
        one.publish(body, exchange=exchange, routing_key="overhead", message_id=str(n))
    found["publish, confirms, mandatory, one at a time (the relay before issue 19)"] = (
        (_cpu() - started) / MESSAGES * 1000
    )
    batched = BatchPublisher(amqp_uri, timeout=10)
    batched.publish(exchange, [("overhead", body, "warm-up")])
    for size in (1, 10, 100):
        started = _cpu()
        confirmed = 0
        for first in range(0, MESSAGES, size):
            outcome = batched.publish(exchange, [("overhead", body, str(n)) for n in range(first, first + size)])
            confirmed += len(outcome.confirmed)
        assert confirmed == MESSAGES, f"{confirmed} of {MESSAGES} confirmed"
        found[f"publish, confirms, mandatory, {size} a batch (shared.confirms)"] = (_cpu() - started) / MESSAGES * 1000
    batched.close()
    return found


def _case(n: int) -> dict:
    return {
        "_id": f"C{n:08d}",
        "status": "reported",
        "departments": ["sanitation"],
        "grid": f"g{n % 800}",
        "community": f"c{n % 100}",
        "street": f"s{n % 9}",
        "category": "sanitation",
        "priority": "normal",
        "reporters": [f"u{n % 40}"],
        "supervised": False,
        "created_at": n,
        "stage_deadline": n,
        "description": "垃圾堆积 " * 20,
        "history": [{"action": "report", "note": "x" * 60}],
    }


def store_writes(sync: bool) -> dict[str, float]:
    """Store CPU ms per insert and per update, with 1 and 13 secondary indexes; ``sync``: with
    ``--sync-on-commit``, as ``make run`` starts a store on disk."""
    logs = tempfile.mkdtemp(prefix="cgoverhead")
    store = EmbeddedStore(free_port(), MEMORY, log_file=Path(logs) / "store.log", sync=sync, bound=False)
    mode = ", synced" if sync else ""
    found = {}
    try:
        store.start()
        server = store.process
        client = MongoClient(store.uri, serverSelectionTimeoutMS=30000)
        # The case's own indexes (cases' storage), and the first of them alone: what a write of a case costs the
        # store beside a write to a collection with one index.
        case_indexes = CaseStore.indexes[CASES]
        for models in (case_indexes[:1], case_indexes):
            count = len(models)
            collection = client["overhead"][f"cases{count}"]
            collection.create_indexes(models)
            started = _process_cpu(server.pid)
            for n in range(WRITES):
                collection.insert_one(_case(n))
            found[f"store insert, {count} index(es){mode}"] = (_process_cpu(server.pid) - started) / WRITES * 1000
            started = _process_cpu(server.pid)
            for n in range(WRITES):
                collection.update_one({"_id": f"C{n:08d}"}, {"$set": {"note": n}})
            found[f"store update, {count} index(es){mode}"] = (_process_cpu(server.pid) - started) / WRITES * 1000
        client.close()
    finally:
        store.stop()
        shutil.rmtree(logs, ignore_errors=True)
    return found


GUARDED_DOCS = 3000


def guarded_updates(stock: bool) -> dict[str, float]:
    """Store CPU ms per write and per read of a case by ``_id`` on a synced store whose collection has the case's
    indexes and ``GUARDED_DOCS`` cases: a read, an update by ``_id`` that changes no indexed field, the case's guarded
    updates (``_id``, version, status and an event not yet seen, as ``services/cases/storage._filter`` and
    ``shared.mongo`` write them; each changes the status and the stage's deadline, as a stage does), the outbox
    relay's pull of a published event (``shared.outbox``), and an insert; with SecantusDB's own server (``stock``) or
    as civicgrid starts it (``deploy.launch.secantusd``)."""
    logs = tempfile.mkdtemp(prefix="cgoverhead")
    store = EmbeddedStore(free_port(), MEMORY, log_file=Path(logs) / "store.log", sync=True, bound=False, stock=stock)
    server = "SecantusDB's own" if stock else "deploy.launch.secantusd"
    found = {}

    def per_op(label, op) -> None:
        started = _process_cpu(store.process.pid)
        for n in range(WRITES):
            op(n, f"C{n:08d}")
        found[f"{label} ({server})"] = (_process_cpu(store.process.pid) - started) / WRITES * 1000

    def stage(n: int, status: str) -> dict:
        return {
            "$set": {"status": status, "stage_deadline": n + 1},
            "$inc": {"version": 1},
            "$push": {"history": {"action": status, "note": "x" * 60}, "_outbox": {"event_id": f"{status}{n}"}},
        }

    try:
        store.start()
        client = MongoClient(store.uri, serverSelectionTimeoutMS=30000)
        cases = client["overhead"]["cases"]
        cases.create_indexes(CaseStore.indexes[CASES])
        cases.insert_many([{**_case(n), "version": 0} for n in range(GUARDED_DOCS)])
        hidden = {"_outbox": 0, "_seen": 0}
        per_op("store find_one by _id", lambda n, i: cases.find_one({"_id": i}))
        per_op("store find_one by _id, projection", lambda n, i: cases.find_one({"_id": i}, hidden))
        per_op(
            "store update by _id, no indexed field", lambda n, i: cases.update_one({"_id": i}, {"$set": {"note": n}})
        )
        per_op(
            "store update by _id, version, status",
            lambda n, i: cases.update_one({"_id": i, "version": 0, "status": "reported"}, stage(n, "registered")),
        )
        per_op(
            "store outbox pull (update_many by _id $in)",
            lambda n, i: cases.update_many(
                {"_id": {"$in": [i]}}, {"$pull": {"_outbox": {"event_id": {"$in": [f"registered{n}"]}}}}
            ),
        )
        per_op(
            "store update by _id, version, status, event not seen",
            lambda n, i: cases.update_one(
                {"_id": i, "version": 1, "status": "registered", "_seen": {"$ne": "e"}},
                {**stage(n, "dispatched"), "$push": {"_seen": {"$each": ["e"], "$slice": -50}}},
            ),
        )
        per_op("store insert", lambda n, i: cases.insert_one({**_case(GUARDED_DOCS + n), "version": 0}))
        assert cases.count_documents({"version": 2, "_outbox": []}) == WRITES, "every write applied"
        # notifications' filing: one insert_many of a case event's inbox entries into a collection of five indexes
        inbox = client["overhead"]["inbox"]
        inbox.create_indexes(INBOX_INDEXES)
        started = _process_cpu(store.process.pid)
        for n in range(INBOX_BATCHES):
            inbox.insert_many([_inbox_entry(n, k) for k in range(INBOX_BATCH)])
        found[f"store insert_many of {INBOX_BATCH} inbox entries, {len(INBOX_INDEXES)} indexes ({server})"] = (
            (_process_cpu(store.process.pid) - started) / INBOX_BATCHES * 1000
        )
        assert inbox.count_documents({}) == INBOX_BATCHES * INBOX_BATCH, "every entry inserted"
        client.close()
    finally:
        store.stop()
        shutil.rmtree(logs, ignore_errors=True)
    return found


INBOX_BATCHES, INBOX_BATCH = 100, 20
# the notifications' inbox as it stood before two indexes nobody asked by were dropped: one unique, five in all
INBOX_INDEXES = [
    IndexModel([("dedup_key", ASCENDING)], unique=True),
    IndexModel([("department", ASCENDING), ("_id", DESCENDING)]),
    IndexModel([("user_id", ASCENDING), ("read", ASCENDING), ("_id", DESCENDING)]),
    IndexModel([("case_id", ASCENDING)]),
    IndexModel([("correlation_id", ASCENDING)]),
]


def _inbox_entry(n: int, k: int) -> dict:
    """An inbox entry as ``services/notifications/domain/planning.py`` files it, one per operator of a case event."""
    return {
        "_id": f"N{n:06d}{k:03d}",
        "dedup_key": f"E{n}:user:op{k}:inbox",
        "recipient": {"kind": "user", "id": f"op{k}"},
        "user_id": f"op{k}",
        "kind": "case.dispatched",
        "case_id": f"C{n:08d}",
        "title": {"zh": "新案件", "en": "New case"},
        "body": {"zh": "垃圾堆积 " * 4, "en": "Litter " * 4},
        "link": f"/cases/C{n:08d}",
        "priority": "normal",
        "deadline": None,
        "created_at": n,
        "correlation_id": f"R{n}",
        "event_occurred_at": n,
        "read": False,
        "read_at": None,
    }


OUTBOX_EVENTS = 300  # case events per way: each a guarded update of a case with one outbox entry
PULL_EVERY = 20  # documents per pull or delete, as the relay's gathered writes take them at a few cases a second


def _entry(n: int, k: int) -> dict:
    event = sample_event("case.dispatched")
    message = to_message(event)
    return {"event_id": f"E{n:08d}-{k}", "type": event.type, "queued_at": datetime.now(UTC), "message": message}


def outbox_ways() -> dict[str, float]:
    """Store CPU ms per case event for each way of carrying events out of the cases store, on a synced store on
    disk (as ``make run`` starts one) and the case's collection with its indexes (``CaseStore.wanted_indexes``):

    - ``_outbox`` in the document, pulled after publishing (``update_many`` of PULL_EVERY documents at a time);
    - the same entries in a collection of their own, written in one transaction with the case's update, deleted
      after publishing (``delete_many`` by id, PULL_EVERY at a time); the case then has no ``_outbox`` index;
    - ``_outbox`` in the document, the published entries replaced by the next write's (``$set``, guarded by
      "every entry there is one published"), no pull.
    Each case gets three events in a row (its next write comes after the previous event was published)."""
    data = tempfile.mkdtemp(prefix="cgoverhead")
    store = EmbeddedStore(
        free_port(), str(Path(data) / "db"), log_file=Path(data) / "store.log", sync=True, bound=False
    )
    found = {}
    rounds = 3
    cases = OUTBOX_EVENTS // rounds
    try:
        store.start()
        server = store.process
        client = MongoClient(store.uri, serverSelectionTimeoutMS=30000, w="majority", journal=True, tz_aware=True)
        db = client["overhead"]
        wanted = CaseStore.wanted_indexes()[CASES]
        inline, separate, replaced, outbox = db["inline"], db["separate"], db["replaced"], db["outbox"]
        inline.create_indexes(wanted)
        replaced.create_indexes(wanted)
        separate.create_indexes([m for m in wanted if m.document["name"] != OUTBOX_INDEX.document["name"]])
        outbox.create_indexes([IndexModel([("queued_at", ASCENDING)])])
        for collection in (inline, separate, replaced):
            collection.insert_many([{**_case(n), "version": 0} for n in range(cases)])

        def measure(label, work):
            store_before, here_before = _process_cpu(server.pid), _cpu()
            work()
            found[f"{label}: store"] = (_process_cpu(server.pid) - store_before) / OUTBOX_EVENTS * 1000
            found[f"{label}: client"] = (_cpu() - here_before) / OUTBOX_EVENTS * 1000

        def change(n, k):
            return {"$set": {"status": f"s{k}", "note": n}, "$inc": {"version": 1}}

        def inline_writes():
            for k in range(rounds):
                for n in range(cases):
                    update = change(n, k)
                    update["$push"] = {OUTBOX_FIELD: {"$each": [_entry(n, k)]}}
                    inline.update_one({"_id": f"C{n:08d}", "version": k}, update)

        def inline_pulls():
            for k in range(rounds):
                for first in range(0, cases, PULL_EVERY):
                    ids = [f"C{n:08d}" for n in range(first, min(cases, first + PULL_EVERY))]
                    events = [f"E{n:08d}-{k}" for n in range(first, min(cases, first + PULL_EVERY))]
                    inline.update_many({"_id": {"$in": ids}}, {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": events}}}})

        def separate_writes():
            with client.start_session() as session:
                for k in range(rounds):
                    for n in range(cases):
                        with session.start_transaction():
                            separate.update_one({"_id": f"C{n:08d}", "version": k}, change(n, k), session=session)
                            entry = _entry(n, k)
                            outbox.insert_one(
                                {"_id": entry["event_id"], "c": "cases", "doc": f"C{n:08d}", **entry}, session=session
                            )

        def separate_deletes():
            for k in range(rounds):
                for first in range(0, cases, PULL_EVERY):
                    events = [f"E{n:08d}-{k}" for n in range(first, min(cases, first + PULL_EVERY))]
                    outbox.delete_many({"_id": {"$in": events}})

        def replaced_writes():
            for k in range(rounds):
                for n in range(cases):
                    update = change(n, k)
                    update["$set"][OUTBOX_FIELD] = [_entry(n, k)]
                    guard = {OUTBOX_FIELD: {"$not": {"$elemMatch": {"event_id": {"$nin": [f"E{n:08d}-{k - 1}"]}}}}}
                    result = replaced.update_one({"_id": f"C{n:08d}", "version": k, **guard}, update)
                    assert result.modified_count == 1

        measure("in the document, the write", inline_writes)
        measure(f"in the document, the pull ({PULL_EVERY} documents a pull)", inline_pulls)
        measure("own collection, the transaction (update + insert)", separate_writes)
        measure(f"own collection, the delete ({PULL_EVERY} a delete)", separate_deletes)
        measure("in the document, replaced by the next write (guarded $set)", replaced_writes)
        assert outbox.count_documents({}) == 0
        assert inline.count_documents({QUEUED_AT: {"$exists": True}}) == 0
        client.close()
    finally:
        store.stop()
        shutil.rmtree(data, ignore_errors=True)
    return found


def indicator_writes() -> dict[str, float]:
    """Store CPU ms per write of the indicators' documents, each way (see the module's docstring)."""
    from zoneinfo import ZoneInfo

    from pymongo import ReplaceOne, UpdateOne

    from services.indicators.storage import IndicatorStore, take_event
    from tests.unit.test_cases_lifecycle import case_in
    from tests.unit.test_indicators import STEPS, run

    _, events = run(case_in(), STEPS)
    fact = {"_id": "C", "transitions": {}, "snapshot": None, "contributions": [], "rev": 0}
    for event in events[:8]:
        fact = take_event(fact, event, ZoneInfo("Asia/Shanghai"))["document"]
    triples = {**fact, "contributions": json.loads(fact["contributions"])}
    fields = {f"f{n}": 3 for n in range(18)} | {"disposal_h": {str(b): 2 for b in range(8, 14)}}
    inc = {"due": 1, "dispatched": 1, "disposal_n": 1, "disposal_s": 3600.5, "disposal_h.12": 1}
    logs = tempfile.mkdtemp(prefix="cgoverhead")
    store = EmbeddedStore(free_port(), MEMORY, log_file=Path(logs) / "store.log", sync=True, bound=False)
    found, n_docs = {}, 300
    try:
        store.start()
        client = MongoClient(store.uri, serverSelectionTimeoutMS=30000)
        db = client["overhead"]

        def per_write(label, op, writes=n_docs, each=1) -> None:
            started = _process_cpu(store.process.pid)
            for n in range(writes):
                op(n)
            found[label] = (_process_cpu(store.process.pid) - started) / writes / each * 1000

        for label, doc in (("packed", fact), ("as triples", triples)):
            facts = db[f"facts_{label[:2]}"]
            facts.create_indexes(IndicatorStore.indexes["case_facts"])
            facts.insert_many([{**doc, "_id": n} for n in range(n_docs)])
            per_write(
                f"indicators: a fact replaced whole, contributions {label}",
                lambda n, facts=facts, doc=doc: facts.bulk_write(
                    [ReplaceOne({"_id": n, "rev": doc["rev"]}, {**doc, "_id": n, "rev": doc["rev"] + 1})]
                ),
            )
        facts = db["facts_pa"]
        per_write(
            "indicators: a fact updated by a $set of what an event changes",
            lambda n: facts.bulk_write(
                [
                    UpdateOne(
                        {"_id": n, "rev": fact["rev"] + 1},
                        {
                            "$set": {
                                "transitions.x": {"kind": "close", "version": 99, "at": datetime.now(UTC)},
                                "snapshot": fact["snapshot"],
                                "contributions": fact["contributions"],
                                "rev": fact["rev"] + 2,
                            }
                        },
                    )
                ]
            ),
        )
        daily, monthly = db["daily"], db["monthly"]
        daily.create_indexes(IndicatorStore.indexes["daily_counters"])
        daily.insert_many(
            [{"_id": f"k{n}", "dimension": "grid", "key": f"k{n}", "day": "d", **fields} for n in range(n_docs)]
        )
        monthly.insert_many(
            [{"_id": f"k{n}", "days": {f"{d:02d}": dict(fields) for d in range(1, 31)}} for n in range(n_docs)]
        )
        per_write("indicators: $inc of a daily counter", lambda n: daily.update_one({"_id": f"k{n}"}, {"$inc": inc}))
        per_write(
            "indicators: $inc of a month's counter (30 days in one document)",
            lambda n: monthly.update_one({"_id": f"k{n}"}, {"$inc": {f"days.07.{f}": v for f, v in inc.items()}}),
        )
        six = lambda n: [f"k{(6 * n + k) % n_docs}" for k in range(6)]  # noqa: E731
        per_write(
            "indicators: six daily counters, six UpdateOne (per counter)",
            lambda n: daily.bulk_write([UpdateOne({"_id": i}, {"$inc": inc}, upsert=True) for i in six(n)]),
            writes=100,
            each=6,
        )
        per_write(
            "indicators: six daily counters, one update_many (per counter)",
            lambda n: daily.update_many({"_id": {"$in": six(n)}}, {"$inc": inc}),
            writes=100,
            each=6,
        )
        client.close()
    finally:
        store.stop()


REPORTS_EACH = 300  # reports per way


def _report(n: int, tag: str) -> dict:
    """A report as reporting stores it (``services.reporting.domain.intake.accept_report``), no photos."""
    payload = sample_event("incident.reported").payload
    return {
        "_id": f"R{tag}{n:08d}",
        "case_id": f"C{n:08d}",
        **{k: payload[k] for k in ("category", "location", "grid", "community", "street")},
        "description": payload["description"] * 3,
        "grid_mismatch": False,
        "located_grid": payload["grid"],
        "attributes": {},
        "attachments": [],
        "handled_on_spot": False,
        "result_note": None,
        "possible_duplicates": [],
        "reporter": f"u{n % 40}",
        "filed_by": {"user_id": "u1", "role": "gridder", "name": "张三"},
        "idempotency_key": f"k{tag}{n}",
        "dedup_key": f"d{tag}{n}",
        "fingerprint": "f" * 64,
        "received_at": datetime.now(UTC),
        "correlation_id": f"X{n}",
        "source": "field",
    }


def _report_entry(n: int, tag: str, as_text: bool = False) -> dict:
    event = sample_event("incident.reported")
    message = to_message(event)
    return {
        "event_id": f"E{tag}{n:08d}",
        "type": event.type,
        "queued_at": datetime.now(UTC),
        "message": json.dumps(message, default=str) if as_text else message,
    }


def report_outbox_ways() -> dict[str, float]:
    """Store and client CPU ms per report, on a synced store on disk with the reports' indexes
    (``ReportStore.wanted_indexes``), for each way of carrying a report's one event out:

    - as civicgrid does: ``_outbox`` in the report's insert, pulled after publishing by ``update_many`` of 1, 10
      (about what the relay's round takes at 10 reports/s) and 50 reports at a time, and each report's entry removed
      by ``$unset`` under the guard "every entry is one published" instead of by ``$pull``;
    - the entry's message kept as JSON text instead of a document (less for the store to encode and diff);
    - the entry in an ``outbox`` collection of its own, inserted in one transaction with the report (which then has
      no ``_outbox`` index), deleted by id after publishing, 10 at a time."""
    data = tempfile.mkdtemp(prefix="cgoverhead")
    store = EmbeddedStore(
        free_port(), str(Path(data) / "db"), log_file=Path(data) / "store.log", sync=True, bound=False
    )
    found = {}
    each = REPORTS_EACH
    try:
        store.start()
        server = store.process
        client = MongoClient(store.uri, serverSelectionTimeoutMS=30000, w="majority", journal=True, tz_aware=True)
        db = client["overhead"]
        wanted = ReportStore.wanted_indexes()[REPORTS]

        def measure(label, work):
            store_before, here_before = _process_cpu(server.pid), _cpu()
            work()
            found[f"{label}: store"] = (_process_cpu(server.pid) - store_before) / each * 1000
            found[f"{label}: client"] = (_cpu() - here_before) / each * 1000

        def inserted(tag: str, as_text: bool = False):
            collection = db[f"reports{tag}"]
            collection.create_indexes(wanted)

            def insert():
                for n in range(each):
                    collection.insert_one({**_report(n, tag), OUTBOX_FIELD: [_report_entry(n, tag, as_text)]})

            return collection, insert

        def pulled(collection, tag: str, every: int, unset: bool = False):
            def pull():
                for first in range(0, each, every):
                    numbers = range(first, min(each, first + every))
                    ids, events = [f"R{tag}{n:08d}" for n in numbers], [f"E{tag}{n:08d}" for n in numbers]
                    if unset:
                        guard = {OUTBOX_FIELD: {"$not": {"$elemMatch": {"event_id": {"$nin": events}}}}}
                        result = collection.update_many({"_id": {"$in": ids}, **guard}, {"$unset": {OUTBOX_FIELD: ""}})
                    else:
                        result = collection.update_many(
                            {"_id": {"$in": ids}}, {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": events}}}}
                        )
                    assert result.modified_count == len(ids)

            return pull

        for every in (1, 10, 50):
            collection, insert = inserted(f"p{every}")
            measure(f"report with its entry, the insert (run {every})", insert)
            measure(f"report with its entry, the pull ({every} a pull)", pulled(collection, f"p{every}", every))
        collection, insert = inserted("u")
        insert()
        measure("report with its entry, removed by a guarded $unset (10 a write)", pulled(collection, "u", 10, True))
        collection, insert = inserted("t", as_text=True)
        measure("the entry's message as JSON text, the insert", insert)
        measure("the entry's message as JSON text, the pull (10 a pull)", pulled(collection, "t", 10))
        separate, outbox = db["reports_alone"], db["outbox"]
        separate.create_indexes([m for m in wanted if m.document["name"] != OUTBOX_INDEX.document["name"]])
        outbox.create_indexes([IndexModel([("queued_at", ASCENDING)])])

        def transactions():
            with client.start_session() as session:
                for n in range(each):
                    with session.start_transaction():
                        separate.insert_one(_report(n, "s"), session=session)
                        entry = _report_entry(n, "s")
                        outbox.insert_one({"_id": entry["event_id"], "doc": f"Rs{n:08d}", **entry}, session=session)

        def deletes():
            for first in range(0, each, 10):
                outbox.delete_many({"_id": {"$in": [f"Es{n:08d}" for n in range(first, min(each, first + 10))]}})

        measure("own collection, the transaction (report + entry)", transactions)
        measure("own collection, the delete (10 a delete)", deletes)
        assert outbox.count_documents({}) == 0
        client.close()
    finally:
        store.stop()
        shutil.rmtree(data, ignore_errors=True)
    return found


def client_per_command() -> dict[str, float]:
    """This process's CPU ms per ``find_one`` by ``_id`` and per ``update_one`` (an in-memory store), with the
    client as ``shared.mongo.make_client`` makes it (majority, journaled, the command counter), without the
    counter, and with retryable reads off; alternating, three rounds, the lowest of each."""
    logs = tempfile.mkdtemp(prefix="cgoverhead")
    store = EmbeddedStore(free_port(), MEMORY, log_file=Path(logs) / "store.log", bound=False)
    found: dict[str, float] = {}
    try:
        store.start()
        base = {"w": "majority", "journal": True, "tz_aware": True}
        clients = {
            "as the services make it": MongoClient(store.uri, **base, event_listeners=[StoreCommandMetrics("x")]),
            "without the command counter": MongoClient(store.uri, **base),
            "retryable reads off": MongoClient(
                store.uri, **base, retryReads=False, event_listeners=[StoreCommandMetrics("x")]
            ),
        }
        db = next(iter(clients.values()))["overhead"]
        db["docs"].insert_one({"_id": 1, **_case(1)})
        for _ in range(3):
            for label, client in clients.items():
                collection = client["overhead"]["docs"]
                collection.find_one({"_id": 1})
                for what, op in (
                    ("find_one by _id", lambda c, n: c.find_one({"_id": 1})),
                    ("update_one by _id", lambda c, n: c.update_one({"_id": 1}, {"$set": {"note": n}})),
                ):
                    started = _cpu()
                    for n in range(WRITES * 4):
                        op(collection, n)
                    spent = (_cpu() - started) / (WRITES * 4) * 1000
                    key = f"client, {what}, {label}"
                    found[key] = min(found.get(key, spent), spent)
        for client in clients.values():
            client.close()
    finally:
        store.stop()
        shutil.rmtree(logs, ignore_errors=True)
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--publishing", action="store_true", help="only the publishing figures (~15 s)")
    parser.add_argument(
        "--guarded",
        action="store_true",
        help="only the store's guarded updates, SecantusDB's own server and as civicgrid starts it (~1 min)",
    )
    parser.add_argument("--outbox", action="store_true", help="only the outbox's ways, store CPU per case event")
    parser.add_argument("--framework", action="store_true", help="only the framework's figures per message (~30 s)")
    parser.add_argument("--indicators", action="store_true", help="only the indicators' writes, store CPU each (~20 s)")
    parser.add_argument(
        "--reports", action="store_true", help="only a report's event written once, and the client per command (~1 min)"
    )
    args = parser.parse_args(argv)
    if args.indicators:
        return _print(indicator_writes())
    if args.reports:
        return _print({**report_outbox_ways(), **client_per_command()})
    if args.guarded:
        return _print({**guarded_updates(stock=True), **guarded_updates(stock=False)})
    if args.outbox:
        return _print(outbox_ways())
    admin = RabbitAdmin(rabbit_api_uri())
    admin.check()
    vhost = unique_name("cgoverhead")
    admin.create_vhost(vhost)
    try:
        amqp_uri = f"{amqp_base_uri()}{vhost}"
        if args.publishing:
            figures = {**publishing(amqp_uri), **batched_publishing(amqp_uri)}
        elif args.framework:
            figures = framework(amqp_uri)
        else:
            figures = {
                **framework(amqp_uri),
                **publishing(amqp_uri),
                **batched_publishing(amqp_uri),
                **store_writes(sync=False),
                **store_writes(sync=True),
            }
    finally:
        admin.delete_vhost(vhost)
    return _print(figures)


def _print(figures: dict[str, float]) -> int:
    print("| what | CPU ms each |\n|---|---:|")
    for label, ms in figures.items():
        print(f"| {label} | {ms:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
