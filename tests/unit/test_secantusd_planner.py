"""The store's planner as civicgrid starts it (``deploy.launch.secantusd``) answers every query and write exactly as
SecantusDB's own: the same documents in the same order, the same document updated or deleted. Checked on many
filters that name an ``_id`` beside other clauses, over a collection with the kinds of index the planner weighs
(single, compound, descending, multikey, dotted, sparse, partial), against the unpatched planner in the same process.
"""

import random
import types
from pathlib import Path

import pytest
from bson.max_key import MaxKey
from bson.min_key import MinKey
from secantus import storage
from secantus.storage import Storage

from deploy.launch import secantusd

ROOT = Path(__file__).resolve().parents[2]
DB, COLL = "planner", "docs"
INDEXES = {
    "status_1": ({"status": 1}, {}),
    "version_-1": ({"version": -1}, {}),
    "status_1_version_1": ({"status": 1, "version": 1}, {}),
    "a_1_b_1": ({"a": 1, "b": 1}, {}),
    "tags_1": ({"tags": 1}, {}),
    "e.x_1": ({"e.x": 1}, {}),
    "s_1": ({"s": 1}, {"sparse": True}),
    "a_1_open": ({"a": 1}, {"partialFilterExpression": {"status": "open"}}),
}
IDS = [f"C{n:03d}" for n in range(40)] + [7, 8.0, 9]
CLAUSES = [
    {"version": 1},
    {"version": 2},
    {"version": {"$gte": 2}},
    {"version": {"$lt": 2}},
    {"version": {"$in": [0, 3]}},
    {"version": {"$ne": 1}},
    {"status": "open"},
    {"status": "closed"},
    {"status": {"$in": ["open", "closed"]}},
    {"status": {"$nin": ["open"]}},
    {"status": {"$exists": False}},
    {"a": 1},
    {"a": None},
    {"a": {"$gt": 0}},
    {"b": {"$lte": 2}},
    {"b": {"$exists": True}},
    {"tags": "x"},
    {"tags": {"$all": ["x", "y"]}},
    {"tags": {"$size": 0}},
    {"tags": {"$elemMatch": {"$eq": "y"}}},
    {"e.x": 3},
    {"e.x": {"$gt": 1}},
    {"e": {"x": 3}},
    {"s": 1},
    {"s": None},
    {"s": {"$gt": MinKey()}},
    {"s": {"$lt": MaxKey()}},
    {"s": {"$exists": True}},
    {"_seen": {"$ne": "e1"}},
    {"_seen": "e1"},
]


def _documents(rng: random.Random) -> list[dict]:
    docs = []
    for n, doc_id in enumerate(IDS):
        doc = {"_id": doc_id, "version": rng.randint(0, 3), "n": n}
        if rng.random() < 0.8:
            doc["status"] = rng.choice(["open", "closed", "reported"])
        for field, values in (
            ("a", [0, 1, 2, None, [1, 2]]),
            ("b", [1, 2, 3, "z"]),
            ("tags", [[], ["x"], ["x", "y"], "x"]),
            ("e", [{"x": 3}, {"x": [1, 3]}, {"y": 1}]),
            ("s", [1, 2, None]),
            ("_seen", [["e1"], ["e2"], []]),
        ):
            if rng.random() < 0.6:
                doc[field] = rng.choice(values)
        docs.append(doc)
    return docs


def _id_clauses(rng: random.Random) -> dict:
    doc_id = rng.choice([*IDS, "C999", "7"])
    return rng.choice([doc_id, {"$eq": doc_id}, {"$in": [doc_id]}, {"$in": [doc_id, rng.choice(IDS)]}])


def _filters(rng: random.Random, count: int) -> list[dict]:
    filters = []
    for _ in range(count):
        clauses = [("_id", _id_clauses(rng))]
        for clause in rng.sample(CLAUSES, rng.randint(1, 3)):
            clauses.extend(clause.items())
        rng.shuffle(clauses)
        filter_ = dict(clauses)
        if rng.random() < 0.1:
            filter_["$or"] = [{"version": 1}, {"status": "open"}]
        filters.append(filter_)
    return filters


def _store(tmp_path, name: str, docs: list[dict], *, patched: bool) -> Storage:
    store = Storage(str(tmp_path / name), enable_oplog=False, ttl_sweep_seconds=0)
    if patched:
        store._try_index_id_keys = types.MethodType(secantusd.id_first_candidates, store)
    for index, (keys, options) in INDEXES.items():
        store.create_index(DB, COLL, index, keys, options)
    store.insert(DB, COLL, [dict(doc) for doc in docs])
    return store


@pytest.fixture
def stores(tmp_path):
    docs = _documents(random.Random(19))
    stock, patched = _store(tmp_path, "stock", docs, patched=False), _store(tmp_path, "patched", docs, patched=True)
    yield stock, patched
    stock.close()
    patched.close()


def test_the_changes_were_checked_on_the_pinned_version():
    # a new SecantusDB runs without them (deploy.launch.secantusd.patch) until this test runs on it
    assert f"secantusdb=={secantusd.CHECKED_VERSION}" in (ROOT / "requirements.lock").read_text().splitlines()


def test_the_guarded_update_takes_the_id_first():
    assert secantusd.one_id_key({"_id": "C1", "version": 3, "status": "open", "_seen": {"$ne": "e"}}, None)
    assert secantusd.one_id_key({"status": "open", "_id": {"$in": ["C1"]}}, None)


@pytest.mark.parametrize(
    "filter_, collation",
    [
        ({"_id": "C1"}, None),  # alone: SecantusDB's own fast path already
        ({"_id": {"$in": ["C1", "C2"]}, "version": 1}, None),  # several documents: their order is the planner's
        ({"_id": "C1", "version": 1}, {"locale": "en", "strength": 2}),
        ({"_id": "C1", "$or": [{"version": 1}]}, None),
        ({"_id": "C1", "s": {"$gt": MinKey()}}, None),
        ({"_id": "C1", "loc": {"$near": [0, 0]}}, None),
        ({"_id": {"$gt": "C1"}, "version": 1}, None),
    ],
)
def test_where_the_result_could_differ_the_stock_planner_decides(filter_, collation):
    assert secantusd.one_id_key(filter_, collation) is None


def test_finds_answer_the_same(stores):
    stock, patched = stores
    for filter_ in _filters(random.Random(1), 600):
        for sort in (None, {"version": -1, "n": 1}):
            assert patched.find_matching(DB, COLL, filter_, sort=sort) == stock.find_matching(
                DB, COLL, filter_, sort=sort
            ), filter_


def test_updates_and_deletes_change_the_same_documents(stores):
    stock, patched = stores
    rng = random.Random(2)
    for step, filter_ in enumerate(_filters(rng, 400)):
        update = {"$set": {"step": step}, "$inc": {"version": 1}, "$push": {"_seen": "e1"}}
        multi = rng.random() < 0.2
        assert patched.update_matching(DB, COLL, filter_, update, multi=multi) == stock.update_matching(
            DB, COLL, filter_, update, multi=multi
        ), filter_
        if step % 40 == 0:
            assert patched.delete_matching(DB, COLL, filter_) == stock.delete_matching(DB, COLL, filter_), filter_
    assert patched.find_matching(DB, COLL, {}, sort={"_id": 1}) == stock.find_matching(DB, COLL, {}, sort={"_id": 1})


# An update rewrites only the index entries that change: after the same writes, both stores hold the same entries
# and the same unique keys, entry for entry.
ENTRY_INDEXES = {
    **INDEXES,
    "u_1": ({"u": 1}, {"unique": True, "sparse": True}),
    "name_ci": ({"name": 1}, {"collation": {"locale": "en", "strength": 2}}),
    "place_2dsphere": ({"place": "2dsphere"}, {}),
}
SETS = [
    {"status": "open"},
    {"status": "closed"},
    {"version": 5},
    {"a": 2},
    {"a": [2, 3]},
    {"b": "z"},
    {"tags": ["y"]},
    {"e.x": 4},
    {"s": 3},
    {"u": 1},
    {"u": 2},
    {"name": "Ann"},
    {"name": "ANN"},
    {"place": {"type": "Point", "coordinates": [119.3, 26.1]}},
    {"note": "unindexed"},
]


def _entries(store: Storage) -> dict:
    tables = {}
    for table in (storage._IDX_ENTRIES_TABLE, storage._UNIQ_TABLE):
        cursor = store._cursor(table)
        cursor.reset()
        rows = []
        while cursor.next() == 0:
            key = cursor.get_key()
            rows.append(
                (
                    tuple(bytes(k) if isinstance(k, (bytes, bytearray, memoryview)) else k for k in key),
                    bytes(cursor.get_value()),
                )
            )
        tables[table] = rows
    return tables


def _fully_patched(store: Storage) -> Storage:
    store._try_index_id_keys = types.MethodType(secantusd.id_first_candidates, store)
    store._delete_index_entries = types.MethodType(secantusd.deferred_delete_entries, store)
    store._write_index_entries = types.MethodType(secantusd.changed_entries_only, store)
    for path in ("_update_matching_single_txn", "_update_chunk"):
        setattr(store, path, types.MethodType(secantusd._rewriting(getattr(Storage, path)), store))
    return store


def _entry_store(tmp_path, name: str, docs: list[dict]) -> Storage:
    store = Storage(str(tmp_path / name), enable_oplog=False, ttl_sweep_seconds=0)
    for index, (keys, options) in ENTRY_INDEXES.items():
        store.create_index(DB, COLL, index, keys, options)
    store.insert(DB, COLL, [dict(doc) for doc in docs])
    return store


def _update(store: Storage, filter_: dict, update: dict, **options):
    try:
        return store.update_matching(DB, COLL, filter_, update, **options)
    except Exception as refused:  # noqa: BLE001 - the same refusal from both is the point
        return type(refused).__name__


def test_updates_leave_the_same_index_entries(tmp_path):
    docs = _documents(random.Random(23))
    stock = _entry_store(tmp_path, "stock", docs)
    patched = _fully_patched(_entry_store(tmp_path, "patched", docs))
    rng = random.Random(3)
    try:
        for step, filter_ in enumerate(_filters(rng, 300)):
            update = {"$set": {**rng.choice(SETS), **rng.choice(SETS)}}
            if rng.random() < 0.3:
                update["$unset"] = {rng.choice(["a", "s", "u", "tags", "place", "name"]): ""}
                update["$set"] = {k: v for k, v in update["$set"].items() if k not in update["$unset"]} or {"n": step}
            if rng.random() < 0.3:
                update["$push"] = {"_seen": f"e{step}"}
            # an upsert whose filter names no one _id mints an ObjectId of its own in each store
            several = isinstance(filter_["_id"], dict) and len(filter_["_id"].get("$in", ())) > 1
            options = {"multi": rng.random() < 0.3, "upsert": rng.random() < 0.1 and not several}
            assert _update(patched, filter_, update, **options) == _update(stock, filter_, update, **options), (
                filter_,
                update,
            )
        assert patched.find_matching(DB, COLL, {}, sort={"_id": 1}) == stock.find_matching(
            DB, COLL, {}, sort={"_id": 1}
        )
        assert _entries(patched) == _entries(stock)
    finally:
        stock.close()
        patched.close()
