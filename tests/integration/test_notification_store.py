"""The notifications store's own bookkeeping, on the real store: the live feed's numbering when another process
writes too, and the courier's claims when two couriers run."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.storage import NotificationRepository, NotificationStore
from services.notifications.storage.choices import RecentChoices
from tests.support.infra import unique_name

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(mongo_server):
    client = mongo_server.client()
    database = client[unique_name("cgt_notify_store")]
    for collection, models in NotificationStore.indexes.items():
        database[collection].create_indexes(models)
    yield database
    client.drop_database(database.name)
    client.close()


def test_the_feed_numbers_on_after_entries_another_process_added(db):
    repository = NotificationRepository(db, None)
    assert repository.append_feed({"event_id": "e1"})["_id"] == 1
    # another replica appends 2 and 3 behind this process's back
    db.feed.insert_many([{"_id": n, "seq": n, "event_id": f"other{n}"} for n in (2, 3)])
    assert repository.feed_head() == 3
    assert repository.append_feed({"event_id": "e4"})["_id"] == 4
    assert repository.append_feed({"event_id": "e1"})["_id"] == 1  # an event already in the feed keeps its number
    assert [e["_id"] for e in repository.feed_after(0, 10)] == [1, 2, 3, 4]


def test_a_pruned_entry_is_no_longer_held_and_the_head_survives_pruning(db):
    repository = NotificationRepository(db, None)
    for n in range(1, 11):
        repository.append_feed({"event_id": f"e{n}"})
    assert repository.prune_feed(keep=3) == 7
    assert not repository.feed_holds(7) and repository.feed_holds(8)
    assert repository.feed_head() == 10 and repository.append_feed({"event_id": "e11"})["_id"] == 11


def test_two_couriers_never_claim_the_same_delivery(db):
    db.deliveries.insert_many(
        [
            {
                "_id": f"D{i}",
                "dedup_key": f"k{i}",
                "state": "pending",
                "due_at": NOW,
                "recipient_key": "user:u1",
                "channel": "email",
                "created_at": NOW,
                "tries": 0,
            }
            for i in range(6)
        ]
    )
    first, second = NotificationRepository(db, None), NotificationRepository(db, None)
    lease = NOW + timedelta(minutes=5)
    mine = first.claim_due("pending", NOW, lease, limit=4)
    theirs = second.claim_due("pending", NOW, lease, limit=10)
    assert len(mine) == 4 and len(theirs) == 2
    assert not {d["_id"] for d in mine} & {d["_id"] for d in theirs}
    assert {d["claim"] for d in db.deliveries.find()} == {mine[0]["claim"], theirs[0]["claim"]}
    assert second.claim_due("pending", NOW, lease, limit=10) == []  # nothing left to take


def test_choices_are_read_once_a_few_seconds_and_a_change_here_applies_at_once(db, mongo_server):
    from pymongo import MongoClient

    from services.notifications import storage
    from tests.integration.test_notification_queries import Recorder

    db.preferences.insert_one({"_id": "u1", "channels": {"case.dispatched": ["inbox"]}})
    db.webhooks.insert_one({"_id": "d1", "url": "https://example.org/h", "active": True})
    recorder = Recorder()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[recorder])
    try:
        repository = NotificationRepository(client[db.name], None)
        assert repository.preferences_of(["u1", "u2"]) == {"u1": {"case.dispatched": ["inbox"]}}
        assert repository.departments_with_webhooks(["d1", "d2"]) == {"d1"}
        assert repository.preferences_of(["u2", "u1"]) == {"u1": {"case.dispatched": ["inbox"]}}
        assert repository.departments_with_webhooks(["d2", "d1"]) == {"d1"}
        # the second round came from memory, absent ids too
        assert sorted(r["find"] for r in recorder.reads) == ["preferences", "webhooks"]

        repository.set_preferences("u2", {"case.dispatched": ["sms"]}, NOW)
        assert repository.preferences_of(["u1", "u2"])["u2"] == {"case.dispatched": ["sms"]}
        repository.delete_webhook("d1")
        assert repository.departments_with_webhooks(["d1"]) == set()
    finally:
        client.close()
    assert storage.CHOICES_TTL_SECONDS <= 10  # a change through another replica shows within seconds


def test_subscribers_are_remembered_a_moment_and_a_change_through_this_process_applies_at_once(db):
    repository = NotificationRepository(db, None, recent=RecentChoices(ttl=0.3))
    assert repository.subscribers(["case:C1", "grid:G1"]) == []
    repository.subscribe({"_id": "S1", "user_id": "u1", "kind": "case", "target": "C1", "key": "case:C1"})
    assert [s["_id"] for s in repository.subscribers(["case:C1", "grid:G1"])] == ["S1"]
    # another replica's subscription: seen once what this process remembers of the key is older than the TTL
    db.subscriptions.insert_one({"_id": "S2", "user_id": "u2", "kind": "grid", "target": "G1", "key": "grid:G1"})
    assert [s["_id"] for s in repository.subscribers(["case:C1", "grid:G1"])] == ["S1"]
    time.sleep(0.35)
    assert sorted(s["_id"] for s in repository.subscribers(["case:C1", "grid:G1"])) == ["S1", "S2"]
    repository.unsubscribe("u1", "S1")
    assert [s["_id"] for s in repository.subscribers(["case:C1", "grid:G1"])] == ["S2"]
    repository.move_followers("C9", "C1", NOW, lambda: "S3")  # C9 has no followers: nothing moves
    assert [s["_id"] for s in repository.subscribers(["case:C1"])] == []
