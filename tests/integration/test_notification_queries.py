"""Every query the notifications store runs is answered from an index: recorded as it runs on the real store, and
read by the rule its executor follows (``tests.support.plans``)."""

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import MongoClient

from services.notifications.storage import NotificationRepository, NotificationStore, upgrades
from shared import paging
from shared.ids import ulid
from tests.support.plans import answering_index, index_keys
from tests.support.recording import Recorder

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# inbox entries made a minute apart, up to now (an entry's id says when it was made)
INBOX_IDS = [f"N{ulid(int(datetime.now(UTC).timestamp() * 1000) - (300 - i) * 60_000)}" for i in range(300)]
DELIVERY_IDS = [f"D{entry[1:]}" for entry in INBOX_IDS]
# the command centre's, half a minute after every third person's entry
CENTRE_IDS = [
    f"N{ulid(int(datetime.now(UTC).timestamp() * 1000) - (300 - i) * 60_000 + 30_000)}" for i in range(0, 300, 3)
]
CENTRE = ("command_centre",)


@pytest.fixture(scope="module")
def store(mongo_server):
    recorder = Recorder()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[recorder])
    db = client["cgt_notification_queries"]
    for collection, models in NotificationStore.indexes.items():
        db.drop_collection(collection)
        db[collection].create_indexes(models)
    db.inbox.insert_many(
        [
            {
                "_id": INBOX_IDS[i],
                "dedup_key": f"k{i}",
                "user_id": f"u{i % 7}",
                "read": i % 2 == 0,
                "department": f"d{i % 3}",
                "case_id": f"C{i % 50}",
                "created_at": NOW,
            }
            for i in range(300)
        ]
    )
    # the command centre's entries, between the people's, and one operator's read marks
    db.inbox.insert_many(
        [
            {
                "_id": c,
                "dedup_key": f"c{i}",
                "audience": "command_centre",
                "user_id": "@command_centre",
                "read": False,
                "not_for": ["u3"],
            }
            for i, c in enumerate(CENTRE_IDS)
        ]
    )
    db.inbox_reads.insert_many(
        [
            {
                "_id": "command_centre:u1",
                "user_id": "u1",
                "audience": "command_centre",
                "upto": CENTRE_IDS[40],
                "read_at": NOW,
            },
            *[
                {
                    "_id": f"command_centre:u1:{c}",
                    "user_id": "u1",
                    "audience": "command_centre",
                    "entry_id": c,
                    "read_at": NOW,
                }
                for c in CENTRE_IDS[60:70]
            ],
        ]
    )
    db.deliveries.insert_many(
        [
            {
                "_id": DELIVERY_IDS[i],
                "dedup_key": f"k{i}",
                "state": ("pending", "held", "dead")[i % 3],
                "due_at": NOW,
                "recipient_key": f"user:u{i % 7}",
                "channel": "email",
                "created_at": NOW,
                "case_id": f"C{i % 50}",
                "digest_id": f"G{i % 9}",
            }
            for i in range(300)
        ]
    )
    db.subscriptions.insert_many(
        [
            {"_id": f"S{i:04d}", "user_id": f"u{i % 7}", "kind": "grid", "target": f"G{i}", "key": f"grid:G{i}"}
            for i in range(100)
        ]
    )
    db.feed.insert_many(
        [
            {
                "_id": i,
                "seq": i,
                "event_id": f"e{i}",
                "grid": f"G{i % 5}",
                "departments": [f"d{i % 3}"],
                "reporters": [f"u{i % 11}"],
            }
            for i in range(1, 301)
        ]
    )
    db.webhooks.insert_many([{"_id": f"d{i}", "url": "http://x", "secret": "s", "active": True} for i in range(3)])
    db.preferences.insert_many([{"_id": f"u{i}", "channels": {}} for i in range(3)])
    yield NotificationRepository(db, None), recorder, db
    client.close()


VERBS = {
    "subscribers": lambda r: r.subscribers(["grid:G1", "case:C1"]),
    "preferences_of": lambda r: r.preferences_of(["u1", "u2"]),
    "departments_with_webhooks": lambda r: r.departments_with_webhooks(["d1"]),
    "recent_counts": lambda r: r.recent_counts([("user:u1", "email")], NOW - timedelta(minutes=1), cap=5),
    "department_inbox": lambda r: r.department_inbox("d1", 20, paging.encode(INBOX_IDS[200])),
    "personal_inbox": lambda r: r.personal_inbox("u1", 30, None),
    "personal_inbox_next": lambda r: r.personal_inbox("u1", 5, paging.encode(["r", INBOX_IDS[100]])),
    "unread_count": lambda r: r.unread_count("u1"),
    "operator_inbox": lambda r: r.personal_inbox("u1", 30, None, CENTRE),
    "operator_inbox_read": lambda r: r.personal_inbox("u1", 5, paging.encode(["r", INBOX_IDS[100]]), CENTRE),
    "operator_unread_count": lambda r: r.unread_count("u1", CENTRE),
    "operator_unread_count_never_marked": lambda r: r.unread_count("u2", CENTRE),
    "operator_mark_read": lambda r: r.mark_read("u1", CENTRE_IDS[90], NOW, CENTRE),
    "operator_mark_all_read": lambda r: r.mark_all_read("u4", NOW, CENTRE),
    "subscriptions_of": lambda r: r.subscriptions_of("u1"),
    "subscribe_again": lambda r: r.subscribe({"_id": "S9999", "user_id": "u1", "key": "grid:G1"}),
    "move_followers": lambda r: r.move_followers("C1", "C2", NOW, lambda: "S8888"),
    "webhooks": lambda r: r.webhooks(),
    "due": lambda r: r.due("pending", NOW, 50),
    "claim_due": lambda r: r.claim_due("held", NOW, NOW + timedelta(minutes=1), 5),
    "held_due": lambda r: r.held_due(NOW, 50),
    "digest_members": lambda r: r.digest_members("G1", 5),
    "digest_size": lambda r: r.digest_size("G1"),
    "deliveries_for_case": lambda r: r.deliveries("case", "C1", 20, paging.encode(DELIVERY_IDS[200])),
    "deliveries_for_recipient": lambda r: r.deliveries("recipient", "user:u1", 20, None),
    "dead": lambda r: r.dead(50, None),
    "dead_next": lambda r: r.dead(20, paging.encode([NOW, DELIVERY_IDS[200]])),
    "feed_head": lambda r: r.feed_head(),
    "feed_holds": lambda r: r.feed_holds(250),
    "feed_after": lambda r: r.feed_after(250, 20),
    "feed_after_grid": lambda r: r.feed_after(10, 20, [{"grid": {"$in": ["G1", "G2"]}}]),
    "feed_after_department": lambda r: r.feed_after(10, 20, [{"departments": "d1"}]),
    "feed_after_grid_or_reporter": lambda r: r.feed_after(10, 20, [{"reporters": "u3"}, {"grid": {"$in": ["G1"]}}]),
    "append_feed_known": lambda r: r.append_feed({"event_id": "e5"}),
    "append_feed_many": lambda r: r.append_feed_many([{"event_id": "e7"}, {"event_id": "e8"}]),
    "number_old_feed_entries": lambda r: upgrades.number_old_feed_entries(r.db),
}


def test_the_feed_after_a_point_is_what_any_scope_lets_through_in_order_once(store):
    repository, _, _ = store
    entries = repository.feed_after(10, 30, [{"reporters": "u3"}, {"grid": {"$in": ["G1"]}}])
    expected = [i for i in range(11, 301) if i % 11 == 3 or i % 5 == 1][:30]
    assert [e["seq"] for e in entries] == expected  # 56 is both the grid's and u3's: once


def test_held_messages_due_come_grouped_per_recipient_and_channel_whole(store):
    repository, _, _ = store
    held = repository.held_due(NOW, 50)
    # every third delivery is held, for the seven people in turn: each person's are one row, however many
    expected = {f"user:u{p}": sorted(DELIVERY_IDS[i] for i in range(1, 300, 3) if i % 7 == p) for p in range(7)}
    assert {row["recipient_key"]: sorted(row["ids"]) for row in held} == expected
    assert {row["channel"] for row in held} == {"email"}
    assert [row["recipient_key"] for row in repository.held_due(NOW, 3)] == ["user:u0", "user:u1", "user:u2"]
    assert repository.held_due(NOW - timedelta(seconds=1), 50) == []  # none due yet


# Read whole, on purpose: one endpoint per department, a few dozen documents.
SMALL = {"webhooks"}


def _collection_and_filter(command: dict) -> tuple[str, dict]:
    if "aggregate" in command:  # count_documents: a $match, then counting
        return command["aggregate"], next(s["$match"] for s in command["pipeline"] if "$match" in s)
    return command["find"], command.get("filter") or {}


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_notification_query_uses_an_index(store, verb):
    repository, recorder, db = store
    recorder.reads.clear()
    VERBS[verb](repository)
    assert recorder.reads, "the verb read nothing"
    for command in recorder.reads:
        assert "hint" not in command, command  # a hint walks the whole index on this store
        collection, query = _collection_and_filter(command)
        if collection in SMALL:
            continue
        assert answering_index(query, index_keys(NotificationStore.indexes.get(collection, []))), command
