"""Two replicas of the indicators service committing case events at once, on the real store: their transactions
move the same counters, conflict, and are run again by pymongo — every event counts once."""

import random

import eventlet
import pytest
from pymongo import MongoClient, monitoring

from services.indicators.storage import COUNTERS, FACTS, IndicatorRepository, IndicatorStore
from shared.groupcommit import GroupCommit
from shared.mongo import create_indexes
from tests.integration.test_indicators import TZ
from tests.support.infra import test_client as client_of
from tests.support.samples import sample_event

STEPS = ("case.reported", "case.registered", "case.dispatched", "case.accepted")


class Conflicts(monitoring.CommandListener):
    """Commands the store refused for a write conflict."""

    def __init__(self):
        self.count = 0

    def started(self, event):
        pass

    def succeeded(self, event):
        pass

    def failed(self, event):
        if event.failure.get("code") == 112:
            self.count += 1


@pytest.fixture
def conflicts():
    return Conflicts()


@pytest.fixture
def replicas(mongo_server, db_prefix, conflicts):
    """``replicas(n)``: repositories of ``n`` processes, each with its own client, on one indicators database."""
    clients = []

    def make(n):
        clients.extend(MongoClient(mongo_server.uri, tz_aware=True, event_listeners=[conflicts]) for _ in range(n))
        made = [IndicatorRepository(client[f"{db_prefix}indicators"], None) for client in clients[-n:]]
        create_indexes(made[0].db, IndicatorStore.wanted_indexes())
        return made

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def alone(mongo_server, db_prefix):
    """The same events taken one at a time by a single process, in another database: what must come out."""
    client = client_of(mongo_server.uri)
    repository = IndicatorRepository(client[f"{db_prefix}indicators_alone"], None)
    create_indexes(repository.db, IndicatorStore.wanted_indexes())
    yield repository
    client.close()


def events_of(case_ids):
    return [
        sample_event(event_type, case_id=case_id, version=version, grid=f"grid-{n % 3}")
        for n, case_id in enumerate(case_ids)
        for version, event_type in enumerate(STEPS, 1)
    ]


def state(db):
    counters = {d.pop("_id"): d for d in db[COUNTERS].find()}
    facts = {d["_id"]: (d["contributions"], d["open"], sorted(d["transitions"])) for d in db[FACTS].find()}
    return counters, facts


def test_a_transaction_that_loses_a_conflict_to_another_replicas_is_run_again_and_counts_once(
    replicas, alone, conflicts
):
    first, second = replicas(2)
    mine, theirs = events_of(["C-mine"])[0], events_of(["C-theirs"])[0]  # both move the district's reports today
    moves = []
    move_counters = first._move_counters

    def interleaved(delta, session):
        moves.append(delta)
        if len(moves) == 1:  # the other replica commits the same counters after this one read its facts
            assert second.record(theirs, TZ)
        move_counters(delta, session)

    first._move_counters = interleaved
    assert first.record(mine, TZ)

    assert len(moves) == 2 and conflicts.count >= 1  # run again after the conflict
    for event in (mine, theirs):
        alone.record(event, TZ)
    assert state(first.db) == state(alone.db)


def test_replicas_committing_the_same_cases_events_at_once_count_each_once(replicas, alone):
    repositories = replicas(2)
    events = events_of([f"C-{n:03}" for n in range(60)])
    random.Random(7).shuffle(events)
    groups = [GroupCommit(max_batch=50, linger=0.02) for _ in repositories]

    def handle(index, event):
        groups[index].submit(event, lambda batch: repositories[index].record_many(batch, TZ))

    pool = eventlet.GreenPool(40)
    for n, event in enumerate(events):
        pool.spawn(handle, n % 2, event)  # each replica gets every other event, of every case
        eventlet.sleep(0.001)
    pool.waitall()

    for event in events:
        alone.record(event, TZ)
    assert state(repositories[0].db) == state(alone.db)
    assert state(alone.db)[0]
