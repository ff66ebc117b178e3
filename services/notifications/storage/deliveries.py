"""Outgoing deliveries: the burst rule's counts, the courier's claims and settlements, digests, who was told what,
and the dead letters an administrator may replay.

Deliveries are claimed with ``update_many`` on the state and due time they were read with, marked with a token of the
claim, so each is sent by one process only, however many replicas scan.

The burst rule asks, for every e-mail and SMS an event makes, how many messages were made for that person and channel
within the window; the same few people (a department's handlers and head, a grid's officers) are asked about again
and again. Each process remembers what it read for ``CHOICES_TTL_SECONDS`` and adds what it files itself meanwhile
(``RecentBursts``): its own messages count at once, another replica's within those seconds — the threshold was a
soft limit already (workers filing at the same moment may each let one more through).
"""

import uuid
from datetime import datetime

from cachetools import TTLCache
from pymongo import ASCENDING, DESCENDING

from services.notifications.domain.delivery import ASSEMBLING, DEAD, DELIVERY_PREFIX, DIGESTED, HELD, PENDING, SENDING
from services.notifications.storage.choices import CHOICES_TTL_SECONDS
from services.notifications.storage.indexes import DELIVERIES
from services.notifications.storage.pages import by_id, id_of, newest
from shared import paging
from shared.errors import NotFound

_DELIVERY_VIEW = {"body": 0, "message.html": 0}  # lists and answers leave out the message's whole text
_DIGEST_ADDRESS = ("recipient", "target", "language")  # what a digest takes from one of its messages
# Held messages moved into their digest per command: a busy window in one command held the store for a second,
# and every notification filed meanwhile waited behind it.
GATHER_CHUNK = 200


class RecentBursts:
    """When the messages this process knows of were made for each (recipient key, channel): those it read, kept
    for ``ttl`` seconds from the read, and those it filed since (one per store, so per process)."""

    def __init__(self, maxsize: int = 50_000, ttl: float = CHOICES_TTL_SECONDS):
        # when the messages known were made: the newest the read found (up to its cap), then those filed since
        self._known: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)

    def count(self, pair: tuple[str, str], since: datetime, cap: int) -> int | None:
        """Messages made since ``since``, up to ``cap``; None: not known, read them. Exact however far the window
        has moved since the read: the read kept the newest, so any it left out were made before all of those and
        left the window before they did."""
        times = self._known.get(pair)
        if times is None:
            return None
        times[:] = [t for t in times if t >= since]
        return min(len(times), cap)

    def read(self, pair: tuple[str, str], newest: list[datetime]) -> None:
        self._known[pair] = list(newest)

    def filed(self, deliveries: list[dict]) -> None:
        """Count ``deliveries`` (just stored) for the pairs this process remembers."""
        for delivery in deliveries:
            times = self._known.get((delivery.get("recipient_key"), delivery.get("channel")))
            if times is not None:
                times.append(delivery["created_at"])


class DeliveryVerbs:
    """A part of ``NotificationRepository`` (``self.db``, ``self.bursts``): the ``deliveries`` collection, filed by
    ``file``."""

    bursts: RecentBursts

    def recent_counts(self, pairs: list[tuple[str, str]], since: datetime, cap: int) -> dict[tuple[str, str], int]:
        """Messages made for each (recipient, channel) since ``since``, counted up to ``cap``: the burst rule
        only asks whether there are ``cap`` already. From what this process remembers (``RecentBursts``), or the
        newest ``cap`` of the window, not a count (a scan on the embedded store, and this runs for every outgoing
        message): the newest, so that what is remembered stays exact as the window moves on (the oldest ``cap``, as
        this read was once, went stale as soon as one left it: a busy person was read again for every message)."""
        counts = {}
        for key, channel in pairs:
            known = self.bursts.count((key, channel), since, cap)
            if known is None:
                found = (
                    self.db[DELIVERIES]
                    .find({"recipient_key": key, "channel": channel, "created_at": {"$gte": since}}, {"created_at": 1})
                    .sort("created_at", DESCENDING)
                    .limit(cap)
                )
                times = [d["created_at"] for d in found]
                self.bursts.read((key, channel), times)
                known = len(times)
            counts[(key, channel)] = known
        return counts

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

    def release(self, delivery_id: str, now: datetime) -> bool:
        """A held message alone in its window goes out as itself."""
        return (
            self.db[DELIVERIES]
            .update_one({"_id": delivery_id, "state": HELD}, {"$set": {"state": PENDING, "due_at": now}})
            .modified_count
            == 1
        )

    def held_due(self, now: datetime, limit: int) -> list[dict]:
        """Who has held messages due, at most ``limit`` recipients and channels: one row each with the ids of all
        their held messages (``ids``) and the address of one of them (the digest's).

        Grouped in the store so that a recipient's whole window goes into one digest however many it held, in one
        pass of the courier: a batch of messages split a busy person's window into several digests and gathered
        a batch a second, less than a few reports a second hold at each window's end."""
        rows = self.db[DELIVERIES].aggregate(
            [
                {"$match": {"state": HELD, "due_at": {"$lte": now}}},
                {
                    "$group": {
                        "_id": {"recipient_key": "$recipient_key", "channel": "$channel"},
                        **{field: {"$first": f"${field}"} for field in _DIGEST_ADDRESS},
                        "ids": {"$push": "$_id"},
                    }
                },
                {"$sort": {"_id": 1}},
                {"$limit": limit},
            ]
        )
        return [{**{f: row.get(f) for f in _DIGEST_ADDRESS}, **row["_id"], "ids": row["ids"]} for row in rows]

    def gather_digest(self, digest: dict, member_ids: list[str], now: datetime) -> int:
        """File ``digest`` and move the held ``member_ids`` into it; returns how many it got.

        The digest is filed as ``assembling`` (not sendable) until its members are in,
        so it is never sent half-gathered; if this process dies in between, its lease
        runs out and the courier sends it with the members it has.
        """
        self.db[DELIVERIES].insert_one(digest)
        self.bursts.filed([digest])
        got = 0
        for start in range(0, len(member_ids), GATHER_CHUNK):
            got += (
                self.db[DELIVERIES]
                .update_many(
                    {"_id": {"$in": member_ids[start : start + GATHER_CHUNK]}, "state": HELD},
                    {"$set": {"state": DIGESTED, "digest_id": digest["_id"]}},
                )
                .modified_count
            )
        self.db[DELIVERIES].update_one(
            {"_id": digest["_id"], "state": ASSEMBLING}, {"$set": {"state": PENDING, "due_at": now, "members": got}}
        )
        return got

    def digest_members(self, digest_id: str, limit: int = 0) -> list[dict]:
        """The first ``limit`` (0: all) messages a digest stands for, oldest first: their subjects and cases."""
        found = self.db[DELIVERIES].find({"digest_id": digest_id}, {"message.subject": 1, "case_id": 1})
        return list(found.sort("_id", ASCENDING).limit(limit))

    def digest_size(self, digest_id: str) -> int:
        return self.db[DELIVERIES].count_documents({"digest_id": digest_id})

    # -- who was told what ---------------------------------------------------------------
    def deliveries(self, by: str, value: str, limit: int, cursor: str | None) -> dict:
        """A page of deliveries, newest first, ``by`` ``case`` (a case id) or ``recipient`` (``user:…``/
        ``department:…``)."""
        before = paging.decode(cursor, id_of(DELIVERY_PREFIX)) if cursor else None
        found = newest(
            self.db[DELIVERIES],
            {"case_id" if by == "case" else "recipient_key": value},
            limit + 1,
            before,
            prefix=DELIVERY_PREFIX,
            projection=_DELIVERY_VIEW,
        )
        return paging.page(found, limit, by_id)

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
