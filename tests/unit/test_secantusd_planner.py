"""The store's planner as civicgrid starts it (``deploy.launch.secantusd``) answers every query and write exactly as
SecantusDB's own: the same documents in the same order, the same document updated or deleted. Checked on many
filters that name an ``_id`` beside other clauses, over a collection with the kinds of index the planner weighs
(single, compound, descending, multikey, dotted, sparse, partial), against the unpatched planner in the same process.
"""

import random
import types
from pathlib import Path

import bson
import pytest
from bson.max_key import MaxKey
from bson.min_key import MinKey
from secantus import diff, storage
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


class _SharingCopies:
    """A store whose updates copy documents as ``deploy.launch.secantusd`` has them (``apply_update_sharing``): a
    function of SecantusDB's storage module, not a method, so it is swapped in around this store's calls only and
    the stock store beside it keeps SecantusDB's own."""

    def __init__(self, store: Storage):
        self.__dict__["store"] = store

    def __getattr__(self, name):
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            stock, stock_walk = storage.apply_update, diff._walk
            storage.apply_update, diff._walk = secantusd.apply_update_sharing, secantusd.walk_skipping_shared
            try:
                return attr(*args, **kwargs)
            finally:
                storage.apply_update, diff._walk = stock, stock_walk

        return call


def _fully_patched(store: Storage) -> Storage:
    store._try_index_id_keys = types.MethodType(secantusd.id_first_candidates, store)
    store._delete_index_entries = types.MethodType(secantusd.deferred_delete_entries, store)
    store._write_index_entries = types.MethodType(secantusd.changed_entries_only, store)
    store._enforce_capped_bounds_locked = types.MethodType(secantusd.evicting_at_once, store)
    store._iter_indexes = types.MethodType(secantusd.catalogue_once, store)
    store._maybe_mark_multikey = types.MethodType(secantusd.multikey_marked, store)
    store._coll_options = types.MethodType(secantusd.options_once, store)
    store._write_coll_options = types.MethodType(secantusd.options_written, store)
    store._ensure_collection = types.MethodType(secantusd.collection_ensured, store)
    paths = {path: secantusd.catalogue_once_path(getattr(Storage, path)) for path in secantusd.CATALOGUE_ONCE_PATHS}
    for path in ("_update_matching_single_txn", "_update_chunk"):
        paths[path] = secantusd._rewriting(paths[path])
    for path, method in paths.items():
        setattr(store, path, types.MethodType(method, store))
    return _SharingCopies(store)


def _entry_store(tmp_path, name: str, docs: list[dict]) -> Storage:
    store = Storage(str(tmp_path / name), enable_oplog=False, ttl_sweep_seconds=0)
    for index, (keys, options) in ENTRY_INDEXES.items():
        store.create_index(DB, COLL, index, keys, options)
    store.insert(DB, COLL, [dict(doc) for doc in docs])
    return store


def _refusal(refused: Exception):
    return type(refused).__name__, str(refused), dict(vars(refused))


def _update(store: Storage, filter_: dict, update: dict, *, coll: str = COLL, **options):
    try:
        return store.update_matching(DB, coll, filter_, update, **options)
    except Exception as refused:  # noqa: BLE001 - the same refusal from both is the point
        return _refusal(refused)


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


def test_an_update_that_makes_a_capped_collection_evict_leaves_no_entries_behind(tmp_path):
    stores = []
    for name in ("stock", "patched"):
        store = Storage(str(tmp_path / name), enable_oplog=False, ttl_sweep_seconds=0)
        store.create_collection(DB, "capped", {"capped": True, "size": 10**6, "max": 3})
        store.create_index(DB, "capped", "status_1", {"status": 1}, {})
        store.insert(DB, "capped", [{"_id": n, "status": "open"} for n in range(3)])
        stores.append(store if name == "stock" else _fully_patched(store))
    try:
        for store in stores:  # an upsert: the fourth document, and the first evicted in the same command
            store.update_matching(DB, "capped", {"_id": 9}, {"$set": {"status": "closed"}}, upsert=True)
        assert stores[1].find_matching(DB, "capped", {}, sort={"_id": 1}) == stores[0].find_matching(
            DB, "capped", {}, sort={"_id": 1}
        )
        assert _entries(stores[1]) == _entries(stores[0])
    finally:
        for store in stores:
            store.close()


# Within one write command the index catalogue is read once: the same documents, the same duplicate-key errors
# (keyPattern, keyValue) and the same entries as the stock store, over the unique, sparse, partial and collated
# indexes whose options the write paths consult per document.
WRITE_INDEXES = {
    "code_1": ({"code": 1}, {"unique": True}),
    "badge_1": ({"badge": 1}, {"unique": True, "sparse": True}),
    "inbox_1_case_1": ({"inbox": 1, "case": 1}, {"unique": True, "partialFilterExpression": {"kind": "inbox"}}),
    "name_ci": ({"name": 1}, {"unique": True, "collation": {"locale": "en", "strength": 2}}),
    "tags_1": ({"tags": 1}, {}),
    "kind_1_at_-1": ({"kind": 1, "at": -1}, {}),
    "s_1": ({"s": 1}, {"sparse": True}),
}
LATE_INDEX = ("at_1_open", ({"at": 1}, {"partialFilterExpression": {"status": "open"}}))


def _write_doc(rng: random.Random, n: int) -> dict:
    doc = {"_id": f"W{rng.randint(0, 80):03d}", "n": n, "at": rng.randint(0, 9)}
    for field, values in (
        ("code", [f"K{rng.randint(0, 60)}", None]),
        ("badge", [rng.randint(0, 30), None]),
        ("kind", ["inbox", "inbox", "other"]),
        ("inbox", [f"op{rng.randint(0, 4)}"]),
        ("case", [f"C{rng.randint(0, 8)}"]),
        ("name", ["Ann", "ANN", "Bob", f"n{rng.randint(0, 50)}"]),
        ("tags", [["x"], ["x", "y"], "y", []]),
        ("status", ["open", "closed"]),
        ("s", [1, None, [1, 2]]),
    ):
        if rng.random() < 0.6:
            doc[field] = rng.choice(values)
    if rng.random() < 0.1:
        del doc["_id"]  # minted by the store: an ObjectId of its own in each, so given here
        doc["_id"] = f"M{n}"
    return doc


def _write_set(rng: random.Random) -> dict:
    doc = _write_doc(rng, rng.randint(0, 999))
    fields = rng.sample([k for k in doc if k != "_id"], min(2, len(doc) - 1))
    return {k: doc[k] for k in fields} or {"n": -1}


def _write_filter(rng: random.Random) -> dict:
    return rng.choice(
        [
            {"_id": f"W{rng.randint(0, 80):03d}"},
            {"_id": f"W{rng.randint(0, 80):03d}", "kind": "inbox"},
            {"kind": rng.choice(["inbox", "other"]), "at": {"$gte": rng.randint(0, 9)}},
            {"inbox": f"op{rng.randint(0, 4)}", "case": f"C{rng.randint(0, 8)}", "kind": "inbox"},
            {"tags": "x"},
            {"name": rng.choice(["ann", "Bob"])},
            {"code": f"K{rng.randint(0, 60)}"},
        ]
    )


def _write(store: Storage, op: str, payload, options: dict, coll: str = "writes"):
    try:
        if op == "insert":
            return store.insert(DB, coll, [dict(doc) for doc in payload], **options)
        if op == "update":
            filter_, update = payload
            return store.update_matching(DB, coll, filter_, update, **options)
        return store.delete_matching(DB, coll, payload, **options)
    except Exception as refused:  # noqa: BLE001 - the same refusal from both is the point
        return _refusal(refused)


def _write_store(tmp_path, name: str) -> Storage:
    store = Storage(str(tmp_path / name), enable_oplog=False, ttl_sweep_seconds=0)
    for index, (keys, options) in WRITE_INDEXES.items():
        store.create_index(DB, "writes", index, keys, options)
    return store


def test_writes_give_the_same_documents_errors_and_entries(tmp_path):
    stock = _write_store(tmp_path, "stock")
    patched = _fully_patched(_write_store(tmp_path, "patched"))
    rng = random.Random(5)
    ops = 0
    try:
        for step in range(500):
            if step == 250:  # between commands the catalogue changes: the next command reads it afresh
                for store in (stock, patched):
                    store.create_index(DB, "writes", LATE_INDEX[0], *LATE_INDEX[1])
            roll = rng.random()
            if roll < 0.4:
                op, options = "insert", {"ordered": rng.random() < 0.5}
                payload = [_write_doc(rng, step * 100 + k) for k in range(rng.choice([1, 1, 5, 20]))]
            elif roll < 0.9:
                op = "update"
                update = {"$set": _write_set(rng)}
                if rng.random() < 0.2:
                    update["$unset"] = {rng.choice(["badge", "tags", "s", "name"]): ""}
                    update["$set"] = {k: v for k, v in update["$set"].items() if k not in update["$unset"]}
                    update["$set"] = update["$set"] or {"n": step}
                filter_ = _write_filter(rng)
                upsert = "_id" in filter_ and rng.random() < 0.4
                payload, options = (filter_, update), {"multi": rng.random() < 0.3, "upsert": upsert}
            else:
                op, payload, options = "delete", _write_filter(rng), {}
            result = _write(patched, op, payload, options)
            assert result == _write(stock, op, payload, options), (step, op, payload, options)
            ops += isinstance(result, tuple) and result and isinstance(result[0], str)
        # an upsert into a collection that does not exist yet creates it (and its _id index) within the command
        upsert = ({"_id": "new"}, {"$set": {"a": [1]}})
        assert _update(patched, *upsert, coll="fresh", upsert=True) == _update(
            stock, *upsert, coll="fresh", upsert=True
        )
        for coll in ("writes", "fresh"):
            assert patched.find_matching(DB, coll, {}, sort={"_id": 1}) == stock.find_matching(
                DB, coll, {}, sort={"_id": 1}
            )
            assert patched.list_indexes(DB, coll) == stock.list_indexes(DB, coll)
        assert _entries(patched) == _entries(stock)
        assert ops > 20  # the duplicate-key refusals were exercised, not only the clean writes
    finally:
        stock.close()
        patched.close()


def test_an_insert_many_reads_the_catalogue_once(tmp_path, monkeypatch):
    reads = []
    stock_read = secantusd._read_catalogue
    monkeypatch.setattr(
        secantusd, "_read_catalogue", lambda store, db, coll: reads.append(coll) or stock_read(store, db, coll)
    )
    monkeypatch.setattr(
        secantusd,
        "_stock_iter_indexes",
        lambda store, db, coll: reads.append(coll) or Storage._iter_indexes(store, db, coll),
    )
    store = _fully_patched(_write_store(tmp_path, "store"))
    try:
        for n in (1, 20, 200):
            reads.clear()
            inserted, errors = store.insert(
                DB,
                "writes",
                [
                    {
                        "_id": f"{n}-{k}",
                        "code": f"{n}-{k}",
                        "name": f"{n}-{k}",
                        "kind": "inbox",
                        "inbox": f"op{k}",
                        "case": f"C{n}",
                        "tags": ["x"],
                    }
                    for k in range(n)
                ],
            )
            assert (inserted, errors) == (n, [])
            assert len(reads) <= 2, (n, reads)  # once, and once more after the first array marks tags_1 multikey
        # an update: the stock planner's reads before the chunk, then the chunk's one, however many documents
        per_update = []
        for n in (20, 200):
            reads.clear()
            assert (
                store.update_matching(DB, "writes", {"case": f"C{n}"}, {"$set": {"at": 1}}, multi=True)["matched"] == n
            )
            per_update.append(len(reads))
        assert per_update[0] == per_update[1] < 10, per_update
        reads.clear()
        assert store.delete_matching(DB, "writes", {"case": "C200"}) == 200
        assert len(reads) < 10, reads
    finally:
        store.close()


def test_a_multikey_flag_written_in_the_command_is_read_back_in_it(tmp_path):
    store = _fully_patched(_write_store(tmp_path, "store"))

    def command(store):
        assert "tags_1" not in store._multikey_index_names(DB, "writes")  # the command's copy, read here
        store._maybe_mark_multikey(DB, "writes", {"tags": ["x", "y"]}, store._all_indexes(DB, "writes"), set())
        return store._multikey_index_names(DB, "writes")

    try:
        store.insert(DB, "writes", [{"_id": 1, "code": 1, "name": "a", "tags": "x"}])
        assert "tags_1" in secantusd._reading_catalogue_once(command)(store)
    finally:
        store.close()


# An update copies only the fields it writes (``apply_update_sharing``): the same result or refusal as SecantusDB's
# ``apply_update`` for every operator, the stored document left as it was, and the fields it does not write shared.
def _stored(n: int) -> dict:
    doc = {"_id": f"D{n}", "a": n, "s": "x", "nothing": None, "b": {"c": [1, {"d": 2}], "e": "y"}}
    doc["arr"] = [{"k": 1}, {"k": 2}, {"k": 3}] if n % 2 else [1, 2, 3]
    doc["tags"] = ["x", "y"][: n % 3]
    doc["history"] = [{"action": "report", "note": "n" * 10}]
    return doc


OPERATOR_UPDATES = [
    ({"$set": {"a": 5}}, {}),
    ({"$set": {"a": 5.0}}, {}),
    ({"$set": {"b.c.1.d": 9}}, {}),
    ({"$set": {"b.new": [1]}, "$unset": {"b.e": ""}}, {}),
    ({"$set": {"fresh.deep": {"x": 1}}}, {}),
    ({"$unset": {"arr": "", "missing": ""}}, {}),
    ({"$inc": {"a": 1, "b.c.0": 2}}, {}),
    ({"$inc": {"s": 1}}, {}),  # refused: not a number
    ({"$mul": {"a": 2}, "$min": {"nothing": 0}, "$max": {"b.z": 3}}, {}),
    ({"$rename": {"a": "z"}}, {}),
    ({"$rename": {"b.e": "y", "s": "b.s2"}}, {}),
    ({"$rename": {"a": "_id"}}, {}),  # refused: _id
    ({"$push": {"arr": {"$each": [4], "$slice": -3}, "history": {"action": "x"}}}, {}),
    ({"$addToSet": {"tags": {"$each": ["x", "z"]}}}, {}),
    ({"$pull": {"arr": {"k": 1}}}, {}),
    ({"$pull": {"arr": 2}, "$pullAll": {"tags": ["x"]}}, {}),
    ({"$pop": {"arr": 1, "tags": -1}}, {}),
    ({"$set": {"arr.$[]": 0}}, {}),
    ({"$set": {"arr.$[el].k": 7}}, {"array_filters": [{"el.k": {"$gte": 2}}]}),
    ({"$set": {"arr.$[el]": 7}}, {"array_filters": [{"el": {"$gte": 2}}]}),
    ({"$set": {"arr.$": 20}}, {"positional_matches": {"arr": 1}}),
    ({"$set": {"_id": "other"}}, {}),  # refused: _id is immutable
    ({"$set": {"a": 1, "a.b": 2}}, {}),  # refused: conflicting paths
    ({"$set": {"s.t": 1}}, {}),  # refused: a field inside a string
    ({"$bit": {"a": {"and": 5}}}, {}),
    ({"$setOnInsert": {"q": 1}, "$set": {"a": 0}}, {}),
    ({"$set": {}}, {}),
    ({"$nope": {"a": 1}}, {}),
    ({"$set": {"a": 1}, "z": 2}, {}),  # an operator and a field: refused, copied whole
    ({"z": 2}, {}),  # a replacement: copied whole
    ([{"$set": {"a": 1}}], {}),  # a pipeline: copied whole
]


def _applied(apply, doc: dict, update, options: dict):
    try:
        return "ok", bson.encode(apply(doc, update, **options))
    except Exception as refused:  # noqa: BLE001 - the same refusal from both is the point
        return _refusal(refused)


@pytest.mark.parametrize("update, options", OPERATOR_UPDATES)
def test_an_update_copies_only_the_fields_it_writes(update, options):
    for n in range(6):
        stored = bson.encode(_stored(n))
        ours, theirs = bson.decode(stored), bson.decode(stored)
        outcome = _applied(secantusd.apply_update_sharing, ours, update, options)
        assert outcome == _applied(storage.apply_update, theirs, update, options), (n, update)
        assert bson.encode(ours) == stored, "the stored document is left as it was"
        if outcome[0] == "ok" and secantusd._touched_fields(update) is not None:
            new = secantusd.apply_update_sharing(ours, update, **options)
            untouched = [f for f in ours if f not in secantusd._touched_fields(update) and f != "_id"]
            assert all(new[f] is ours[f] for f in untouched), (n, update)


@pytest.mark.parametrize(
    "update",
    [
        {"$push": {"history": {"action": "x"}}},
        {"$push": {"arr": {"$each": [4], "$sort": {"k": 1}, "$slice": -3}}},
        {"$pull": {"arr": {"k": 1}}, "$addToSet": {"history": {"action": "x"}}},
        {"$pullAll": {"arr": [2]}, "$pop": {"history": -1}},
    ],
)
def test_an_array_that_only_gains_or_loses_elements_is_a_new_list_of_the_same_elements(update):
    for n in range(6):
        stored = bson.encode(_stored(n))
        ours, theirs = bson.decode(stored), bson.decode(stored)
        new = secantusd.apply_update_sharing(ours, update)
        assert bson.encode(new) == bson.encode(storage.apply_update(theirs, update)), (n, update)
        assert bson.encode(ours) == stored, "the stored document is left as it was"
        for field in secantusd._membership_only_fields(update):
            assert new[field] is not ours[field]
            # the elements it kept are the stored document's own objects, not copies
            kept = [e for e in new[field] if isinstance(e, dict) and e in ours[field]]
            assert all(any(e is o for o in ours[field]) for e in kept), (n, update)


def test_an_array_written_inside_or_renamed_is_copied_deep():
    assert secantusd._membership_only_fields({"$push": {"b.c": 1}, "$pull": {"arr": 1}}) == {"arr"}
    assert secantusd._membership_only_fields({"$push": {"arr": 1}, "$set": {"arr.0": 2}}) == set()
    assert secantusd._membership_only_fields({"$pull": {"arr": 1}, "$rename": {"a": "arr"}}) == set()
    assert secantusd._membership_only_fields({"$set": {"history": []}}) == set()


def test_an_upsert_seed_is_copied_whole():
    seed = {"tags": ["x"]}  # built from the filter's values
    new = secantusd.apply_update_sharing(seed, {"$set": {"a": 1}}, is_upsert=True)
    assert new == {"tags": ["x"], "a": 1} and new["tags"] is not seed["tags"]


def test_an_update_of_unindexed_fields_computes_no_index_entries(tmp_path, monkeypatch):
    computed = []
    stock_variants = storage._index_key_variants
    monkeypatch.setattr(storage, "_index_key_variants", lambda *a, **k: computed.append(1) or stock_variants(*a, **k))
    docs = [{**doc, "tags": ["x", "y"], "e": {"x": [1, 3]}, "a": [1, 2]} for doc in _documents(random.Random(29))]
    store = _fully_patched(_store(tmp_path, "store", docs, patched=False))
    try:
        computed.clear()
        for doc in docs:
            assert (
                store.update_matching(DB, COLL, {"_id": doc["_id"]}, {"$set": {"note": 1}, "$inc": {"n": 1}})[
                    "modified"
                ]
                == 1
            )
        assert computed == []  # the list- and document-valued indexed fields too: shared, not copied
        store.update_matching(DB, COLL, {"_id": docs[0]["_id"]}, {"$push": {"tags": "z"}})
        assert computed  # a written indexed field has its entries compared
    finally:
        store.close()


# A write command reads each collection's options once, and the catalogue it decodes once: with the oplog on (as
# a store run with --keep-oplog, or SecantusDB's own), the same documents, entries and oplog entries as the stock store,
# over a capped collection, one recording pre-images, one created by the command, and options changed between
# commands.
def _oplog_store(tmp_path, name: str) -> Storage:
    store = Storage(str(tmp_path / name), enable_oplog=True, ttl_sweep_seconds=0)
    store.create_collection(DB, "capped", {"capped": True, "size": 10**6, "max": 7})
    store.create_collection(DB, "images", {"changeStreamPreAndPostImages": {"enabled": True}})
    for coll in ("capped", "images", COLL):
        for index, (keys, options) in ENTRY_INDEXES.items():
            if coll == COLL or "_2dsphere" not in index:
                store.create_index(DB, coll, index, keys, options)
    return store


def _oplog(store) -> list:
    return [
        (entry.get("op"), entry.get("ns"), entry.get("o"), entry.get("o2"))
        for entry in store._scan_oplog_entries()
        if str(entry.get("ns", "")).startswith(DB + ".") and entry.get("op") in ("i", "u", "d")
    ]


def test_writes_with_the_oplog_give_the_same_documents_entries_and_oplog(tmp_path):
    stock, patched = _oplog_store(tmp_path, "stock"), _fully_patched(_oplog_store(tmp_path, "patched"))
    rng = random.Random(31)
    colls = ("capped", "images", COLL, "created")
    try:
        for step in range(300):
            coll = rng.choice(colls)
            if step == 150:  # between commands the options change: the next command reads them afresh
                for store in (stock, patched):
                    store.set_collection_options(DB, "images", changeStreamPreAndPostImages={"enabled": False})
            roll = rng.random()
            if roll < 0.35:
                docs = [_stored(rng.randint(0, 40)) for _ in range(rng.choice([1, 1, 4]))]
                payload, options, op = docs, {"ordered": False}, "insert"
            elif roll < 0.9:
                update, extra = rng.choice(OPERATOR_UPDATES[:27])
                filter_ = rng.choice([{"_id": f"D{rng.randint(0, 40)}"}, {"a": {"$gte": rng.randint(0, 40)}}])
                if "positional_matches" in extra:
                    filter_, update = {**filter_, "arr": 2}, {"$set": {"arr.$": 20}}
                options = {"multi": rng.random() < 0.3, "upsert": "_id" in filter_ and rng.random() < 0.2}
                if "array_filters" in extra:
                    options["array_filters"] = extra["array_filters"]
                payload, op = (filter_, update), "update"
            else:
                payload, options, op = {"_id": f"D{rng.randint(0, 40)}"}, {}, "delete"
            assert _write(patched, op, payload, options, coll) == _write(stock, op, payload, options, coll), (
                step,
                coll,
                op,
                payload,
            )
        for coll in colls:
            assert patched.find_matching(DB, coll, {}, sort={"_id": 1}) == stock.find_matching(
                DB, coll, {}, sort={"_id": 1}
            )
            assert patched.get_collection_options(DB, coll).keys() == stock.get_collection_options(DB, coll).keys()
        assert _entries(patched) == _entries(stock)
        assert _oplog(patched) == _oplog(stock)
        assert _preimages(patched) == _preimages(stock) > 0
    finally:
        stock.close()
        patched.close()


def _preimages(store) -> int:
    cursor = store._cursor(storage._PREIMAGE_TABLE)
    rows = 0
    while cursor.next() == 0:
        rows += 1
    return rows


def _counting_reads(store, table: str) -> list:
    reads = []
    stock_cursor = store._cursor

    def cursor(name, **kwargs):
        if name == table:
            reads.append(name)
        return stock_cursor(name, **kwargs)

    store._cursor = cursor
    return reads


def test_a_write_command_reads_the_collection_options_once(tmp_path):
    store = _fully_patched(_oplog_store(tmp_path, "store"))
    reads = _counting_reads(store.store, storage._COLL_TABLE)
    try:
        for coll in ("images", "capped", COLL):
            reads.clear()
            assert store.insert(DB, coll, [_stored(n) for n in range(20)]) == (20, [])
            assert len(reads) == 1, (coll, reads)
            reads.clear()
            assert store.update_matching(DB, coll, {}, {"$inc": {"a": 1}}, multi=True)["modified"] == 20
            assert len(reads) <= 2, (coll, reads)  # the planner's, then the write's
            reads.clear()
            assert store.update_matching(DB, coll, {"_id": "D19"}, {"$inc": {"a": 1}})["modified"] == 1
            assert len(reads) <= 2, (coll, reads)
            reads.clear()
            store.delete_matching(DB, coll, {"s": "x"})
            assert len(reads) <= 2, (coll, reads)
    finally:
        store.close()


def test_a_write_command_decodes_the_catalogue_once(tmp_path, monkeypatch):
    decoded = []
    monkeypatch.setattr(
        secantusd, "bson", types.SimpleNamespace(decode=lambda blob: decoded.append(1) or bson.decode(blob))
    )
    store = _fully_patched(_entry_store(tmp_path, "store", _documents(random.Random(37))))
    try:
        for filter_ in ({"_id": "C001"}, {"status": "open"}):
            decoded.clear()
            store.update_matching(DB, COLL, filter_, {"$set": {"status": "closed", "a": 2}}, multi=True)
            assert len(decoded) <= 2 * len(ENTRY_INDEXES), (filter_, len(decoded))  # read at most twice
    finally:
        store.close()


@pytest.mark.parametrize("update, options", OPERATOR_UPDATES)
def test_the_oplog_diff_reports_the_same_and_walks_only_what_an_update_does_not_share(update, options, monkeypatch):
    compared = []
    stock_same = diff.bson_same_stored_value

    def counting_same(a, b):
        compared.append(1)
        return stock_same(a, b)

    for n in range(6):
        stored = _stored(n)
        try:
            new = secantusd.apply_update_sharing(stored, update, **options)
        except Exception:  # noqa: BLE001 - refused: nothing to diff
            continue
        expected = diff.compute_update_description(stored, new, update)  # every field walked
        compared.clear()
        with monkeypatch.context() as patched:
            patched.setattr(diff, "bson_same_stored_value", counting_same)
            patched.setattr(diff, "_walk", secantusd.walk_skipping_shared)
            assert diff.compute_update_description(stored, new, update) == expected, (n, update)
        if update == {"$set": {"a": 5}}:
            assert len(compared) <= 1, compared  # the field written at most, not the document's every leaf


PROJECTIONS = [{"status": 0}, {"_id": 0}, {"tags": 0, "e": 0, "_id": 0}, {"a": False, "n": 0.0}, {"missing": 0}]


@pytest.mark.parametrize("projection", PROJECTIONS)
def test_an_exclusion_applied_to_the_found_documents_answers_the_same(stores, projection):
    stock, _ = stores
    for filter_ in [{}, {"status": "open"}, {"_id": "C003"}, {"version": {"$gte": 2}}, {"tags": "x"}]:
        for sort in (None, {"version": -1, "n": 1}):
            mine = secantusd.excluding_in_place(stock, DB, COLL, filter_, projection=projection, sort=sort, limit=7)
            theirs = stock.find_matching(DB, COLL, filter_, projection=projection, sort=sort, limit=7)
            assert [list(d.items()) for d in mine] == [list(d.items()) for d in theirs], (filter_, projection)
    # what it took out of the documents it decoded is still stored
    assert stock.find_matching(DB, COLL, {}) == secantusd.excluding_in_place(stock, DB, COLL, {})


@pytest.mark.parametrize(
    "projection",
    [None, {}, {"status": 1}, {"e.x": 0}, {"status": 0, "a": 1}, {"tags": {"$slice": 1}}, {"$x": 0}, {"a": "0"}],
)
def test_any_other_projection_is_the_stock_one(projection):
    assert secantusd.excluded_fields(projection) is None
