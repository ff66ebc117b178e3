"""Where notifications are kept: inboxes, outgoing deliveries with every attempt, subscriptions,
channel preferences, departments' webhook endpoints, and the live feed.

Every query names the index that answers it (SecantusDB uses an index only when a
query's fields are exactly an index's prefix); ``tests/integration/test_notification_queries.py``
checks the plans. Deliveries are claimed with ``update_one`` on the state and due time
they were read with, so each is sent by one process only, however many replicas scan.
"""

import logging
import uuid
from datetime import UTC, datetime

from cachetools import TTLCache
from eventlet.semaphore import Semaphore
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notifications.domain.delivery import (
    ASSEMBLING,
    DEAD,
    DELIVERY_PREFIX,
    DIGESTED,
    HELD,
    INBOX_PREFIX,
    PENDING,
    SENDING,
)
from services.notifications.secretbox import SecretBox, box_from_config
from shared import paging
from shared.config import ConfigError
from shared.errors import NotFound
from shared.ids import first_id_at, moment_of
from shared.mongo import MongoStore, Repository
from shared.windows import gather

INBOX = "inbox"
DELIVERIES = "deliveries"
SUBSCRIPTIONS = "subscriptions"
PREFERENCES = "preferences"
WEBHOOKS = "webhooks"
FEED = "feed"
COURIER, FEED_PRUNING = "courier", "feed-pruning"  # the service's scans, each run under its lease
DUPLICATE_KEY = 11000
_log = logging.getLogger(__name__)

# index keys by what they answer. Queries never hint them: on the embedded store (SecantusDB) a hint walks the
# whole index; its planner takes the index whose leading fields the query's equalities (then one range) name.
INDEXES = {
    INBOX: {
        "dedup": [("dedup_key", ASCENDING)],
        "department": [("department", ASCENDING), ("_id", DESCENDING)],
        "person": [("user_id", ASCENDING), ("read", ASCENDING), ("_id", DESCENDING)],
        # nothing else: every entry written pays for every index (a dozen entries per report), and nobody asks
        # the inbox by case or correlation id
    },
    DELIVERIES: {
        "dedup": [("dedup_key", ASCENDING)],
        "due": [("state", ASCENDING), ("due_at", ASCENDING)],
        "burst": [("recipient_key", ASCENDING), ("channel", ASCENDING), ("created_at", ASCENDING)],
        "recipient": [("recipient_key", ASCENDING), ("_id", DESCENDING)],
        "case": [("case_id", ASCENDING), ("_id", DESCENDING)],
        "digest": [("digest_id", ASCENDING)],
    },
    SUBSCRIPTIONS: {
        "owner": [("user_id", ASCENDING), ("key", ASCENDING)],
        "key": [("key", ASCENDING)],
    },
    FEED: {
        # ``seq`` repeats ``_id``: the store answers a range on ``_id`` by a scan, on an indexed field by the index
        "seq": [("seq", ASCENDING)],
        "event": [("event_id", ASCENDING)],
        "grid": [("grid", ASCENDING), ("seq", ASCENDING)],
        "departments": [("departments", ASCENDING), ("seq", ASCENDING)],
        "reporters": [("reporters", ASCENDING), ("seq", ASCENDING)],
    },
}
_UNIQUE = {(INBOX, "dedup"), (DELIVERIES, "dedup"), (SUBSCRIPTIONS, "owner"), (FEED, "event")}
_BY_ID = [("_id", ASCENDING)]
_HIDDEN = {"_outbox": 0}
_DELIVERY_VIEW = {"body": 0, "message.html": 0}  # lists and answers leave out the message's whole text
UNREAD, READ = "u", "r"  # the two parts a person's inbox is read in, as its cursors name them


def _id(doc: dict) -> str:
    return doc["_id"]


def _id_of(prefix: str):
    """A cursor reader of an id with ``prefix``: its time part tells where a newest-first page starts."""

    def read(value) -> str:
        moment_of(paging.text(value), prefix)  # ValueError for anything else
        return value

    return read


def _inbox_place(value) -> tuple[str, str]:
    part, entry_id = paging.one_of(UNREAD, READ)(value)
    return part, _id_of(INBOX_PREFIX)(entry_id)


# The feed's head as this process last saw it, per database (a repository lives for one worker).
_FEED_HEADS: dict[str, int] = {}
# Appends of one process go one at a time: each takes the number after the last, so they never collide with each
# other (only with another process's, which costs a re-read).
_FEED_TURNS: dict[str, Semaphore] = {}

# People's channel choices and departments' webhooks are read for every event and changed rarely: each process
# keeps what it read for a few seconds, per database. A change made through this process applies at once; one
# made through another replica within CHOICES_TTL_SECONDS.
CHOICES_TTL_SECONDS = 5.0
_CHOICES: dict[str, TTLCache] = {}


class NotificationRepository(Repository):
    # -- filing ------------------------------------------------------------------------
    def file(self, inbox: list[dict], deliveries: list[dict]) -> list[dict]:
        """Store what an event produced; what an earlier delivery of the event stored already is skipped.
        Returns the deliveries stored now (a redelivered event's were stored the first time)."""
        self._insert_new(INBOX, inbox)
        return self._insert_new(DELIVERIES, deliveries)

    def _insert_new(self, collection: str, docs: list[dict]) -> list[dict]:
        if not docs:
            return []
        try:
            self.db[collection].insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            skipped = {e["index"] for e in errors}
            return [d for i, d in enumerate(docs) if i not in skipped]
        return docs

    # -- what a recipient rule needs -----------------------------------------------------
    def subscribers(self, keys: list[str]) -> list[dict]:
        return list(self.db[SUBSCRIPTIONS].find({"key": {"$in": keys}}))

    @property
    def _choices(self) -> TTLCache:
        return _CHOICES.setdefault(self.db.name, TTLCache(maxsize=50_000, ttl=CHOICES_TTL_SECONDS))

    def _cached(self, kind: str, ids: list[str], read) -> dict:
        """``{id: value}`` for ``ids`` from the cache, reading the missing ones with ``read(missing)``."""
        cache, known = self._choices, {}
        missing = []
        for id_ in dict.fromkeys(ids):
            try:
                known[id_] = cache[(kind, id_)]
            except KeyError:
                missing.append(id_)
        if missing:
            found = read(missing)
            for id_ in missing:
                known[id_] = cache[(kind, id_)] = found.get(id_)
        return known

    def _forget(self, kind: str, id_: str) -> None:
        self._choices.pop((kind, id_), None)

    def preferences_of(self, user_ids: list[str]) -> dict[str, dict]:
        def read(missing):
            return {d["_id"]: d.get("channels", {}) for d in self.db[PREFERENCES].find({"_id": {"$in": missing}})}

        return {k: v for k, v in self._cached("preferences", user_ids, read).items() if v is not None}

    def departments_with_webhooks(self, codes: list[str]) -> set[str]:
        def read(missing):
            docs = self.db[WEBHOOKS].find({"_id": {"$in": missing}}, {"active": 1})
            return {d["_id"]: bool(d.get("active", True)) for d in docs}

        return {code for code, active in self._cached("webhook", codes, read).items() if active}

    def recent_counts(self, pairs: list[tuple[str, str]], since: datetime, cap: int) -> dict[tuple[str, str], int]:
        """Messages made for each (recipient, channel) since ``since``, counted up to ``cap``: the burst rule
        only asks whether there are ``cap`` already. A bounded index walk, not a count (a scan on the embedded
        store, and this runs for every outgoing message)."""
        return {
            (key, channel): len(
                list(
                    self.db[DELIVERIES]
                    .find({"recipient_key": key, "channel": channel, "created_at": {"$gte": since}}, {"_id": 1})
                    .limit(cap)
                )
            )
            for key, channel in pairs
        }

    # -- inboxes -----------------------------------------------------------------------
    def department_inbox(self, department: str, limit: int, cursor: str | None) -> dict:
        """A page of a department's shared inbox, newest first (``shared.paging``)."""
        before = paging.decode(cursor, _id_of(INBOX_PREFIX)) if cursor else None
        return paging.page(self._newest({"department": department}, limit + 1, before), limit, _id)

    def personal_inbox(self, user_id: str, limit: int, cursor: str | None) -> dict:
        """A page of a person's inbox: unread first, then read, newest first in each; the cursor says which part
        and where."""
        part, after = paging.decode(cursor, _inbox_place) if cursor else (UNREAD, None)
        items: list[dict] = []
        for tag in (UNREAD, READ):
            if part == READ and tag == UNREAD:
                continue
            before = after if tag == part else None
            items += self._newest({"user_id": user_id, "read": tag == READ}, limit + 1 - len(items), before)
            if len(items) > limit:
                break
        return paging.page(items, limit, lambda entry: [READ if entry["read"] else UNREAD, entry["_id"]])

    def _newest(
        self,
        query: dict,
        limit: int,
        before: str | None,
        *,
        collection: str = INBOX,
        prefix: str = INBOX_PREFIX,
        projection: dict = _HIDDEN,
    ) -> list[dict]:
        """``limit`` documents of ``query``, newest first, older than the one ``before``: a window of time at a
        time (``shared.windows``; an id says when it was made), so a page of an inbox nobody empties costs what its
        newest windows hold, not everything in it."""
        start = moment_of(before, prefix) if before else datetime.now(UTC)

        def read(near, far, near_open, room):
            # ids are compared, not moments: the first window stops at the cursor's own id, the others where the
            # window before began
            upper = (before if near == start else first_id_at(prefix, near)) if near_open else None
            ids = {**({"$lt": upper} if upper else {}), **({"$gte": first_id_at(prefix, far)} if far else {})}
            return list(
                self.db[collection]
                .find({**query, "_id": ids} if ids else query, projection)
                .sort("_id", DESCENDING)
                .limit(room)
            )

        return gather(read, start, None, limit, start_open=before is not None)

    def unread_count(self, user_id: str) -> int:
        return self.db[INBOX].count_documents({"user_id": user_id, "read": False})

    def mark_read(self, user_id: str, notification_id: str, now: datetime) -> None:
        result = self.db[INBOX].update_one(
            {"_id": notification_id, "user_id": user_id}, {"$set": {"read": True, "read_at": now}}
        )
        if result.matched_count != 1:
            raise NotFound.of("notification.not_found", notification_id=notification_id)

    def mark_all_read(self, user_id: str, now: datetime) -> int:
        return (
            self.db[INBOX]
            .update_many({"user_id": user_id, "read": False}, {"$set": {"read": True, "read_at": now}})
            .modified_count
        )

    # -- subscriptions and preferences ---------------------------------------------------
    def subscriptions_of(self, user_id: str) -> list[dict]:
        return list(self.db[SUBSCRIPTIONS].find({"user_id": user_id}))

    def subscribe(self, subscription: dict) -> tuple[dict, bool]:
        """(the subscription, whether it is new): subscribing twice to the same thing keeps one."""
        try:
            self.db[SUBSCRIPTIONS].insert_one(subscription)
        except DuplicateKeyError:
            existing = self.db[SUBSCRIPTIONS].find_one({"user_id": subscription["user_id"], "key": subscription["key"]})
            return existing, False
        return subscription, True

    def unsubscribe(self, user_id: str, subscription_id: str) -> None:
        if self.db[SUBSCRIPTIONS].delete_one({"_id": subscription_id, "user_id": user_id}).deleted_count != 1:
            raise NotFound.of("subscription.not_found", subscription_id=subscription_id)

    def move_followers(self, from_case: str, to_case: str, now: datetime, new_id) -> int:
        """Followers of a merged case follow the case it was merged into."""
        moved = 0
        for sub in self.db[SUBSCRIPTIONS].find({"key": f"case:{from_case}"}):
            _, created = self.subscribe(
                {
                    "_id": new_id(),
                    "user_id": sub["user_id"],
                    "kind": "case",
                    "target": to_case,
                    "key": f"case:{to_case}",
                    "created_at": now,
                }
            )
            moved += created
        return moved

    def preferences(self, user_id: str) -> dict:
        doc = self.db[PREFERENCES].find_one({"_id": user_id})
        return doc.get("channels", {}) if doc else {}

    def set_preferences(self, user_id: str, channels: dict, now: datetime) -> None:
        self.db[PREFERENCES].update_one(
            {"_id": user_id}, {"$set": {"channels": channels, "updated_at": now}}, upsert=True
        )
        self._forget("preferences", user_id)

    # -- webhook endpoints ---------------------------------------------------------------
    # The secret is kept sealed (``services.notifications.secretbox``): these verbs seal it on the way in and open it
    # on the way out, so nothing above them sees the sealed form.
    secrets: SecretBox | None = None  # set by ``NotificationStore``

    def _sealed(self, secret: str) -> dict:
        return {"secret": self.secrets.seal(secret), "secret_hint": secret[-4:]}

    def _opened(self, endpoint: dict | None) -> dict | None:
        if endpoint is not None and "secret" in endpoint:
            endpoint["secret"] = self.secrets.open(endpoint["secret"])
        return endpoint

    def webhook(self, department: str) -> dict | None:
        return self._opened(self.db[WEBHOOKS].find_one({"_id": department}))

    def webhooks(self) -> list[dict]:
        """Every endpoint, without its secret (its ``secret_hint`` says which it is)."""
        return list(self.db[WEBHOOKS].find({}, {"secret": 0}).sort("_id", ASCENDING))

    def put_webhook(self, department: str, fields_: dict, secret: str | None, now: datetime) -> tuple[dict, bool]:
        """Create or change a department's endpoint; a new one gets ``secret``. (endpoint, created)."""
        update = {"$set": {**fields_, "updated_at": now}}
        if secret is not None:
            update["$setOnInsert"] = {**self._sealed(secret), "created_at": now}
        result = self.db[WEBHOOKS].update_one({"_id": department}, update, upsert=True)
        self._forget("webhook", department)
        return self.webhook(department), result.upserted_id is not None

    def set_webhook_secret(self, department: str, secret: str, now: datetime) -> dict:
        if (
            self.db[WEBHOOKS]
            .update_one({"_id": department}, {"$set": {**self._sealed(secret), "updated_at": now}})
            .matched_count
            != 1
        ):
            raise NotFound.of("webhook.not_found", department=department)
        return self.webhook(department)

    def seal_secrets(self) -> int:
        """Seal, under the first key, every secret stored in plain text (before sealing existed) or under an older
        key; returns how many. Run at start: harmless when several replicas do it at once."""
        sealed = 0
        for endpoint in self.db[WEBHOOKS].find({}, {"secret": 1}):
            stored = endpoint.get("secret")
            if stored is None or self.secrets.up_to_date(stored):
                continue
            try:
                secret = self.secrets.open(stored)
            except ConfigError as exc:  # its webhooks fail, each attempt saying why; the rest of the service runs
                _log.error("webhook of %s: %s", endpoint["_id"], exc)
                continue
            sealed += (
                self.db[WEBHOOKS]
                .update_one({"_id": endpoint["_id"], "secret": stored}, {"$set": self._sealed(secret)})
                .modified_count
            )
        return sealed

    def delete_webhook(self, department: str) -> None:
        self._forget("webhook", department)
        if self.db[WEBHOOKS].delete_one({"_id": department}).deleted_count != 1:
            raise NotFound.of("webhook.not_found", department=department)

    # -- the courier's work --------------------------------------------------------------
    def due(self, state: str, now: datetime, limit: int) -> list[dict]:
        return list(
            self.db[DELIVERIES].find({"state": state, "due_at": {"$lte": now}}).sort("due_at", ASCENDING).limit(limit)
        )

    def claim_due(self, state: str, now: datetime, lease_until: datetime, limit: int) -> list[dict]:
        """Take up to ``limit`` due deliveries in ``state`` for sending until ``lease_until``: one write for all,
        marked with a token of this claim, then a point read of which ones it got (another process may have
        taken some first)."""
        due = self.due(state, now, limit)
        if not due:
            return []
        token, ids = uuid.uuid4().hex, [d["_id"] for d in due]
        self.db[DELIVERIES].update_many(
            {"_id": {"$in": ids}, "state": state, "due_at": {"$lte": now}},
            {"$set": {"state": SENDING, "due_at": lease_until, "claim": token}},
        )
        ours = {
            d["_id"] for d in self.db[DELIVERIES].find({"_id": {"$in": ids}}, {"claim": 1}) if d.get("claim") == token
        }
        return [{**d, "state": SENDING, "due_at": lease_until, "claim": token} for d in due if d["_id"] in ours]

    def settle(self, delivery: dict, fields_: dict, attempt: dict) -> bool:
        """Record an attempt and its consequence, if the claim is still ours."""
        result = self.db[DELIVERIES].update_one(
            {"_id": delivery["_id"], "state": SENDING, "claim": delivery["claim"]},
            {"$set": fields_, "$inc": {"tries": 1}, "$push": {"attempts": attempt}, "$unset": {"claim": ""}},
        )
        return result.modified_count == 1

    def release(self, delivery: dict, now: datetime) -> bool:
        """A held message alone in its window goes out as itself."""
        return (
            self.db[DELIVERIES]
            .update_one({"_id": delivery["_id"], "state": HELD}, {"$set": {"state": PENDING, "due_at": now}})
            .modified_count
            == 1
        )

    def gather_digest(self, digest: dict, member_ids: list[str], now: datetime) -> int:
        """File ``digest`` and move the held ``member_ids`` into it; returns how many it got.

        The digest is filed as ``assembling`` (not sendable) until its members are in,
        so it is never sent half-gathered; if this process dies in between, its lease
        runs out and the courier sends it with the members it has.
        """
        self.db[DELIVERIES].insert_one(digest)
        got = (
            self.db[DELIVERIES]
            .update_many(
                {"_id": {"$in": member_ids}, "state": HELD}, {"$set": {"state": DIGESTED, "digest_id": digest["_id"]}}
            )
            .modified_count
        )
        self.db[DELIVERIES].update_one(
            {"_id": digest["_id"], "state": ASSEMBLING}, {"$set": {"state": PENDING, "due_at": now}}
        )
        return got

    def digest_members(self, digest_id: str) -> list[dict]:
        return list(self.db[DELIVERIES].find({"digest_id": digest_id}, {"message": 1, "case_id": 1}))

    # -- who was told what ---------------------------------------------------------------
    def deliveries(self, by: str, value: str, limit: int, cursor: str | None) -> dict:
        """A page of deliveries, newest first, ``by`` ``case`` (a case id) or ``recipient`` (``user:…``/
        ``department:…``)."""
        before = paging.decode(cursor, _id_of(DELIVERY_PREFIX)) if cursor else None
        found = self._newest(
            {"case_id" if by == "case" else "recipient_key": value},
            limit + 1,
            before,
            collection=DELIVERIES,
            prefix=DELIVERY_PREFIX,
            projection=_DELIVERY_VIEW,
        )
        return paging.page(found, limit, _id)

    def dead(self, limit: int, cursor: str | None) -> dict:
        """A page of the deliveries that failed every attempt, the most recently due first, by (due, id)."""
        query: dict = {"state": DEAD}
        if cursor:
            due, last_id = paging.decode(cursor, paging.moment_and_id)
            # the due moment first: the store narrows by its index, then checks the rest on what it found
            query = {
                "state": DEAD,
                "due_at": {"$lte": due},
                "$or": [{"due_at": {"$lt": due}}, {"_id": {"$lt": last_id}}],
            }
        found = self.db[DELIVERIES].find(query, _DELIVERY_VIEW).sort([("due_at", DESCENDING), ("_id", DESCENDING)])
        return paging.page(list(found.limit(limit + 1)), limit, lambda d: [d["due_at"], d["_id"]])

    def replay(self, delivery_id: str, now: datetime) -> dict:
        """A dead delivery gets a fresh set of attempts, due now; the old attempts stay on record."""
        result = self.db[DELIVERIES].update_one(
            {"_id": delivery_id, "state": DEAD},
            {"$set": {"state": PENDING, "due_at": now, "tries": 0, "replayed_at": now}},
        )
        if result.matched_count != 1:
            raise NotFound.of("delivery.not_dead", delivery_id=delivery_id)
        return self.db[DELIVERIES].find_one({"_id": delivery_id}, _DELIVERY_VIEW)

    # -- the live feed ---------------------------------------------------------------------
    def append_feed(self, entry: dict, attempts: int = 100) -> dict:
        """Store ``entry`` under the next number and return it; an event already in the feed keeps its number.

        The number is the highest stored plus one, taken by inserting it (``_id`` is
        unique): a number is only ever taken after the one before it is stored, so
        readers never see a later entry while an earlier one is still to come.
        """
        with _FEED_TURNS.setdefault(self.db.name, Semaphore()):
            return self._append_feed(entry, attempts)

    def _append_feed(self, entry: dict, attempts: int) -> dict:
        # One command in the common case: the number after the head this process knows. Only a collision — another
        # process took that number, or this event is in the feed already — costs a read.
        head = _FEED_HEADS[self.db.name] if self.db.name in _FEED_HEADS else self.feed_head()
        for _ in range(attempts):
            doc = {**entry, "_id": head + 1, "seq": head + 1}
            try:
                self.db[FEED].insert_one(doc)
            except DuplicateKeyError as exc:
                if "event_id" in (exc.details or {}).get("keyPattern", {}):
                    existing = self.db[FEED].find_one({"event_id": entry["event_id"]})
                    if existing:
                        return existing
                head = self.feed_head()
                continue
            _FEED_HEADS[self.db.name] = max(_FEED_HEADS.get(self.db.name, 0), head + 1)
            return doc
        raise RuntimeError("could not append to the feed: too much contention")

    def feed_head(self) -> int:
        """The highest number stored. Read from the last one this process saw on: the entries at or above it are
        the few other writers added since, where the whole feed would be a scan."""
        known = _FEED_HEADS.get(self.db.name, 0)
        last = list(self.db[FEED].find({"seq": {"$gte": known}}, {"seq": 1}).sort("seq", DESCENDING).limit(1))
        head = last[0]["seq"] if last else known
        _FEED_HEADS[self.db.name] = head
        return head

    def number_old_feed_entries(self) -> int:
        """Give ``seq`` to feed entries stored before it existed (it repeats ``_id``); returns how many. Without it
        they are invisible to ``feed_head``, and every append would collide with them until it gave up."""
        numbered = 0
        while old := list(self.db[FEED].find({"seq": None}, {"_id": 1}).limit(1000)):
            batch = sum(
                self.db[FEED].update_one({"_id": doc["_id"], "seq": None}, {"$set": {"seq": doc["_id"]}}).modified_count
                for doc in old
            )
            if not batch:  # another replica numbered them meanwhile, or the store will not: either way, done
                break
            numbered += batch
        return numbered

    def feed_holds(self, seq: int) -> bool:
        """Whether entry ``seq`` is still kept (pruning removes the oldest)."""
        return self.db[FEED].find_one({"_id": seq}, {"_id": 1}) is not None

    def feed_after(self, after: int, limit: int, scopes: list[dict] | None = None) -> list[dict]:
        """Up to ``limit`` entries after ``after`` in order, matching any of ``scopes`` (None: all). One query per
        scope, each answered by its index, merged: an entry two scopes match is read twice, kept once."""
        found = {}
        for scope in [{}] if scopes is None else scopes:
            query = {**scope, "seq": {"$gt": after}}
            found.update((e["_id"], e) for e in self.db[FEED].find(query).sort("seq", ASCENDING).limit(limit))
        return [found[seq] for seq in sorted(found)[:limit]]

    def prune_feed(self, keep: int) -> int:
        cutoff = self.feed_head() - keep
        if cutoff <= 0:
            return 0
        return self.db[FEED].delete_many({"seq": {"$lte": cutoff}}).deleted_count


class NotificationStore(MongoStore):
    repository_cls = NotificationRepository
    scans = (COURIER, FEED_PRUNING)
    retired_indexes = {INBOX: ("case_id_1", "correlation_id_1")}
    indexes = {
        collection: [
            IndexModel(keys, unique=(collection, name) in _UNIQUE, sparse=name == "digest")
            for name, keys in by_name.items()
        ]
        for collection, by_name in INDEXES.items()
    }

    def setup(self):
        # Before any extension starts (nameko starts them all at once, consumers too): what an earlier version
        # stored is brought up to date first.
        super().setup()
        self.secrets = box_from_config(self.container.config)
        repository = self.get_dependency(None)
        sealed = repository.seal_secrets()
        if sealed:
            _log.info("sealed %d webhook secret(s) under the first key of WEBHOOK_SECRETS_KEY_FILE", sealed)
        numbered = repository.number_old_feed_entries()
        if numbered:
            _log.info("numbered %d feed entries stored before feed entries had a seq", numbered)

    def get_dependency(self, worker_ctx):
        repository = super().get_dependency(worker_ctx)
        repository.secrets = self.secrets
        return repository
