"""Store contracts: each suite runs twice, on the in-memory fake the service tests use (``tests/service/fakes.py``)
and on the service's real repository over a real store (this run's SecantusDB), so a fake cannot drift from what it
stands in for — as the eventsourcing library runs one set of persistence tests against every backend.

A test uses only the store's own verbs (and the fake's are the real one's), and reads what was written through
them, or through ``written`` for the events a write carried (a fake's ``events``, a real document's outbox)."""

import pytest

from shared.mongo import create_indexes


@pytest.fixture(params=["fake", "real"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database(request, db_prefix):
    """``database(name, store_cls)``: this test's real database of that name, prepared as the deploy step prepares
    it (collections and indexes). The store is started only for the real runs."""
    client = request.getfixturevalue("mongo_server").client()
    names = []

    def make(name: str, store_cls):
        db = client[f"{db_prefix}{name}"]
        create_indexes(db, store_cls.wanted_indexes())
        names.append(db.name)
        return db

    yield make
    for name in names:
        client.drop_database(name)
    client.close()


def written(store, *collections: str) -> list[str]:
    """The types of the events ``store`` took with its writes, in order: a fake's ``events``, else the outboxes of
    the real documents of ``collections`` (no relay runs here: nothing leaves them)."""
    if hasattr(store, "events"):
        return [event.type for event in store.events]
    return [
        entry["type"]
        for collection in collections
        for doc in store.db[collection].find({}).sort("_id", 1)
        for entry in sorted(doc.get("_outbox", []), key=lambda e: e["queued_at"])
    ]
