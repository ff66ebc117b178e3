"""What people chose: their subscriptions and their channel preferences; and the process's memory of the choices
every event reads (the subscriptions to its case and its places, people's preferences, departments' webhooks).

These are read for every event and changed rarely: each process keeps what it read for a few seconds
(``RecentChoices``, one per store, so per process). A change made through this process applies at once; one made
through another replica within ``CHOICES_TTL_SECONDS``.
"""

from datetime import datetime

from cachetools import TTLCache
from pymongo.errors import DuplicateKeyError

from services.notifications.storage.indexes import PREFERENCES, SUBSCRIPTIONS
from shared.errors import NotFound

CHOICES_TTL_SECONDS = 5.0
SUBSCRIBERS = "subscribers"  # RecentChoices' kind for the subscriptions to a key


class RecentChoices:
    """What this process read of people's and departments' choices, for ``CHOICES_TTL_SECONDS``, by (kind, id)."""

    def __init__(self, maxsize: int = 50_000, ttl: float = CHOICES_TTL_SECONDS):
        self._cache = TTLCache(maxsize=maxsize, ttl=ttl)

    def read(self, kind: str, ids: list[str], read) -> dict:
        """``{id: value}`` for ``ids`` from memory, reading the missing ones with ``read(missing)``."""
        known, missing = {}, []
        for id_ in dict.fromkeys(ids):
            try:
                known[id_] = self._cache[(kind, id_)]
            except KeyError:
                missing.append(id_)
        if missing:
            found = read(missing)
            for id_ in missing:
                known[id_] = self._cache[(kind, id_)] = found.get(id_)
        return known

    def forget(self, kind: str, id_: str) -> None:
        self._cache.pop((kind, id_), None)


class ChoiceVerbs:
    """A part of ``NotificationRepository`` (``self.db``, ``self.recent``): subscriptions and preferences."""

    recent: RecentChoices

    # -- subscriptions -------------------------------------------------------------------
    def subscribers(self, keys: list[str]) -> list[dict]:
        """The subscriptions to any of ``keys``. Each event asks for its case's and its places' (grid, community,
        street, category), and a case's events and the cases of one place ask again within seconds: the keys read
        in the last ``CHOICES_TTL_SECONDS`` are answered from memory, the others in one read."""

        def read(missing):
            found: dict[str, list[dict]] = {key: [] for key in missing}
            for subscription in self.db[SUBSCRIPTIONS].find({"key": {"$in": missing}}):
                found[subscription["key"]].append(subscription)
            return found

        return [s for subscriptions in self.recent.read(SUBSCRIBERS, keys, read).values() for s in subscriptions]

    def subscriptions_of(self, user_id: str) -> list[dict]:
        return list(self.db[SUBSCRIPTIONS].find({"user_id": user_id}))

    def subscribe(self, subscription: dict) -> tuple[dict, bool]:
        """(the subscription, whether it is new): subscribing twice to the same thing keeps one."""
        try:
            self.db[SUBSCRIPTIONS].insert_one(subscription)
            self.recent.forget(SUBSCRIBERS, subscription["key"])
        except DuplicateKeyError:
            existing = self.db[SUBSCRIPTIONS].find_one({"user_id": subscription["user_id"], "key": subscription["key"]})
            return existing, False
        return subscription, True

    def unsubscribe(self, user_id: str, subscription_id: str) -> None:
        deleted = self.db[SUBSCRIPTIONS].find_one_and_delete({"_id": subscription_id, "user_id": user_id}, {"key": 1})
        if deleted is None:
            raise NotFound.of("subscription.not_found", subscription_id=subscription_id)
        self.recent.forget(SUBSCRIBERS, deleted["key"])

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

    # -- channel preferences -------------------------------------------------------------
    def preferences(self, user_id: str) -> dict:
        doc = self.db[PREFERENCES].find_one({"_id": user_id})
        return doc.get("channels", {}) if doc else {}

    def preferences_of(self, user_ids: list[str]) -> dict[str, dict]:
        def read(missing):
            return {d["_id"]: d.get("channels", {}) for d in self.db[PREFERENCES].find({"_id": {"$in": missing}})}

        return {k: v for k, v in self.recent.read("preferences", user_ids, read).items() if v is not None}

    def set_preferences(self, user_id: str, channels: dict, now: datetime) -> None:
        self.db[PREFERENCES].update_one(
            {"_id": user_id}, {"$set": {"channels": channels, "updated_at": now}}, upsert=True
        )
        self.recent.forget("preferences", user_id)
