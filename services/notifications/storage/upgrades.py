"""What an earlier version stored, brought up to date when the service starts (``NotificationStore.setup``).

Each fix is harmless when several replicas run it at once, and does nothing once the data is up to date.
"""

import logging

from services.notifications.secretbox import SecretBox
from services.notifications.storage.indexes import FEED, WEBHOOKS
from services.notifications.storage.webhooks import sealed
from shared.config import ConfigError

_log = logging.getLogger(__name__)


def bring_up_to_date(db, secrets: SecretBox) -> None:
    count = seal_secrets(db, secrets)
    if count:
        _log.info("sealed %d webhook secret(s) under the first key of WEBHOOK_SECRETS_KEY_FILE", count)
    numbered = number_old_feed_entries(db)
    if numbered:
        _log.info("numbered %d feed entries stored before feed entries had a seq", numbered)


def seal_secrets(db, secrets: SecretBox) -> int:
    """Seal, under the first key, every webhook secret stored in plain text (before sealing existed) or under an
    older key; returns how many."""
    count = 0
    for endpoint in db[WEBHOOKS].find({}, {"secret": 1}):
        stored = endpoint.get("secret")
        if stored is None or secrets.up_to_date(stored):
            continue
        try:
            secret = secrets.open(stored)
        except ConfigError as exc:  # its webhooks fail, each attempt saying why; the rest of the service runs
            _log.error("webhook of %s: %s", endpoint["_id"], exc)
            continue
        count += (
            db[WEBHOOKS]
            .update_one({"_id": endpoint["_id"], "secret": stored}, {"$set": sealed(secrets, secret)})
            .modified_count
        )
    return count


def number_old_feed_entries(db) -> int:
    """Give ``seq`` to feed entries stored before it existed (it repeats ``_id``); returns how many. Without it
    they are invisible to ``feed_head``, and every append would collide with them until it gave up."""
    numbered = 0
    while old := list(db[FEED].find({"seq": None}, {"_id": 1}).limit(1000)):
        batch = sum(
            db[FEED].update_one({"_id": doc["_id"], "seq": None}, {"$set": {"seq": doc["_id"]}}).modified_count
            for doc in old
        )
        if not batch:  # another replica numbered them meanwhile, or the store will not: either way, done
            break
        numbered += batch
    return numbered
