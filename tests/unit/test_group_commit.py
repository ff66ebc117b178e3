"""Group commit: what arrives while a transaction runs goes into the next one; a failed batch is retried one by
one, so only the bad item fails."""

import eventlet
import pytest

from shared.groupcommit import GroupCommit


def test_items_arriving_during_a_commit_share_the_next_one():
    batches = []

    def commit(items):
        eventlet.sleep(0.05)  # the store's round trip, during which the others arrive
        batches.append(list(items))

    group = GroupCommit()
    pool = eventlet.GreenPool()
    for n in range(6):
        pool.spawn(group.submit, n, commit)
    pool.waitall()
    assert batches == [[0], [1, 2, 3, 4, 5]]


def test_a_batch_is_never_larger_than_its_limit_and_every_item_is_committed():
    batches = []

    def commit(items):
        eventlet.sleep(0.01)
        batches.append(list(items))

    group = GroupCommit(max_batch=2)
    pool = eventlet.GreenPool()
    for n in range(7):
        pool.spawn(group.submit, n, commit)
    pool.waitall()
    assert max(len(b) for b in batches) <= 2
    assert sorted(i for b in batches for i in b) == list(range(7))


def test_a_bad_item_fails_alone_and_the_rest_of_its_batch_commits():
    committed, failures = [], []

    def commit(items):
        eventlet.sleep(0.01)
        if "bad" in items:
            raise ValueError("bad item")
        committed.extend(items)

    def submit(item):
        try:
            group.submit(item, commit)
        except ValueError as exc:
            failures.append((item, str(exc)))

    group = GroupCommit()
    pool = eventlet.GreenPool()
    for item in ("a", "b", "bad", "c"):
        pool.spawn(submit, item)
    pool.waitall()
    assert sorted(committed) == ["a", "b", "c"]
    assert failures == [("bad", "bad item")]


def test_a_lone_item_commits_at_once_and_an_error_reaches_its_caller():
    group = GroupCommit()
    seen = []
    group.submit(1, seen.extend)
    assert seen == [1]
    with pytest.raises(RuntimeError):
        group.submit(2, lambda items: (_ for _ in ()).throw(RuntimeError("store down")))


def test_a_lingering_batch_waits_for_what_arrives_soon_after_it_unless_it_is_full():
    batches = []

    def commit(items):
        batches.append(list(items))

    def arrive(item, after):
        eventlet.sleep(after)
        group.submit(item, commit)

    group = GroupCommit(max_batch=3, linger=0.1)
    pool = eventlet.GreenPool()
    for n, after in enumerate((0, 0.02, 0.04, 0.05, 0.3)):  # the fourth finds the first batch full
        pool.spawn(arrive, n, after)
    pool.waitall()
    assert batches == [[0, 1, 2], [3], [4]]


def test_a_batch_that_fills_commits_without_waiting_out_its_linger():
    """A long linger (the indicators' second) with a batch no larger than the workers in hand: once the batch is as
    large as it may be, nothing more can join it, and waiting on would cap the rate at a batch per linger."""
    batches = []
    group = GroupCommit(max_batch=4, linger=5.0)
    pool = eventlet.GreenPool()
    started = eventlet.hubs.get_hub().clock()
    for n in range(4):
        pool.spawn(group.submit, n, lambda items: batches.append((list(items), eventlet.hubs.get_hub().clock())))
    pool.waitall()
    assert [items for items, _ in batches] == [[0, 1, 2, 3]]
    assert batches[0][1] - started < 1.0
