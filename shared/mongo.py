"""The MongoDB dependency provider every service's store builds on.

One ``MongoClient`` per service process (its pool is thread-safe), made in
``setup()`` from the service's own URI and database (see ``shared.config``), closed
on stop. Each worker gets a thin repository object with the service's verbs; the
repository writes state and outbox events in one document and hands the events to
the relay.

What the client is told, and why (docs/deployment.md):

- every write is acknowledged by a majority of the replica set, journaled
  (``w=majority, j=true``): a write whose event has left through the outbox must not
  be rolled back by an election, or the rest of the platform would hold an event of
  a state that no longer exists;
- retryable writes are on unless the URI turns them off (the embedded store's does,
  for its speed; every write here is idempotent anyway);
- the store must be a replica-set member (or a mongos): a service refuses to start on
  a standalone server, which refuses transactions and cannot promise majority writes.

Collections and indexes are the deploy step's work (``python -m deploy.prepare``,
``prepare_databases`` below), run once before the services start, never by every
replica at start: building an index on real data takes long, and during a rolling
update a newer replica runs beside an older one. A store only checks at start that
its indexes are there, and waits for the deploy step while they are not.
"""

import contextlib
import logging
import time

import eventlet
import pymongo
from nameko.extensions import DependencyProvider
from pymongo import MongoClient, uri_parser
from pymongo.errors import CollectionInvalid, DuplicateKeyError, PyMongoError

from shared.config import ConfigError, as_bool, mongo_target, setting
from shared.events import Event
from shared.lease import LEASES, Lease, Leases, lease_terms
from shared.metrics import StoreCommandMetrics
from shared.outbox import OUTBOX_FIELD, OUTBOX_INDEX, OUTBOX_SCAN, OutboxRelay, outbox_entries

_log = logging.getLogger(__name__)

SEEN_FIELD = "_seen"
SEEN_KEEP = 200  # a document's last consumed event ids; far more than any redelivery window


class StoreNotReady(ConfigError):
    """The store cannot serve this service as it is: not a replica set, or not prepared by the deploy step."""


def client_options(uri: str, config) -> dict:
    """The settings every civicgrid client states (the module's docstring says why)."""
    options = {"w": "majority", "journal": True}
    if "retrywrites" not in {key.lower() for key in uri_parser.parse_uri(uri)["options"]}:
        options["retryWrites"] = setting(config, "MONGO_RETRY_WRITES", True, as_bool)
    return options


def require_replica_set(client: MongoClient, uri: str) -> None:
    hello = client.admin.command("hello")
    if hello.get("setName") or hello.get("msg") == "isdbgrid":
        return
    raise StoreNotReady(
        f"the MongoDB server at {_redacted(uri)} is standalone, not a replica-set member: civicgrid needs a replica "
        "set (its writes are acknowledged by a majority, and some span documents in one transaction, which a "
        "standalone server refuses). Start mongod with --replSet <name>, run rs.initiate() once (one member is "
        "enough for development) and name the set in the URI (?replicaSet=<name>); see docs/deployment.md."
    )


def _redacted(uri: str) -> str:
    parsed = uri_parser.parse_uri(uri)
    hosts = ",".join(f"{host}:{port}" for host, port in parsed["nodelist"])
    return f"mongodb://{hosts}" if parsed.get("username") is None else f"mongodb://{parsed['username']}:…@{hosts}"


def make_client(uri: str, config, service: str) -> MongoClient:
    return MongoClient(
        uri,
        **client_options(uri, config),
        tz_aware=True,
        serverSelectionTimeoutMS=setting(config, "MONGO_TIMEOUT_MS", 5000, int),
        # A call the server never answers must fail (and be retried), not hang a worker for good.
        socketTimeoutMS=setting(config, "MONGO_SOCKET_TIMEOUT_MS", 30000, int),
        # pymongo does not test eventlet: should its pool ever be pinned (a greenlet killed while
        # checking a connection in), waiting for a connection fails instead of waiting for ever.
        waitQueueTimeoutMS=setting(config, "MONGO_SOCKET_TIMEOUT_MS", 30000, int),
        appname=service,
        event_listeners=[StoreCommandMetrics(service)],
    )


class Repository:
    """Per-worker access to a service's database. Subclasses add the verbs."""

    def __init__(self, db, relay: OutboxRelay | None, leases: Leases | None = None):
        self.db = db
        self._relay = relay
        self._leases = leases

    def lease(self, name: str) -> Lease:
        """This process's lease of the scan ``name`` (one its store declares in ``scans``)."""
        if self._leases is None:
            raise KeyError(f"no scan {name!r}: this repository has no leases")
        return self._leases[name]

    # -- writes that carry events --------------------------------------------------
    def insert_with_events(self, collection: str, doc: dict, events: list[Event]) -> bool:
        """Insert ``doc`` with its events; False if a document with its unique keys exists.

        A duplicate means the work was done before (a redelivered message, a retried
        request), so the caller treats False as "already done", not as an error.
        """
        entries = outbox_entries(events)
        doc = {**doc, OUTBOX_FIELD: entries}
        try:
            self.db[collection].insert_one(doc)
        except DuplicateKeyError:
            return False
        self._kick(collection, doc["_id"], entries)
        return True

    def update_with_events(
        self, collection: str, filter_: dict, update: dict, events: list[Event], consumed: Event | None = None
    ) -> bool:
        """Apply ``update`` to the one document matching ``filter_``, appending events.

        ``consumed`` is the event this change reacts to: the update only applies if
        that event has not been applied to the document already. Returns whether the
        document changed; False means the filter (a version, a state, an event seen
        before) did not match.
        """
        entries = outbox_entries(events)
        filter_ = dict(filter_)
        update = {key: dict(value) for key, value in update.items()}
        if consumed is not None:
            filter_[SEEN_FIELD] = {"$ne": consumed.event_id}
            update.setdefault("$push", {})[SEEN_FIELD] = {"$each": [consumed.event_id], "$slice": -SEEN_KEEP}
        doc_id = filter_["_id"]
        published = self._relay.published_in(collection, doc_id) if self._relay is not None else frozenset()
        if published:
            if self._replacing_published(collection, filter_, update, entries, published):
                self._relay.dropped(collection, doc_id, published)
                self._kick(collection, doc_id, entries)
                return True
            self._relay.guard_misses += 1
        if entries:
            update.setdefault("$push", {})[OUTBOX_FIELD] = {"$each": entries}
        result = self.db[collection].update_one(filter_, update)
        if result.modified_count != 1:
            return False
        self._kick(collection, doc_id, entries)
        return True

    def _replacing_published(self, collection: str, filter_: dict, update: dict, entries: list, published) -> bool:
        """Apply ``update`` with the document's outbox set to ``entries``, if every entry it holds is one of
        ``published``: the published entries leave in this write, and the relay need not pull them (a pull rewrites
        the document and all its index entries). False if the document holds another entry (one not yet published,
        or written by another process) or the caller's filter did not match: the caller then writes as usual."""
        guarded = {**filter_, OUTBOX_FIELD: {"$not": {"$elemMatch": {"event_id": {"$nin": sorted(published)}}}}}
        replacing = {**update, "$set": {**update.get("$set", {}), OUTBOX_FIELD: entries}}
        return self.db[collection].update_one(guarded, replacing).modified_count == 1

    def run_transaction(self, work):
        """Run ``work(session, push_events)`` in one multi-document transaction.

        ``push_events(collection, doc_id, events, session)`` appends events to a
        document's outbox inside the transaction; they go to the relay only after
        the commit. For the rare writes that span documents (reference data);
        hot paths stay with single-document writes.
        """
        kicks: list = []

        def push_events(collection: str, doc_id, events: list[Event], session, extra_update=None) -> None:
            entries = outbox_entries(events)
            update = {key: dict(value) for key, value in (extra_update or {}).items()}
            update.setdefault("$push", {})[OUTBOX_FIELD] = {"$each": entries}
            self.db[collection].update_one({"_id": doc_id}, update, upsert=True, session=session)
            kicks.append((collection, doc_id, entries))

        def callback(session):
            kicks.clear()
            return work(session, push_events)

        with self.db.client.start_session() as session:
            result = session.with_transaction(callback)
        for collection, doc_id, entries in kicks:
            self._kick(collection, doc_id, entries)
        return result

    def _kick(self, collection, doc_id, entries) -> None:
        if self._relay is not None:
            self._relay.kick(collection, doc_id, entries)

    def ping(self) -> bool:
        try:
            self.db.command("ping")
        except PyMongoError:
            return False
        return True


def create_indexes(db, wanted: dict[str, list], retired: dict[str, tuple[str, ...]] | None = None) -> None:
    """Create the ``wanted`` collections and indexes and drop the ``retired`` ones (by name) an earlier version left.

    A collection wanted with no index (the leases) is created too: made by its first write instead, it could be
    made while another connection holds a transaction open, which can deadlock the embedded store.
    """
    present = None
    for collection, models in wanted.items():
        if models:
            db[collection].create_indexes(models)
            continue
        present = set(db.list_collection_names()) if present is None else present
        if collection not in present:
            with contextlib.suppress(CollectionInvalid):  # another process made it meanwhile
                db.create_collection(collection)
    for collection, names in (retired or {}).items():
        present = set(db[collection].index_information())
        for name in names:
            if name in present:  # every write pays for an index: one nothing asks by is pure cost
                db[collection].drop_index(name)


def missing_indexes(db, wanted: dict[str, list]) -> list[str]:
    """``collection.index`` names of the ``wanted`` indexes the database does not have."""
    missing = []
    for collection, models in wanted.items():
        present = set(db[collection].index_information())
        missing += [f"{collection}.{m.document['name']}" for m in models if m.document["name"] not in present]
    return missing


def prepare_databases(config, service_classes, *, retire: bool = False) -> int:
    """Create every service's collections and indexes, one after another, before any service starts; with
    ``retire``, also drop the indexes an earlier version made and this one no longer asks by (run that once no
    older replica runs: docs/deployment.md). Refuses a store that is not a replica set. Returns how many
    collections it prepared.

    The collections are made here too, not on first use: on the embedded store (SecantusDB 0.7) a collection
    created while another connection holds a transaction open can deadlock the whole server.
    """
    prepared = 0
    for cls in service_classes:
        stores = [d for d in vars(cls).values() if isinstance(d, MongoStore)]
        if not stores:
            continue
        uri, db_name = mongo_target(config, cls.name)
        client = MongoClient(
            uri,
            **client_options(uri, config),
            tz_aware=True,
            serverSelectionTimeoutMS=setting(config, "MONGO_TIMEOUT_MS", 30000, int),
        )
        try:
            require_replica_set(client, uri)
            for store in stores:
                wanted = store.wanted_indexes()
                create_indexes(client[db_name], wanted, store.retired_indexes if retire else None)
                prepared += len(wanted)
        finally:
            client.close()
    return prepared


class MongoStore(DependencyProvider):
    """Base provider of a service's store.

    Subclasses set ``repository_cls``, ``indexes`` ({collection: [IndexModel]}),
    ``outbox_collections`` (collections whose documents carry events), ``scans`` (the
    periodic scans of the service, each run under its lease, ``shared.lease``) and
    ``retired_indexes`` (indexes an earlier version made, which the deploy step drops once no older replica runs).
    """

    repository_cls = Repository
    indexes: dict[str, list] = {}
    outbox_collections: tuple[str, ...] = ()
    scans: tuple[str, ...] = ()
    retired_indexes: dict[str, tuple[str, ...]] = {}  # {collection: index names an earlier version created}

    def setup(self):
        config = self.container.config
        service = self.container.service_name
        uri, db_name = mongo_target(config, service)
        self.client = make_client(uri, config, service)
        self.db = self.client[db_name]
        self.leases = Leases(self.db[LEASES], lease_terms(config), self.scan_names())
        self.relay = None
        if self.outbox_collections:
            self.relay = OutboxRelay(
                self.db,
                self.outbox_collections,
                service,
                config["AMQP_URI"],
                config,
                lease=self.leases[OUTBOX_SCAN],
                scan_interval=setting(config, "OUTBOX_SCAN_SECONDS", 2.0, float),
                scan_grace=setting(config, "OUTBOX_SCAN_GRACE_SECONDS", 5.0, float),
                mark_delay=setting(config, "OUTBOX_PULL_DELAY_SECONDS", 1.0, float),
            )
        self._relay_enabled = setting(config, "OUTBOX_RELAY", True, as_bool)
        # In setup, not start: nameko starts every extension at once, and no consumer, RPC or timer may work on a
        # store without its unique indexes (a redelivered event would do its work twice). Every setup ends first.
        self._check_store()

    def start(self):
        if self.relay is not None and self._relay_enabled:
            self._relay_thread = self.container.spawn_managed_thread(self.relay.run)

    @classmethod
    def scan_names(cls) -> tuple[str, ...]:
        """The scans this store's service runs under a lease: its own, and the outbox relay's."""
        return (*cls.scans, *((OUTBOX_SCAN,) if cls.outbox_collections else ()))

    @classmethod
    def wanted_indexes(cls) -> dict[str, list]:
        """Every collection this store keeps, with its indexes (the outbox's included; the leases have none)."""
        wanted = dict(cls.indexes)
        for collection in cls.outbox_collections:
            wanted[collection] = [*wanted.get(collection, []), OUTBOX_INDEX]
        wanted = {collection: models for collection, models in wanted.items() if models}
        if cls.scan_names():
            wanted[LEASES] = []
        return wanted

    def _check_store(self) -> None:
        """Wait until the store answers and the deploy step has prepared it; refuse one that is not a replica set.

        Waiting (``MONGO_PREPARE_WAIT_SECONDS``) lets the services start beside the deploy step, as compose and
        Kubernetes may start them; a store still unprepared after that is a deploy that forgot the step."""
        config = self.container.config
        deadline = time.monotonic() + setting(config, "MONGO_PREPARE_WAIT_SECONDS", 120.0, float)
        uri, _ = mongo_target(config, self.container.service_name)
        checked_set, told = False, 0.0
        while True:
            missing, problem = [], None
            try:
                if not checked_set:
                    require_replica_set(self.client, uri)
                    checked_set = True
                missing = missing_indexes(self.db, self.wanted_indexes())
            except PyMongoError as exc:
                problem = exc
            if not missing and problem is None:
                return
            if time.monotonic() > deadline:
                if problem is not None:
                    raise StoreNotReady(
                        f"cannot use the store at {_redacted(uri)} ({problem}): check MONGO_URI — its "
                        "hosts, replicaSet, user and password — and that the server is up."
                    )
                raise StoreNotReady(
                    f"{self.db.name} is not prepared: missing {', '.join(missing[:5])}. Run "
                    "`python -m deploy.prepare` (make run does) before the services start."
                )
            if time.monotonic() > told:
                if problem is not None:
                    _log.warning("%s: the store does not answer yet (%s)", self.db.name, problem)
                else:
                    _log.warning(
                        "%s: waiting for the deploy step (python -m deploy.prepare): missing %s",
                        self.db.name,
                        ", ".join(missing[:5]),
                    )
                told = time.monotonic() + 10
            time.sleep(1)

    def reachable(self, timeout: float) -> bool:
        """Whether the store answers a ping within ``timeout`` seconds (the process's readiness probe asks)."""
        try:
            with pymongo.timeout(timeout):
                self.db.command("ping")
        except PyMongoError:
            return False
        return True

    def stop(self):
        thread = getattr(self, "_relay_thread", None)
        if thread is not None:
            self.relay.stop()
            try:
                with eventlet.Timeout(10):
                    thread.wait()
            except (eventlet.Timeout, Exception):  # nameko kills the thread anyway; the scan covers it
                _log.warning("outbox relay of %s did not drain in time", self.container.service_name)
        self.leases.release()
        self.client.close()

    def kill(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.repository_cls(self.db, self.relay, leases=self.leases)
