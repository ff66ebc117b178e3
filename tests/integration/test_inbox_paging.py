"""Inboxes (and who was told what) page newest first a window of time at a time (``shared.windows``): every entry once, in order, and a
first page that reads the last hour of an inbox nobody empties, not all of it."""

import time
from datetime import UTC, datetime

import pytest
from pymongo import MongoClient

from services.notifications.storage import NotificationRepository, NotificationStore
from shared.errors import ValidationFailed
from shared.ids import ulid
from tests.support.infra import unique_name
from tests.support.recording import Recorder

NOW_MS = int(time.time() * 1000)
MINUTE, DAY = 60_000, 86_400_000
# minutes, days and a year ago; a few made in the same millisecond
AGES = [m * MINUTE for m in range(0, 50, 2)] + [d * DAY for d in range(1, 30)] + [400 * DAY + d * DAY for d in
                                                                                   range(20)] + [30 * MINUTE] * 3


@pytest.fixture(scope="module")
def inbox(mongo_server):
    reads = Recorder()
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[reads])
    db = client[unique_name("cgt_inbox_paging")]
    for collection, models in NotificationStore.indexes.items():
        db[collection].create_indexes(models)
    entries = [{"_id": f"N{ulid(NOW_MS - age)}", "dedup_key": f"k{i}", "user_id": "op1", "read": i % 3 == 0,
                "department": "sanitation", "created_at": datetime.now(UTC)} for i, age in enumerate(AGES)]
    db.inbox.insert_many(entries)
    db.deliveries.insert_many([{"_id": f"D{e['_id'][1:]}", "dedup_key": e["dedup_key"], "recipient_key": "user:op1",
                                "case_id": "C1", "state": "delivered"} for e in entries])
    yield NotificationRepository(db, None), reads, entries
    client.drop_database(db.name)
    client.close()


@pytest.mark.parametrize("limit", [1, 4, 7, 30, 200])
def test_a_personal_inbox_pages_unread_then_read_each_newest_first_every_entry_once(inbox, limit):
    repository, _, entries = inbox
    seen, cursor = [], None
    while True:
        page, cursor = repository.personal_inbox("op1", limit, cursor)
        assert len(page) <= limit
        seen += [e["_id"] for e in page]
        if cursor is None:
            break
    unread = sorted((e["_id"] for e in entries if not e["read"]), reverse=True)
    read = sorted((e["_id"] for e in entries if e["read"]), reverse=True)
    assert seen == unread + read


@pytest.mark.parametrize("limit", [1, 7, 200])
def test_a_department_inbox_pages_newest_first_every_entry_once(inbox, limit):
    repository, _, entries = inbox
    seen, before = [], None
    while True:
        page = repository.department_inbox("sanitation", limit + 1, before)
        seen += [e["_id"] for e in page[:limit]]
        if len(page) <= limit:
            break
        before = page[limit - 1]["_id"]
    assert seen == sorted((e["_id"] for e in entries), reverse=True)


def test_the_first_page_reads_the_newest_window_not_the_whole_inbox(inbox):
    repository, reads, entries = inbox
    reads.reads.clear()
    page, _ = repository.personal_inbox("op1", 10, None)
    assert len(page) == 10
    (first,) = reads.reads  # the last hour holds 18 unread entries: one window filled the page
    assert set(first["filter"]["_id"]) == {"$gte"} and first["filter"]["_id"]["$gte"] > f"N{ulid(NOW_MS - DAY)}"


@pytest.mark.parametrize("cursor", ["x:N01", "u:not-an-id", "r:C01JD0000000000000000000000"])
def test_a_cursor_this_api_did_not_give_out_is_a_400_naming_it(inbox, cursor):
    repository, _, _ = inbox
    with pytest.raises(ValidationFailed) as refused:
        repository.personal_inbox("op1", 10, cursor)
    assert "cursor" in refused.value.details["fields"]


def test_who_was_told_pages_the_same_way(inbox):
    repository, _, entries = inbox
    seen, before = [], None
    while True:
        page = repository.deliveries("recipient", "user:op1", 8, before)
        seen += [d["_id"] for d in page[:7]]
        if len(page) <= 7:
            break
        before = page[6]["_id"]
    assert seen == sorted((f"D{e['_id'][1:]}" for e in entries), reverse=True)
