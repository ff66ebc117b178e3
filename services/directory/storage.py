"""Where the reference data is kept.

Each kind (departments, categories, routing rules, users) is a collection of one
document per item. A change writes the item, bumps the kind's revision in ``meta``
and queues the kind's ``*.changed`` event (carrying the whole set) in the same
transaction. The grid map is versioned: an import writes a complete new version
beside the current one, then switches ``meta.grid_map.current`` in one write — so a
map is never half-imported — and only then removes the old version.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.directory.domain import reference_user
from shared.api.directory import KEY_FIELD
from shared.auth.principal import Person
from shared.errors import Conflict, NotFound
from shared.events import Event
from shared.mongo import MongoStore, Repository

META = "meta"
USERS = "users"
AREAS = "areas"
GRIDS = "grids"
FAILURES = "sign_in_failures"
CLIENT_FAILURES = "sign_in_failures_by_client"
FAILURES_BY = {"username": FAILURES, "client": CLIENT_FAILURES}
API_KEYS = "api_keys"
_PRIVATE = {"_id": 0, "_outbox": 0, "password_hash": 0, "map_version": 0}

EventFactory = Callable[[int, list[dict]], Event]


class DirectoryRepository(Repository):
    # -- kinds of items ------------------------------------------------------------
    def revision(self, kind: str, session=None) -> int:
        meta = self.db[META].find_one({"_id": kind}, {"revision": 1}, session=session)
        return meta["revision"] if meta else 0

    def items(self, kind: str, session=None) -> list[dict]:
        docs = self.db[kind].find({}, _PRIVATE, session=session).sort("_id", ASCENDING)
        return [reference_user(d) for d in docs] if kind == USERS else list(docs)

    def item(self, kind: str, key: str) -> dict:
        doc = self.db[kind].find_one({"_id": key}, _PRIVATE)
        if doc is None:
            raise NotFound.of("directory.not_found", thing=kind.rstrip("s").replace("_", " "), key=key)
        return doc

    def save(
        self,
        kind: str,
        item: dict,
        make_event: EventFactory,
        extra: dict | None = None,
        check: Callable[[list[dict], list[dict]], None] | None = None,
    ) -> int:
        """Create or replace ``item``; returns the kind's new revision.

        ``check(before, after)`` sees the kind's whole set on both sides of the change, inside the
        transaction, and refuses it by raising. Every change of a kind bumps the same revision
        document, so two changes that each pass alone (two administrators demoting each other) cannot
        both commit: the second is retried, and its check then sees the first.
        """
        key = item[KEY_FIELD[kind]]

        def work(session, push_events):
            before = self.items(kind, session) if check else []
            kept = ("password_hash", "tokens_valid_from")  # not part of what a client sends
            existing = self.db[kind].find_one({"_id": key}, dict.fromkeys(kept, 1), session=session) or {}
            keep = {field: existing[field] for field in kept if field in existing}
            self.db[kind].replace_one(
                {"_id": key}, {**keep, **item, **(extra or {}), "_id": key}, upsert=True, session=session
            )
            if check:
                check(before, self.items(kind, session))
            return self._announce(kind, session, push_events, make_event)

        try:
            return self.run_transaction(work)
        except DuplicateKeyError:
            raise Conflict.of("directory.duplicate", {"kind": kind}, thing=kind.rstrip("s")) from None

    def delete(self, kind: str, key: str, make_event: EventFactory) -> int:
        def work(session, push_events):
            if self.db[kind].delete_one({"_id": key}, session=session).deleted_count == 0:
                raise NotFound.of("directory.not_found", thing=kind.rstrip("s").replace("_", " "), key=key)
            return self._announce(kind, session, push_events, make_event)

        return self.run_transaction(work)

    def _announce(self, kind, session, push_events, make_event) -> int:
        revision = self.revision(kind, session) + 1
        event = make_event(revision, self.items(kind, session))
        push_events(META, kind, [event], session, {"$set": {"revision": revision}})
        return revision

    def load_many(self, kind: str, items: list[dict], make_event: EventFactory, extra: dict | None = None) -> int:
        """Bulk-load items (seeding a district); one event for the lot."""
        key = KEY_FIELD[kind]

        def work(session, push_events):
            self.db[kind].insert_many([{**i, **(extra or {}), "_id": i[key]} for i in items], session=session)
            return self._announce(kind, session, push_events, make_event)

        try:
            return self.run_transaction(work)
        except (DuplicateKeyError, BulkWriteError):
            raise Conflict.of("directory.exist_already", {"kind": kind}, thing=kind.replace("_", " ")) from None

    # -- seeding the demo district: one replica at a time --------------------------------
    def claim_seeding(self, holder: str, now: datetime, hold_for) -> bool:
        """A lease on seeding: taken if free, or if its holder let it run out (it died seeding)."""
        try:
            self.db[META].insert_one({"_id": "seeding", "holder": holder, "until": now + hold_for})
            return True
        except DuplicateKeyError:
            taken = self.db[META].update_one(
                {"_id": "seeding", "until": {"$lt": now}}, {"$set": {"holder": holder, "until": now + hold_for}}
            )
            return taken.modified_count == 1

    def release_seeding(self, holder: str) -> None:
        self.db[META].delete_one({"_id": "seeding", "holder": holder})

    def user_ids(self) -> set[str]:
        return {d["_id"] for d in self.db[USERS].find({}, {"_id": 1})}

    def is_empty(self) -> bool:
        return self.db[USERS].estimated_document_count() == 0

    # -- users ---------------------------------------------------------------------
    def user_by_username(self, username: str) -> dict | None:
        return self.db[USERS].find_one({"username": username}, {"_outbox": 0})

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        if self.db[USERS].update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}}).matched_count == 0:
            raise NotFound.of("user.not_found", user_id=user_id)

    def reset_password(self, user_id: str, password_hash: str, tokens_valid_from: int, make_event: EventFactory) -> int:
        """A new password set by someone else, and every token signed before it revoked — announced, so that
        every service's copy refuses those tokens."""

        def work(session, push_events):
            changed = self.db[USERS].update_one(
                {"_id": user_id},
                {"$set": {"password_hash": password_hash, "tokens_valid_from": tokens_valid_from}},
                session=session,
            )
            if changed.matched_count == 0:
                raise NotFound.of("user.not_found", user_id=user_id)
            return self._announce(USERS, session, push_events, make_event)

        return self.run_transaction(work)

    # Failed sign-ins are counted per username and per client address, each in its own collection,
    # so that no username can be made to look like a client or the other way round.
    def sign_in_failures(self, key: str, by: str = "username") -> list[datetime]:
        doc = self.db[FAILURES_BY[by]].find_one({"_id": key})
        return doc["at"] if doc else []

    def record_sign_in_failure(
        self, key: str, now: datetime, keep: int, window: timedelta, by: str = "username"
    ) -> None:
        """Count a failure; the record goes (the store's TTL index on ``expires_at``) once its last failure has left
        the window, so names and addresses anyone tried do not pile up."""
        self.db[FAILURES_BY[by]].update_one(
            {"_id": key},
            {"$push": {"at": {"$each": [now], "$slice": -keep}}, "$set": {"expires_at": now + window}},
            upsert=True,
        )

    def clear_sign_in_failures(self, username: str) -> None:
        self.db[FAILURES].delete_one({"_id": username})

    # -- Open311 API keys ------------------------------------------------------------
    def add_api_key(self, document: dict) -> None:
        self.db[API_KEYS].insert_one(document)

    def put_api_key(self, document: dict) -> None:
        """The demo's key: the one in var/demo-open311-key, whichever it is now."""
        current = {k: document[k] for k in ("hash", "prefix")}
        rest = {k: v for k, v in document.items() if k not in current and k != "_id"}
        self.db[API_KEYS].update_one({"_id": document["_id"]}, {"$set": current, "$setOnInsert": rest}, upsert=True)

    def api_keys(self) -> list[dict]:
        return list(self.db[API_KEYS].find({}).sort("created_at", ASCENDING))

    def api_key_by_hash(self, digest: str) -> dict | None:
        return self.db[API_KEYS].find_one({"hash": digest})

    def revoke_api_key(self, key_id: str, now: datetime) -> dict:
        self.db[API_KEYS].update_one({"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": now}})
        found = self.db[API_KEYS].find_one({"_id": key_id})
        if found is None:
            raise NotFound.of("open311.key_not_found", key_id=key_id)
        return found

    def take_request_slot(self, key: dict, window: int) -> bool:
        """Count one request in ``window`` (a minute); False once the key's limit is reached there."""
        limit = key["rate_limit_per_minute"]
        for _ in range(2):  # a request that lost the race to open the window counts in it on the second round
            counted = self.db[API_KEYS].update_one(
                {"_id": key["_id"], "window": window, "used": {"$lt": limit}}, {"$inc": {"used": 1}}
            )
            if counted.matched_count:
                return True
            opened = self.db[API_KEYS].update_one(
                {"_id": key["_id"], "window": {"$ne": window}}, {"$set": {"window": window, "used": 1}}
            )
            if opened.matched_count:
                return True
        return False

    def district_code(self) -> str | None:
        """The code of the district the current map covers: the Open311 ``jurisdiction_id``."""
        found = self.db[AREAS].find_one({"map_version": self.map_version(), "level": "district"}, {"code": 1})
        return found["code"] if found else None

    # -- the grid map --------------------------------------------------------------
    def map_version(self) -> int:
        meta = self.db[META].find_one({"_id": "grid_map"}, {"current": 1})
        return meta.get("current", 0) if meta else 0

    def current_map(self) -> tuple[int, list[dict], list[dict]]:
        version = self.map_version()
        query = {"map_version": version}
        areas = list(self.db[AREAS].find(query, _PRIVATE).sort("code", ASCENDING))
        grids = list(self.db[GRIDS].find(query, _PRIVATE).sort("code", ASCENDING))
        return version, areas, grids

    def grids_of_user(self, user_id: str) -> list[str]:
        """Grids a person staffs or leads: two indexed lookups (an ``$or`` would scan every grid)."""
        version = self.map_version()
        codes = set()
        for field in ("officers", "leader"):
            query = {"map_version": version, field: user_id}
            codes |= {d["code"] for d in self.db[GRIDS].find(query, {"code": 1})}
        return sorted(codes)

    def grid(self, code: str) -> dict:
        doc = self.db[GRIDS].find_one({"map_version": self.map_version(), "code": code}, _PRIVATE)
        if doc is None:
            raise NotFound.of("grid.not_found", code=code)
        return doc

    def replace_map(self, areas: list[dict], grids: list[dict], make_event: Callable[[int, int], Event]) -> int:
        """Write a new map version, then switch to it in one write; returns the new version."""
        old = self.map_version()
        version = max(old, self._highest_written_version()) + 1
        tag = {"map_version": version}
        try:
            self.db[AREAS].insert_many([{**a, **tag, "_id": f"{version}:{a['code']}"} for a in areas])
            self.db[GRIDS].insert_many([{**g, **tag, "_id": f"{version}:{g['code']}"} for g in grids])
        except BulkWriteError:  # another import wrote this version number at the same moment
            raise Conflict.of("gridmap.changed") from None
        revision = self.revision("grid_map") + 1
        event = make_event(revision, version)
        if old:  # the switch only happens if nobody switched since we looked
            switched = self.update_with_events(
                META, {"_id": "grid_map", "current": old}, {"$set": {"current": version, "revision": revision}}, [event]
            )
        else:
            switched = self.insert_with_events(
                META, {"_id": "grid_map", "current": version, "revision": revision}, [event]
            )
        if not switched:
            self._drop_version(version)
            raise Conflict.of("gridmap.changed")
        self._drop_older_than(version)
        return version

    def _highest_written_version(self) -> int:
        doc = self.db[GRIDS].find_one({}, {"map_version": 1}, sort=[("map_version", -1)])
        return doc["map_version"] if doc else 0

    def _drop_version(self, version: int) -> None:
        for collection in (AREAS, GRIDS):
            self.db[collection].delete_many({"map_version": version})

    def _drop_older_than(self, version: int) -> None:
        for collection in (AREAS, GRIDS):
            self.db[collection].delete_many({"map_version": {"$lt": version}})


class DirectoryStore(MongoStore):
    repository_cls = DirectoryRepository
    outbox_collections = (META,)
    indexes = {
        USERS: [IndexModel([("username", ASCENDING)], unique=True)],
        API_KEYS: [IndexModel([("hash", ASCENDING)], unique=True)],
        AREAS: [IndexModel([("map_version", ASCENDING), ("code", ASCENDING)], unique=True)],
        GRIDS: [
            IndexModel([("map_version", ASCENDING), ("code", ASCENDING)], unique=True),
            IndexModel([("map_version", ASCENDING), ("officers", ASCENDING)]),
            IndexModel([("map_version", ASCENDING), ("leader", ASCENDING)]),
        ],
        # a failure record expires with its window: the store removes it (MongoDB's TTL monitor, SecantusDB's
        # sweeper, each about once a minute)
        **{kind: [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)] for kind in FAILURES_BY.values()},
    }

    def current_person(self, user_id: str) -> Person | None:
        """For ``shared.auth.provider.Caller``: the directory checks its callers against its own records."""
        repository = self.repository_cls(self.db, self.relay)
        user = self.db[USERS].find_one({"_id": user_id}, _PRIVATE)
        return Person(reference_user(user), frozenset(repository.grids_of_user(user_id))) if user else None
