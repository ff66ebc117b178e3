"""A service's own copy of the directory's reference data, kept current by events.

No service asks the directory anything on a hot path. Each keeps the kinds it needs
(categories, the grid map, …) in memory and in its own database: on start it loads
its stored copy (so it works while the directory is down), asks the directory once
for a snapshot to catch up with anything it missed, and from then on applies the
directory's ``*.changed`` events. Every event carries the whole current set of its
kind and a revision; a copy only ever moves to a newer revision, so redeliveries and
reordering are harmless.

The events come on a broadcast queue of the instance's connection (``shared.messaging``),
which exists only while the instance is connected: what is published before it is
declared, or while a lost connection is being made again, never reaches this
instance. So the snapshot is taken once the queue is consuming, and again each time it
consumes again after a lost connection — nothing changed in between can be missed.
"""

import contextlib
import logging

import eventlet
from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError

from shared.auth.principal import Person
from shared.bus import bounded_standalone_call, queue_consumer_of
from shared.config import setting
from shared.errors import ServiceUnavailable
from shared.events import Event
from shared.messaging import event_handlers

_log = logging.getLogger(__name__)

KIND_EVENTS = {
    "grid_map": "grid_map.imported",
    "departments": "departments.changed",
    "categories": "categories.changed",
    "routing_rules": "routing_rules.changed",
    "users": "users.changed",
}
EVENT_KINDS = {event_type: kind for kind, event_type in KIND_EVENTS.items()}
COLLECTION = "reference"
AUTHORISING_KIND = "users"  # every service checks its callers against the current users (shared.auth.principal)


def grids_by_person(grids: dict[str, dict]) -> dict[str, frozenset[str]]:
    """The grids each person answers for: as one of its officers or as its leader."""
    held: dict[str, set[str]] = {}
    for code, grid in grids.items():
        for user_id in [*grid.get("officers", ()), grid.get("leader")]:
            if user_id:
                held.setdefault(user_id, set()).add(code)
    return {user_id: frozenset(codes) for user_id, codes in held.items()}


def payload_data(payload: dict) -> dict:
    """What a kind's state is: its event payload without the revision."""
    return {k: v for k, v in payload.items() if k != "revision"}


class Reference:
    """Read-only views of the latest copy, with the lookups services need built once per revision."""

    def __init__(self, kinds, applier=None):
        self.kinds = tuple(kinds)
        self._applier = applier
        self._revisions = dict.fromkeys(self.kinds, 0)
        # kinds the directory's snapshot showed at revision 0: never made, so known to be empty (no routing rule at
        # all), where revision 0 otherwise means "not here yet"
        self._never_made: set[str] = set()
        self.categories: dict[str, dict] = {}
        self.departments: dict[str, dict] = {}
        self.routing_rules: list[dict] = []
        self.users: dict[str, dict] = {}
        self.grids: dict[str, dict] = {}
        self.areas: dict[str, dict] = {}
        self.map_version = 0
        self.grid_index = None
        self.grids_of: dict[str, frozenset[str]] = {}

    def revision(self, kind: str) -> int:
        return self._revisions.get(kind, 0)

    def apply_event(self, event: Event) -> bool:
        """Take a directory event in: persisted in the service's store, then adopted."""
        return self._applier.apply_event(event)

    def revisions(self) -> dict[str, int]:
        return dict(self._revisions)

    def complete(self) -> bool:
        """Every kind here: arrived, or known never made (a directory with no routing rule yet is ready to route
        nothing: its services must not stay unready for it, which would hold a rolling update)."""
        return all(revision or kind in self._never_made for kind, revision in self._revisions.items())

    def require(self, kind: str) -> None:
        if not self._revisions.get(kind):
            raise ServiceUnavailable.of("service.not_ready", thing=kind.replace("_", " "))

    def never_made(self, kind: str) -> None:
        """The directory says it never made anything of ``kind`` (its revision is 0): an empty set, not a missing
        one. Its first change comes as an event, like any other."""
        self._never_made.add(kind)

    def require_known(self, kind: str) -> None:
        """As ``require``, but a kind the directory never made counts as known and empty: no routing rule at all
        leaves every case to the operators, where a copy not arrived yet must wait."""
        if kind not in self._never_made or self._revisions.get(kind):
            self.require(kind)

    def person(self, user_id: str) -> Person | None:
        """The directory's current record of a caller; ``ServiceUnavailable`` until the users reached this copy.

        Grids come with it where this service keeps the grid map (none before a map exists);
        elsewhere they are None: the service decides nothing by grid.
        """
        self.require("users")
        user = self.users.get(user_id)
        if user is None:
            return None
        return Person(user, self.grids_of.get(user_id, frozenset()) if "grid_map" in self.kinds else None)

    def load(self, kind: str, revision: int, data: dict) -> bool:
        """Adopt ``data`` if ``revision`` is newer than the one held."""
        if kind not in self._revisions or revision <= self._revisions[kind]:
            return False
        if kind == "grid_map":
            from shared.geo import GridIndex  # shapely is loaded only where grids are needed

            grids = {g["code"]: g for g in data["grids"]}
            self.grid_index = GridIndex.from_grids(list(grids.values()))
            self.grids, self.areas = grids, {a["code"]: a for a in data["areas"]}
            self.grids_of = grids_by_person(grids)
            self.map_version = data["map_version"]
        elif kind == "users":
            self.users = {u["user_id"]: u for u in data["items"]}
        elif kind == "routing_rules":
            self.routing_rules = list(data["items"])
        else:
            setattr(self, kind, {item["code"]: item for item in data["items"]})
        self._revisions[kind] = revision
        return True


class ReferenceData(DependencyProvider):
    """Injects the service's ``Reference``; needs a ``shared.mongo.MongoStore`` on the same service."""

    def __init__(self, *kinds: str):
        unknown = set(kinds) - set(KIND_EVENTS)
        if unknown:
            raise ValueError(f"unknown reference kinds {sorted(unknown)}")
        self.kinds = tuple(dict.fromkeys((*kinds, AUTHORISING_KIND)))

    def setup(self):
        self.reference = Reference(self.kinds, applier=self)
        self.sync_timeout = setting(self.container.config, "RPC_TIMEOUT_SECONDS", 10.0, float)

    def start(self):
        from shared.mongo import MongoStore

        store = next(d for d in self.container.dependencies if isinstance(d, MongoStore))
        self.collection = store.db[COLLECTION]
        for doc in self.collection.find({"_id": {"$in": list(self.kinds)}}):
            self.reference.load(doc["_id"], doc["revision"], doc["data"])
        consumer = queue_consumer_of(self.container)
        if consumer is None:  # nothing to keep it current: a snapshot is all there is
            self.container.spawn_managed_thread(self._catch_up, identifier="reference-catch-up")
        else:
            consumer.when_consuming(self._catch_up)

    def _catch_up(self) -> None:
        delay = 0.5
        while True:
            try:
                snapshot = bounded_standalone_call(
                    self.container.config,
                    self.sync_timeout,
                    lambda rpc: rpc.directory.reference_snapshot(list(self.kinds)),
                )
                for kind, state in snapshot.items():
                    if state["revision"]:
                        self.apply(kind, state["revision"], state["data"])
                    else:
                        self.reference.never_made(kind)
                return
            except (Exception, eventlet.Timeout) as exc:  # the directory may not be up yet; events catch up too
                _log.info("reference snapshot not available yet (%s); retrying in %.1fs", exc or "timeout", delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, 30)

    def apply(self, kind: str, revision: int, data: dict) -> bool:
        if kind not in self.kinds or revision <= self.reference.revision(kind):
            return False
        # A duplicate key: the stored copy is this revision or newer already — another
        # instance of this service (they share a database) got there first. This
        # instance's memory still needs it.
        with contextlib.suppress(DuplicateKeyError):
            self.collection.update_one(
                {"_id": kind, "revision": {"$lt": revision}},
                {"$set": {"revision": revision, "data": data}},
                upsert=True,
            )
        changed = self.reference.load(kind, revision, data)
        if changed:
            _log.info("reference %s now at revision %d", kind, revision)
        return changed

    def apply_event(self, event: Event) -> bool:
        return self.apply(EVENT_KINDS[event.type], event.payload["revision"], payload_data(event.payload))

    def current_person(self, user_id: str) -> Person | None:
        """For ``shared.auth.provider.Caller``: who a caller is now, by this service's copy."""
        return self.reference.person(user_id)

    def get_dependency(self, worker_ctx):
        return self.reference


class FollowsDirectory(event_handlers({"directory": dict.fromkeys(EVENT_KINDS, "adopt_reference")}, broadcast=True)):
    """Mixin: the service keeps its ``reference`` (a ``ReferenceData``) current from directory events.

    Broadcast: every running instance keeps its own copy in memory, so every
    instance must hear of every change, not one of them.
    """

    def adopt_reference(self, event: Event) -> None:
        self.reference.apply_event(event)
