"""Events filed at the same moment share their writes (storage/filing.py), on the real store: one insert per
collection for a batch, every event filed once whatever the redeliveries, the feed numbered without gaps, and a
failed batch filed event by event. And the burst rule's counts, remembered a moment (storage/deliveries.py)."""

import time
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from pymongo import MongoClient, monitoring

from services.notifications.storage import Filing, NotificationRepository, NotificationStore
from services.notifications.storage.deliveries import RecentBursts
from shared.groupcommit import GroupCommit
from tests.support.infra import unique_name


class Inserts(monitoring.CommandListener):
    def __init__(self):
        self.collections: list[str] = []  # of the inserts
        self.finds: list[str] = []  # of the deliveries

    def started(self, event):
        if event.command_name == "insert":
            self.collections.append(event.command["insert"])
        elif event.command_name == "find" and event.command["find"] == "deliveries":
            self.finds.append(event.command["find"])

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def inserts():
    return Inserts()


@pytest.fixture
def db(mongo_server, inserts):
    client = MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[inserts], serverSelectionTimeoutMS=20000)
    database = client[unique_name("cgt_notify_filing")]
    for collection, models in NotificationStore.indexes.items():
        database[collection].create_indexes(models)
    inserts.collections.clear()
    yield database
    client.drop_database(database.name)
    client.close()


def filing(event_id: str, people=("u1", "u2"), attempt: int = 0) -> Filing:
    """An event's inbox entries and e-mails, with fresh ids per ``attempt`` (as a redelivery plans them anew)."""
    return Filing(
        inbox=[
            {"_id": f"N{event_id}{p}{attempt}", "dedup_key": f"{event_id}:user:{p}:inbox", "user_id": p, "read": False}
            for p in people
        ],
        deliveries=[
            {"_id": f"D{event_id}{p}{attempt}", "dedup_key": f"{event_id}:user:{p}:email", "state": "pending"}
            for p in people
        ],
        feed_entries=[{"event_id": event_id}],
    )


def file_together(repository: NotificationRepository, filings: list[Filing]) -> list:
    """File each in its own greenthread at the same moment, as concurrent workers do; what each raised, or None."""

    def one(f):
        try:
            repository.file_event(f)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            return exc
        return None

    threads = [eventlet.spawn(one, f) for f in filings]
    return [t.wait() for t in threads]


def test_events_filed_at_the_same_moment_share_one_insert_per_collection(db, inserts):
    repository = NotificationRepository(db, None, filings=GroupCommit(linger=0.05))
    filings = [filing(f"e{i}") for i in range(5)]
    assert file_together(repository, filings) == [None] * 5
    assert sorted(inserts.collections) == ["deliveries", "feed", "inbox"]
    assert [f.feed[0]["seq"] for f in filings] == [1, 2, 3, 4, 5]
    assert all(f.stored == {d["_id"] for d in f.deliveries} for f in filings)
    assert db.inbox.count_documents({}) == 10 and db.deliveries.count_documents({}) == 10


def test_a_redelivered_event_files_nothing_twice_and_keeps_its_feed_number(db):
    repository = NotificationRepository(db, None, filings=GroupCommit(linger=0.05))
    first = repository.file_event(filing("e1"))
    again, other = filing("e1", attempt=1), filing("e2")
    assert file_together(repository, [again, other]) == [None, None]
    assert again.stored == set() and again.feed[0]["_id"] == first.feed[0]["_id"] == 1
    assert other.stored == {d["_id"] for d in other.deliveries} and other.feed[0]["_id"] == 2
    assert db.inbox.count_documents({}) == 4 and db.deliveries.count_documents({}) == 4
    assert [e["_id"] for e in repository.feed_after(0, 10)] == [1, 2]


def test_an_event_twice_in_one_batch_is_filed_once(db):
    repository = NotificationRepository(db, None, filings=GroupCommit(linger=0.05))
    one, twice = filing("e1"), filing("e1", attempt=1)
    assert file_together(repository, [one, twice]) == [None, None]
    assert len(one.stored | twice.stored) == 2 and not (one.stored and twice.stored)  # sent by one of them only
    assert one.feed[0]["_id"] == twice.feed[0]["_id"] == 1
    assert db.inbox.count_documents({}) == 2 and db.feed.count_documents({}) == 1


def test_a_batch_numbers_on_after_entries_another_process_added(db):
    repository = NotificationRepository(db, None, filings=GroupCommit(linger=0.05))
    repository.file_event(filing("e1"))
    db.feed.insert_one({"_id": 2, "seq": 2, "event_id": "other"})  # another replica took the next number
    filings = [filing(f"e{i}") for i in (3, 4, 5)]
    assert file_together(repository, filings) == [None] * 3
    assert [f.feed[0]["_id"] for f in filings] == [3, 4, 5]
    assert [e["event_id"] for e in repository.feed_after(0, 10)] == ["e1", "other", "e3", "e4", "e5"]


def test_a_failed_batch_is_filed_event_by_event_and_fails_only_the_bad_one(db):
    repository = NotificationRepository(db, None, filings=GroupCommit(linger=0.05))
    bad = filing("bad")
    bad.inbox.append({"_id": {"$oops": 1}, "dedup_key": "bad:broken"})  # an id no store takes
    good = [filing("e1"), filing("e2")]
    outcomes = file_together(repository, [good[0], bad, good[1]])
    assert outcomes[0] is None and outcomes[2] is None and outcomes[1] is not None
    assert all(f.stored == {d["_id"] for d in f.deliveries} or f.stored == set() for f in good)
    # what the failed batch stored stays, and its retry alone skipped it: each good event's entries once
    assert db.inbox.count_documents({"dedup_key": {"$regex": "^e"}}) == 4
    assert db.deliveries.count_documents({"dedup_key": {"$regex": "^e"}}) == 4
    assert sorted(e["event_id"] for e in repository.feed_after(0, 10)) == ["e1", "e2"]
    # the bad event, redelivered once mended, is filed (its feed entry included), once
    mended = filing("bad", attempt=1)
    repository.file_event(mended)
    assert sorted(e["event_id"] for e in repository.feed_after(0, 10)) == ["bad", "e1", "e2"]
    assert db.inbox.count_documents({"dedup_key": {"$regex": "^bad"}}) == 2


def test_a_batch_cut_off_midway_is_filed_whole_and_once_when_its_events_come_again(db):
    dying = NotificationRepository(db, None)

    def killed(entries, attempts=100):
        raise SystemExit("the process is killed between the deliveries and the feed")

    dying.append_feed_many = killed
    with pytest.raises(SystemExit):
        dying._file_batch([filing("e1"), filing("e2")])
    # nothing was acknowledged: the broker gives both events to the next process, which plans them anew
    restarted = NotificationRepository(db, None, filings=GroupCommit(linger=0.05))
    again = [filing("e1", attempt=1), filing("e2", attempt=1)]
    assert file_together(restarted, again) == [None, None]
    assert db.inbox.count_documents({}) == 4 and db.deliveries.count_documents({}) == 4
    assert [e["event_id"] for e in restarted.feed_after(0, 10)] == ["e1", "e2"]
    # their messages were stored (claimed) by the first try: the courier's scan sends them once the claims lapse
    assert again[0].stored == again[1].stored == set()


NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=1)


def email(event_id: str, person: str, at: datetime) -> dict:
    return {
        "_id": f"D{event_id}{person}",
        "dedup_key": f"{event_id}:user:{person}:email",
        "recipient_key": f"user:{person}",
        "channel": "email",
        "state": "pending",
        "created_at": at,
    }


def test_the_burst_rule_counts_what_this_process_filed_at_once_and_reads_a_person_once_a_moment(db, inserts):
    pair = ("user:u1", "email")
    repository = NotificationRepository(db, None, filings=GroupCommit(), bursts=RecentBursts(ttl=0.3))
    db.deliveries.insert_many([email(f"old{i}", "u1", NOW - timedelta(seconds=30 + i)) for i in range(2)])
    inserts.finds.clear()
    assert repository.recent_counts([pair], NOW - WINDOW, cap=5) == {pair: 2}
    for i in range(2):  # filed by this process: counted without reading again
        repository.file_event(Filing([], [email(f"e{i}", "u1", NOW)], [{"event_id": f"e{i}"}]))
    assert repository.recent_counts([pair], NOW - WINDOW, cap=5) == {pair: 4}
    assert inserts.finds == ["deliveries"]
    # the window moves on: the two old ones leave it, still without a read (the first read found them all)
    assert repository.recent_counts([pair], NOW + timedelta(seconds=45) - WINDOW, cap=5) == {pair: 2}
    assert inserts.finds == ["deliveries"]
    # another replica's message: counted once what this process read is older than its memory
    db.deliveries.insert_one(email("other", "u1", NOW))
    time.sleep(0.35)
    assert repository.recent_counts([pair], NOW - WINDOW, cap=5) == {pair: 5}
    assert inserts.finds == ["deliveries", "deliveries"]


def test_a_burst_read_keeps_the_newest_so_the_window_moving_on_needs_no_read_again(db, inserts):
    pair = ("user:u1", "email")
    repository = NotificationRepository(db, None, bursts=RecentBursts())
    db.deliveries.insert_many([email(f"e{i}", "u1", NOW - timedelta(seconds=50 - 5 * i)) for i in range(8)])
    inserts.finds.clear()
    assert repository.recent_counts([pair], NOW - WINDOW, cap=3) == {pair: 3}
    assert repository.recent_counts([pair], NOW - WINDOW, cap=3) == {pair: 3}
    # 20 s on, six are still in the window (the read stopped at three, the newest): still three
    assert repository.recent_counts([pair], NOW + timedelta(seconds=20) - WINDOW, cap=3) == {pair: 3}
    # 40 s on, two are: the two newest, which the read kept
    assert repository.recent_counts([pair], NOW + timedelta(seconds=40) - WINDOW, cap=3) == {pair: 2}
    assert len(inserts.finds) == 1
