"""The live feed: entries numbered ``1, 2, 3, …`` in the order they were stored (``domain/feed.py`` makes them).

The number is the highest stored plus one, taken by inserting it (``_id`` is unique): a number is only ever taken
after the one before it is stored, so readers never see a later entry while an earlier one is still to come.
"""

from eventlet.semaphore import Semaphore
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notifications.storage.indexes import FEED


class FeedHead:
    """The feed's head as this process last saw it, and whose turn it is to append (one per store, so per process:
    a repository lives for one worker only).

    Appends of one process go one at a time: each takes the number after the last, so they never collide with each
    other (only with another process's, which costs a re-read)."""

    def __init__(self):
        self.known: int | None = None  # None: not read yet
        self.turn = Semaphore()


class FeedVerbs:
    """A part of ``NotificationRepository`` (``self.db``, ``self.head``): the ``feed`` collection."""

    head: FeedHead

    def append_feed(self, entry: dict, attempts: int = 100) -> dict:
        """Store ``entry`` under the next number and return it; an event already in the feed keeps its number."""
        with self.head.turn:
            return self._append_feed(entry, attempts)

    def append_feed_many(self, entries: list[dict], attempts: int = 100) -> list[dict]:
        """Store ``entries`` under the next numbers, in their order, and return them as stored: one ordered
        ``insert_many`` while nothing collides (a number is still only taken once the one before it is stored). From
        the first collision on — another process took a number, or an event is in the feed already — the rest go one
        by one, as ``append_feed`` does."""
        with self.head.turn:
            head = self.head.known if self.head.known is not None else self.feed_head()
            docs = [{**entry, "_id": head + i, "seq": head + i} for i, entry in enumerate(entries, 1)]
            try:
                self.db[FEED].insert_many(docs, ordered=True)
            except BulkWriteError as exc:
                done = exc.details.get("nInserted", 0)
                self.head.known = max(self.head.known or 0, head + done)
                return docs[:done] + [self._append_feed(entry, attempts) for entry in entries[done:]]
            self.head.known = max(self.head.known or 0, head + len(docs))
            return docs

    def _append_feed(self, entry: dict, attempts: int) -> dict:
        # One command in the common case: the number after the head this process knows. Only a collision — another
        # process took that number, or this event is in the feed already — costs a read.
        head = self.head.known if self.head.known is not None else self.feed_head()
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
            self.head.known = max(self.head.known or 0, head + 1)
            return doc
        raise RuntimeError("could not append to the feed: too much contention")

    def feed_head(self) -> int:
        """The highest number stored. Read from the last one this process saw on: the entries at or above it are
        the few other writers added since, where the whole feed would be a scan."""
        known = self.head.known or 0
        last = list(self.db[FEED].find({"seq": {"$gte": known}}, {"seq": 1}).sort("seq", DESCENDING).limit(1))
        head = last[0]["seq"] if last else known
        self.head.known = head
        return head

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
