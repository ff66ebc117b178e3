"""Leases on the real store: one holder at a time, taken over once lapsed, safe within the clock skew it allows."""

from datetime import UTC, datetime, timedelta

import eventlet
import pytest

from deploy.services import service_classes
from shared.lease import LEASES, Lease, LeaseTerms, new_holder
from shared.mongo import MongoStore, prepare_databases
from tests.support.infra import test_client as client_of
from tests.support.infra import unique_name

TERMS = LeaseTerms(seconds=15, skew=5)


@pytest.fixture
def replicas(mongo_server, db_prefix):
    """``replicas(n)``: the ``leases`` collection as seen by ``n`` processes, each with its own client."""
    clients = []

    def make(n):
        made = [client_of(mongo_server.uri) for _ in range(n)]
        clients.extend(made)
        return [client[f"{db_prefix}probe"][LEASES] for client in made]

    yield make
    for client in clients:
        client.close()


def lease_of(collection, name="escalation", terms=TERMS):
    return Lease(collection, name, new_holder(), terms)


def test_of_replicas_racing_for_a_lease_exactly_one_wins(replicas):
    collections = replicas(6)
    for round_ in range(5):
        leases = [lease_of(c, f"scan-{round_}") for c in collections]
        start = eventlet.event.Event()

        def race(lease, start):
            start.wait()
            return lease.try_acquire()

        pool = eventlet.GreenPool()
        runs = [pool.spawn(race, lease, start) for lease in leases]
        start.send()
        won = [run.wait() for run in runs]
        assert won.count(True) == 1, won
        assert [lease.held() for lease in leases] == won


def test_the_holder_renews_it_and_nobody_else_takes_it_until_it_lapses(replicas):
    first, second = (lease_of(c) for c in replicas(2))
    now = datetime.now(UTC)
    assert first.try_acquire(now)
    assert not second.try_acquire(now + timedelta(seconds=14))
    assert first.try_acquire(now + timedelta(seconds=10))  # renewed: good for 15 s from here
    assert not second.try_acquire(now + timedelta(seconds=24))
    assert second.try_acquire(now + timedelta(seconds=25))  # lapsed: taken over
    assert not first.try_acquire(now + timedelta(seconds=26)) and not first.held()
    assert second.held()


def test_a_replica_whose_clock_runs_ahead_within_the_skew_does_not_take_a_live_lease(replicas):
    holder, ahead = (lease_of(c) for c in replicas(2))
    now = datetime.now(UTC)
    assert holder.try_acquire(now)
    last_moment_the_holder_works = now + timedelta(seconds=TERMS.usable)
    for skew in (0, 3, TERMS.skew - 0.01):
        assert not ahead.try_acquire(last_moment_the_holder_works + timedelta(seconds=skew)), skew
    # beyond the tolerated skew the other replica takes it while the holder still thinks it may work a moment
    assert ahead.try_acquire(last_moment_the_holder_works + timedelta(seconds=TERMS.skew + 1))


def test_a_released_lease_is_taken_at_once_by_another(replicas):
    first, second = (lease_of(c) for c in replicas(2))
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()


def test_the_leases_collection_of_every_service_that_scans_is_made_before_any_service_starts(mongo_server):
    prefix = unique_name("cgt_leases") + "_"
    client = mongo_server.client()
    try:
        prepare_databases({"MONGO_URI": mongo_server.uri, "DB_PREFIX": prefix}, service_classes())
        scanning = {
            cls.name
            for cls in service_classes()
            for store in vars(cls).values()
            if isinstance(store, MongoStore) and store.scan_names()
        }
        # dispatch publishes nothing since routing moved into cases: no outbox, no scan, no lease
        assert {"cases", "notifications", "reporting", "directory"} <= scanning
        for name in scanning:
            assert LEASES in client[f"{prefix}{name}"].list_collection_names(), name
    finally:
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)
        client.close()
