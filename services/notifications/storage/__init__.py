"""Where notifications are kept: inboxes, outgoing deliveries with every attempt, subscriptions, channel preferences,
departments' webhook endpoints, and the live feed.

One module per part, each over its own collections; ``NotificationRepository`` is their sum, so the service asks one
repository (``self.store.<verb>``), and ``NotificationStore`` (the dependency provider) keeps what a process
remembers between workers — the choices it read lately, the messages made lately, the feed's head, the events being
filed — one of each per store:

    indexes.py      the collections and the indexes that answer their queries
    pages.py        newest-first pages of time-ordered ids (the inbox, the deliveries)
    inbox.py        people's and departments' inboxes
    deliveries.py   outgoing deliveries: the burst rule's counts, claims, settlements, digests, dead letters
    choices.py      subscriptions and channel preferences, and the process's memory of choices
    webhooks.py     departments' webhook endpoints, their secrets sealed
    feed.py         the live feed's numbered entries
    filing.py       what events produced, filed several events at a time (group commit)
    upgrades.py     what an earlier version stored, brought up to date at start

Every query names the index that answers it (SecantusDB uses an index only when a query's fields are exactly an
index's prefix); ``tests/integration/test_notification_queries.py`` checks the plans.
"""

from pymongo.errors import BulkWriteError

from services.notifications.secretbox import SecretBox, box_from_config
from services.notifications.storage import upgrades
from services.notifications.storage.choices import CHOICES_TTL_SECONDS, ChoiceVerbs, RecentChoices
from services.notifications.storage.deliveries import DeliveryVerbs, RecentBursts
from services.notifications.storage.feed import FeedHead, FeedVerbs
from services.notifications.storage.filing import Filing, FilingVerbs
from services.notifications.storage.inbox import InboxVerbs
from services.notifications.storage.indexes import DELIVERIES, INBOX, MODELS, RETIRED
from services.notifications.storage.webhooks import WebhookVerbs
from shared.config import setting
from shared.groupcommit import GroupCommit
from shared.mongo import MongoStore, Repository

__all__ = [
    "CHOICES_TTL_SECONDS",
    "COURIER",
    "FEED_PRUNING",
    "Filing",
    "NotificationRepository",
    "NotificationStore",
]

COURIER, FEED_PRUNING = "courier", "feed-pruning"  # the service's scans, each run under its lease
DUPLICATE_KEY = 11000


class NotificationRepository(FilingVerbs, InboxVerbs, DeliveryVerbs, ChoiceVerbs, WebhookVerbs, FeedVerbs, Repository):
    """Per-worker access to the notifications' database: the verbs of every part.

    ``recent``, ``head``, ``filings`` and ``bursts`` are the process's (its store's); a repository made alone (a
    test) gets its own."""

    def __init__(
        self,
        db,
        relay,
        leases=None,
        *,
        recent: RecentChoices | None = None,
        head: FeedHead | None = None,
        secrets: SecretBox | None = None,
        filings: GroupCommit | None = None,
        bursts: RecentBursts | None = None,
    ):
        super().__init__(db, relay, leases)
        self.recent = recent if recent is not None else RecentChoices()
        self.head = head if head is not None else FeedHead()
        self.filings = filings if filings is not None else GroupCommit()
        self.bursts = bursts if bursts is not None else RecentBursts()
        self.secrets = secrets

    def file(self, inbox: list[dict], deliveries: list[dict]) -> list[dict]:
        """Store what an event produced; what an earlier delivery of the event stored already is skipped.
        Returns the deliveries stored now (a redelivered event's were stored the first time)."""
        self._insert_new(INBOX, inbox)
        made = self._insert_new(DELIVERIES, deliveries)
        self.bursts.filed(made)
        return made

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


class NotificationStore(MongoStore):
    repository_cls = NotificationRepository
    scans = (COURIER, FEED_PRUNING)
    retired_indexes = RETIRED
    indexes = MODELS

    def setup(self):
        # Before any extension starts (nameko starts them all at once, consumers too): what an earlier version
        # stored is brought up to date first.
        super().setup()
        self.secrets = box_from_config(self.container.config)
        self.recent = RecentChoices()
        self.head = FeedHead()
        self.bursts = RecentBursts()
        config = self.container.config
        # the events this process files at the same moment share their writes (storage/filing.py)
        self.filings = GroupCommit(
            max_batch=setting(config, "NOTIFY_MAX_BATCH", 50, int),
            linger=setting(config, "NOTIFY_LINGER_SECONDS", 0.05, float),
        )
        upgrades.bring_up_to_date(self.db, self.secrets)

    def get_dependency(self, worker_ctx):
        return NotificationRepository(
            self.db,
            self.relay,
            self.leases,
            recent=self.recent,
            head=self.head,
            secrets=self.secrets,
            filings=self.filings,
            bursts=self.bursts,
        )
