"""Inboxes (and who was told what) page newest first a window of time at a time (``shared.windows``): every entry
once, in order, and a first page that reads the last hour of an inbox nobody empties, not all of it."""

import time
from datetime import UTC, datetime

import pytest
from pymongo import MongoClient

from services.notifications.storage import NotificationRepository, NotificationStore
from shared import paging
from shared.errors import ValidationFailed
from shared.ids import ulid
from tests.support.infra import unique_name
from tests.support.recording import Recorder

SHARED = {"user_id": "@command_centre", "read": False, "not_for": []}  # as planning files the centre's entries
NOW_MS = int(time.time() * 1000)
MINUTE, DAY = 60_000, 86_400_000
# minutes, days and a year ago; a few made in the same millisecond
AGES = (
    [m * MINUTE for m in range(0, 50, 2)]
    + [d * DAY for d in range(1, 30)]
    + [400 * DAY + d * DAY for d in range(20)]
    + [30 * MINUTE] * 3
)


@pytest.fixture(scope="module")
def inbox(mongo_server):
    reads = Recorder()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[reads])
    db = client[unique_name("cgt_inbox_paging")]
    for collection, models in NotificationStore.indexes.items():
        db[collection].create_indexes(models)
    entries = [
        {
            "_id": f"N{ulid(NOW_MS - age)}",
            "dedup_key": f"k{i}",
            "user_id": "op1",
            "read": i % 3 == 0,
            "department": "sanitation",
            "created_at": datetime.now(UTC),
        }
        for i, age in enumerate(AGES)
    ]
    db.inbox.insert_many(entries)
    # the command centre's entries at the same ages, a few microseconds later; op1 marked all read up to one of
    # a day ago, and read a few after it one by one
    centre = [
        {"_id": f"N{ulid(NOW_MS - age + 1)}", "dedup_key": f"c{i}", "audience": "command_centre", **SHARED}
        for i, age in enumerate(AGES)
        if i % 2 == 0
    ]
    db.inbox.insert_many(centre)
    upto = sorted(c["_id"] for c in centre)[len(centre) // 2]
    singly = [c["_id"] for c in centre if c["_id"] > upto][::3]
    db.inbox_reads.insert_many(
        [
            {"_id": "command_centre:op1", "user_id": "op1", "audience": "command_centre", "upto": upto, "read_at": 0},
            *[
                {"_id": f"r{c}", "user_id": "op1", "audience": "command_centre", "entry_id": c, "read_at": 1}
                for c in singly
            ],
        ]
    )
    centre_read = {c["_id"] for c in centre if c["_id"] <= upto or c["_id"] in singly}
    # every fourth failed every attempt; several fell due in the same second
    db.deliveries.insert_many(
        [
            {
                "_id": f"D{e['_id'][1:]}",
                "dedup_key": e["dedup_key"],
                "recipient_key": "user:op1",
                "case_id": "C1",
                "state": "dead" if i % 4 == 0 else "delivered",
                "due_at": datetime(2026, 11, 23, 9, i % 5, tzinfo=UTC),
            }
            for i, e in enumerate(entries)
        ]
    )
    yield NotificationRepository(db, None), reads, entries, (centre, centre_read)
    client.drop_database(db.name)
    client.close()


def _walk(read, limit) -> list[str]:
    """Every page of a list through ``next``, as the API's clients read it: the ids in the order read."""
    seen, cursor = [], None
    while True:
        answer = read(limit, cursor)
        assert set(answer) == {"items", "next"} and len(answer["items"]) <= limit
        seen += [e["_id"] for e in answer["items"]]
        cursor = answer["next"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("limit", [1, 4, 7, 30, 200])
def test_a_personal_inbox_pages_unread_then_read_each_newest_first_every_entry_once(inbox, limit):
    repository, _, entries, _ = inbox
    seen = _walk(lambda n, cursor: repository.personal_inbox("op1", n, cursor), limit)
    unread = sorted((e["_id"] for e in entries if not e["read"]), reverse=True)
    read = sorted((e["_id"] for e in entries if e["read"]), reverse=True)
    assert seen == unread + read


@pytest.mark.parametrize("limit", [1, 4, 7, 30, 200])
def test_an_operators_inbox_pages_their_own_and_the_centres_unread_then_read_every_entry_once(inbox, limit):
    repository, _, entries, (centre, centre_read) = inbox
    seen = _walk(lambda n, cursor: repository.personal_inbox("op1", n, cursor, ("command_centre",)), limit)
    read = {e["_id"] for e in entries if e["read"]} | centre_read
    every = [e["_id"] for e in entries + centre]
    assert seen == sorted((i for i in every if i not in read), reverse=True) + sorted(read, reverse=True)
    assert repository.unread_count("op1", ("command_centre",)) == len(every) - len(read)


@pytest.mark.parametrize("limit", [1, 7, 200])
def test_a_department_inbox_pages_newest_first_every_entry_once(inbox, limit):
    repository, _, entries, _ = inbox
    seen = _walk(lambda n, cursor: repository.department_inbox("sanitation", n, cursor), limit)
    assert seen == sorted((e["_id"] for e in entries), reverse=True)


def test_the_first_page_reads_the_newest_window_not_the_whole_inbox(inbox):
    repository, reads, entries, _ = inbox
    reads.reads.clear()
    page = repository.personal_inbox("op1", 10, None)["items"]
    assert len(page) == 10
    (first,) = reads.reads  # the last hour holds 18 unread entries: one window filled the page
    assert set(first["filter"]["_id"]) == {"$gte"} and first["filter"]["_id"]["$gte"] > f"N{ulid(NOW_MS - DAY)}"


FORGED = [
    "u:N01JD0000000000000000000000",  # what the inbox once gave out
    paging.encode(["x", "N01JD0000000000000000000000"]),
    paging.encode(["u", "not-an-id"]),
    paging.encode(["r", "C01JD0000000000000000000000"]),
    paging.encode("N01JD0000000000000000000000"),
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_cursor_this_api_did_not_give_out_is_a_400_naming_it(inbox, cursor):
    repository, _, _, _ = inbox
    reads = [
        lambda: repository.personal_inbox("op1", 10, cursor),
        lambda: repository.deliveries("recipient", "user:op1", 10, cursor),
        lambda: repository.dead(10, cursor),
    ]
    if cursor != FORGED[-1]:  # a department inbox's own kind of cursor
        reads.append(lambda: repository.department_inbox("sanitation", 10, cursor))
    for read in reads:
        with pytest.raises(ValidationFailed) as refused:
            read()
        assert refused.value.reason == paging.REASON and "cursor" in refused.value.details["fields"]


def test_who_was_told_pages_the_same_way(inbox):
    repository, _, entries, _ = inbox
    seen = _walk(lambda n, cursor: repository.deliveries("recipient", "user:op1", n, cursor), 7)
    assert seen == sorted((f"D{e['_id'][1:]}" for e in entries), reverse=True)


@pytest.mark.parametrize("limit", [1, 5, 200])
def test_dead_deliveries_page_most_recently_due_first_every_one_once(inbox, limit):
    repository, _, entries, _ = inbox
    dead = repository.db.deliveries.find({"state": "dead"}).sort([("due_at", -1), ("_id", -1)])
    seen = _walk(lambda n, cursor: repository.dead(n, cursor), limit)
    assert seen == [d["_id"] for d in dead] and len(seen) == len(set(seen)) == len(entries[::4])
