"""SecantusDB's server as civicgrid starts it: ``python -m deploy.launch.secantusd <secantusd-py's flags>``.

The same entry point as the ``secantusd-py`` script (``secantus.cli.main``, the same flags and defaults), with six
changes to what a write or a read costs, made here because SecantusDB 0.7.0b3 (the latest release) has none of them
and our writes pay for them on every update of a case and every insert, our reads on every read of a case; all six
belong upstream:

- **no oplog** (unless ``--keep-oplog``). SecantusDB writes an oplog entry for every document written, with, for an
  update, the diff of the document before and after (``compute_update_description``, which reports an array that
  changed length whole: a case's history at every stage); only change streams and its point-in-time restore read
  it, and nothing of civicgrid's opens one or restores that way (a real MongoDB replica set has its own oplog, which
  its members need). That was 13–16% of the cases store's CPU in a profile of the whole loop. Its one switch,
  ``--standalone``, also drops the replica-set persona the services' transactions need; here the server keeps the
  persona and constructs its storage without the oplog (``Storage(enable_oplog=False)``, the constructor's own
  parameter, which SecantusDB's standalone mode uses): transactions, majority and journaled writes and the cluster
  time gossiped in every reply are as before (``tests/integration/test_store_requirements.py``); a change stream
  would see nothing (upstream: a flag for the persona without the oplog).

- **a filter with an ``_id`` equality takes the ``_id`` point lookup first.** SecantusDB takes it only when ``_id`` is
  the filter's *only* field; with more (``{_id, version, status, ...}``, the case's guarded update) its planner first
  tries its compound-equality, compound-range and partial-residual pickers over every index, re-reading the index
  catalogue for each, and reaches the ``_id`` clause in its last loop: ~1 ms of the store's CPU per guarded update
  of a case, 16% of the cases store's CPU in a profile of the whole loop (docs/benchmarks.md). Every caller of the
  planner re-checks each candidate with the full filter (``matches``), and a single ``_id`` names at most one
  document, so the result is the same document set either way; ``tests/unit/test_secantusd_planner.py`` checks that
  on many filters against the unpatched planner (upstream: the planner's own ``_id`` fast path widened from "``_id``
  alone" to "``_id`` among others").
- **an update rewrites only the index entries that change.** SecantusDB removes every entry the old document had and
  writes every entry of the new one, for each of the collection's indexes, whatever the update changed: a stage of a
  case changes two or three of its 13 indexed fields, and the outbox relay's pull of a published event none, yet
  each rewrote all 13 (14% of the cases store's CPU in the same profile). Here, inside an update, the old
  document's removal waits for the new one's write (a document a capped collection evicts meanwhile has its entries
  removed at once), and both skip the indexes to which the two documents contribute
  the same entries (the same keys, computed as SecantusDB computes them, the same partial-filter membership; a geo
  index is always rewritten): removing and writing back the same entries for the same RecordId leaves the index,
  and its unique keys, as they were. The same test checks that after the same writes both stores hold the same
  entries and the same unique keys, entry for entry (upstream: the update paths compare the entries before they
  write).
- **a write command reads each collection's index catalogue and options once.** SecantusDB reads the catalogue (a cursor
  over its index table, a BSON document decoded per index) whenever it asks which indexes a collection has, their
  partial filters or their options — and its write paths ask per document and per index entry written (the unique-key
  check, the entries' writes and deletes, the comparison above): ``_index_options_map`` alone was ~22% of the
  notifications store's CPU, an ``insert_many`` of inbox entries. Here each write path (an insert's, an update's and a
  delete's statement transaction, ``CATALOGUE_ONCE_PATHS``) keeps the rows it read, decoded, for the rest of its
  attempt, and hands each ask a key pattern and an options dict of its own (shallow copies: nothing in the write paths
  changes the partial filters or collations nested in them). Likewise the collection's options (``_coll_options``, a row
  of the collections table decoded; asked per write for the collection's UUID for the oplog, whether it keeps
  pre-images, is capped or time-series, and whether it exists): read once per attempt, a shallow copy per ask, and read
  afresh after the attempt writes them (a UUID minted, a collection created by its first write). Nothing outlives the
  attempt: the next command, a retry after a write conflict (its rolled-back attempt may have flagged an index multikey)
  and another thread read the catalogue and options afresh. Within the attempt the stock reads see no other catalogue
  either: it is one WiredTiger transaction (or the user's), whose snapshot hides what other threads commit meanwhile,
  and index builds and drops wait for the collection's lock the path holds. What it does see is its own writes, and the
  one catalogue write in a write path, an index flagged multikey by the first array value it indexes, drops the copy of
  that collection's catalogue. The same test compares documents, duplicate-key errors and index entries after inserts,
  ``insert_many``, updates, upserts and deletes over unique, sparse, partial and collated indexes, and counts the reads:
  an ``insert_many`` reads the catalogue once, however many documents it writes, and a write reads the collection's
  options once (upstream: the write paths pass the catalogue and options they read down to the per-document work).
- **an update copies only the fields it writes.** SecantusDB's ``apply_update`` deep-copies the whole stored document
  before it applies an operator update, and the comparison above then computes every index's keys for both
  documents, though a stage of a case writes four of its fields and the outbox pull one. Here
  (``apply_update_sharing``) the copy deep-copies the top-level fields the update names (each operator's paths'
  first segment; ``$rename``'s targets too) and shares the others with the stored document, which the update path
  decoded for itself and changes no further (an upsert's seed, built from the filter's values, a replacement and a
  pipeline are copied whole, as before); and an index whose key and partial filter read only fields the two
  documents share (the same objects) has the same entries without computing them (a wildcard or text index, or a
  partial filter with an operator other than ``$and``/``$or``, is compared as before). The same test compares the
  result or refusal of every operator (``$set``, ``$unset``, ``$inc``, ``$mul``, ``$min``, ``$max``, ``$rename``,
  ``$push``, ``$addToSet``, ``$pull``, ``$pullAll``, ``$pop``, ``$bit``, ``$setOnInsert``, positional and filtered
  paths, the refusals) with SecantusDB's, that the stored document is left as it was, and, with the oplog on, the
  same documents, entries and oplog entries as the stock store; and counts that an update of unindexed fields
  computes no index key (upstream: ``apply_update`` copying on write). An array the update only adds elements to or
  removes them from (``$push``, ``$addToSet``, ``$pull``, ``$pullAll``, ``$pop`` on the field by its own name, no
  other operator on it: a case's history, its outbox's pull) is a new list of the same elements, not a deep copy of
  them (8–10% of the cases store's CPU went to deep-copying its history and outbox; none of these operators changes
  an element, and ``$push``/``$addToSet`` build a new list anyway). With the oplog kept, its diff of the two documents
  (``compute_update_description``, ~12% of the stores' CPU after the rest) skips what they share in the same way:
  a value is the same as itself, so the walk over it reports nothing; the same test compares the oplog entries.

- **a find's plain exclusion projection is applied to the documents the find decoded, not to deep copies.** Every
  document a find returns was decoded from its stored bytes for that find alone (an index lookup, a walk, a scan,
  a hint), yet SecantusDB deep-copies each one before taking out an excluded field: a case read without its outbox
  (``{_outbox: 0, ...}``, every action's read of the case) paid for a copy of its whole history, ~8% of the cases
  store's CPU in a profile of the whole loop. Here a projection that only excludes top-level fields (``{field: 0}``,
  no dotted path, no operator) has those fields popped from the decoded documents; any other projection, and the
  synthetic collections (the oplog view, ``system.users``, ``system.version``) and time-series ones, take the stock
  path. ``tests/unit/test_secantusd_planner.py`` compares the documents, their key order included, with the stock
  projection's (upstream: the projection of a fresh document need not copy it).

The ``_id`` is taken first only where the result cannot differ (else the stock planner decides, unchanged): the
``_id`` clause names one value (an equality, ``$eq`` or a one-element ``$in``: a several-value ``$in`` could return
its documents, or pick the one ``update_one`` changes, in another order than an index walk would); no top-level
operator (``$or``, ``$text``, ``$where``); no collation (a collated string ``_id`` may equal others); no ``$near``
(its order is the distance); not a time-series collection (its keys carry a suffix); and no ``MinKey``/``MaxKey`` in
the filter (SecantusDB's sparse-index gate lets such a range ride a sparse index, which then leaves out documents
missing the field that a scan would return: the one case where its choice of index changes a result).
"""

import copy
import functools
import logging
import sys
import threading
from collections.abc import Mapping
from importlib.metadata import version

import bson
from bson.max_key import MaxKey
from bson.min_key import MinKey
from secantus import diff, storage
from secantus.cli import main

# The changes reach into SecantusDB's internals as 0.7.0b3 has them (requirements.lock); another version runs as it is.
CHECKED_VERSION = "0.7.0b3"
_stock_candidates = storage.Storage._try_index_id_keys
_stock_delete_entries = storage.Storage._delete_index_entries
_stock_write_entries = storage.Storage._write_index_entries
_stock_iter_indexes = storage.Storage._iter_indexes
_stock_mark_multikey = storage.Storage._maybe_mark_multikey
_stock_enforce_capped = storage.Storage._enforce_capped_bounds_locked
_stock_coll_options = storage.Storage._coll_options
_stock_write_coll_options = storage.Storage._write_coll_options
_stock_ensure_collection = storage.Storage._ensure_collection
_stock_apply_update = storage.apply_update
_stock_storage_init = storage.Storage.__init__
_stock_walk = diff._walk
_stock_find_matching = storage.Storage.find_matching
_updating = threading.local()  # per server thread: the documents an update is rewriting, by RecordId
_catalogue = threading.local()  # per server thread: the index catalogue a write command read, by (db, coll)
_options = threading.local()  # per server thread: the collection options a write command read, by (db, coll)
_ABSENT = object()
# The write paths that read the catalogue once per command: each one statement transaction, retried whole on a
# write conflict (the cache lives inside the retry, so a rolled-back attempt's reads are not reused).
CATALOGUE_ONCE_PATHS = (
    "_insert_chunk",
    "_update_chunk",
    "_update_matching_single_txn",
    "_delete_chunk",
    "_delete_matching_single_txn",
)
_ORDERED_BY_DISTANCE = ("$near", "$nearSphere")


def _mentions_key_bound(value) -> bool:
    if isinstance(value, (MinKey, MaxKey)):
        return True
    if isinstance(value, Mapping):
        return any(_mentions_key_bound(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_mentions_key_bound(v) for v in value)
    return False


def one_id_key(filter_: Mapping, collation) -> bytes | None:
    """The one ``_id`` key a filter with other clauses names, when taking it first cannot change the result."""
    if collation is not None or len(filter_) < 2 or "_id" not in filter_:
        return None
    for field, clause in filter_.items():
        if not isinstance(field, str) or field.startswith("$"):
            return None
        if isinstance(clause, Mapping) and any(op in clause for op in _ORDERED_BY_DISTANCE):
            return None
    if _mentions_key_bound(filter_):
        return None
    keys = storage._id_point_lookup_keys(filter_["_id"])
    return keys[0] if keys is not None and len(keys) == 1 else None


def id_first_candidates(self, db, coll, filter_, *, collation=None):
    """``Storage._try_index_id_keys`` taking the ``_id`` point lookup first (see the module's docstring)."""
    key = one_id_key(filter_, collation) if filter_ else None
    if key is None or self._is_timeseries(db, coll):
        return _stock_candidates(self, db, coll, filter_, collation=collation)
    recordid = self._doc_recordid(db, coll, key)
    return [] if recordid is None else [recordid]


def _touched_fields(update) -> set[str] | None:
    """The top-level fields an operator update writes (``$rename``: from and to), or None where that is not plain."""
    if not isinstance(update, Mapping) or not update:
        return None
    fields = set()
    for op, payload in update.items():
        if not isinstance(op, str) or not op.startswith("$") or not isinstance(payload, Mapping):
            return None
        paths = [*payload, *payload.values()] if op == "$rename" else payload
        for path in paths:
            if not isinstance(path, str):
                return None
            head = path.split(".", 1)[0]
            if not head or head.startswith("$"):
                return None
            fields.add(head)
    return fields


# The operators that change which elements an array holds, never an element: on a top-level array only these touch,
# the copy is a new list of the same elements (``$push`` and ``$addToSet`` build a new list of their own anyway;
# ``$pull``, ``$pullAll`` and ``$pop`` change the list they are given in place).
_MEMBERSHIP_OPERATORS = frozenset({"$push", "$addToSet", "$pull", "$pullAll", "$pop"})


def _membership_only_fields(update: Mapping) -> set[str]:
    """The top-level fields an operator update changes only by adding or removing whole elements (``$push:
    {history: ...}``, ``$pull: {_outbox: ...}``): written by those operators alone, by their own name (no path into
    them)."""
    membership, other = set(), set()
    for op, payload in update.items():
        for path in payload:
            head = path.split(".", 1)[0]
            (membership if op in _MEMBERSHIP_OPERATORS and path == head else other).add(head)
        if op == "$rename":
            other.update(p.split(".", 1)[0] for p in payload.values())
    return membership - other


class _SharedCopy(dict):
    """A stored document as ``apply_update`` copies it: the fields the update writes copied deep, the others shared
    with the document (each update decodes its documents afresh, and neither copy is changed after the update); an
    array only gained or lost elements by the update (``membership``) is a new list of the same elements."""

    __slots__ = ("touched", "membership")

    def __deepcopy__(self, memo):
        return {
            k: (list(v) if k in self.membership and type(v) is list else copy.deepcopy(v, memo))
            if k in self.touched
            else v
            for k, v in self.items()
        }


def apply_update_sharing(doc, update, *, is_upsert=False, **kwargs):
    """``secantus.update.apply_update`` for the stored documents an operator update changes: the fields it does not
    write are the document's own objects (below), not deep copies; an upsert's seed (built from the filter's
    values), a replacement and a pipeline are copied whole, as before."""
    touched = None if is_upsert or type(doc) is not dict else _touched_fields(update)
    if touched is None:
        return _stock_apply_update(doc, update, is_upsert=is_upsert, **kwargs)
    shared = _SharedCopy(doc)
    shared.touched, shared.membership = touched, _membership_only_fields(update)
    return _stock_apply_update(shared, update, is_upsert=is_upsert, **kwargs)


def walk_skipping_shared(pre, post, *args, **kwargs):
    """``secantus.diff._walk``, the oplog diff's recursion: a value compared with itself (a field the update shared,
    above) has nothing to report, as the walk over it would find, leaf by leaf (``bson_same_stored_value`` of a
    value and itself is true, NaNs and signed zeros too)."""
    if pre is post:
        return None
    return _stock_walk(pre, post, *args, **kwargs)


def _fields_read(key_spec: Mapping, partial: Mapping | None) -> set[str] | None:
    """The top-level fields an index's entries are computed from (its key and its partial filter), or None where
    that is not plain (a wildcard or text index, a partial filter with an operator of its own)."""
    fields = set()
    for path, kind in key_spec.items():
        if "$" in path or isinstance(kind, bool) or not (isinstance(kind, (int, float)) or kind == "hashed"):
            return None
        fields.add(path.split(".", 1)[0])
    pending = [partial] if partial else []
    while pending:
        clause = pending.pop()
        for path, value in clause.items():
            if path in ("$and", "$or") and isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
                pending.extend(value)
            elif not isinstance(path, str) or path.startswith("$"):
                return None
            else:
                fields.add(path.split(".", 1)[0])
    return fields


def _same_entries(old: Mapping, new: Mapping, index, partials: Mapping, options: Mapping) -> bool:
    """Whether ``old`` and ``new`` contribute the same entries to ``index`` (as ``_index_key_variants`` computes
    them for both the delete and the write); a geo index is taken as changed."""
    name, key_spec, sparse, _unique = index
    if storage._geo_type_of(key_spec) is not None:
        return False
    partial = partials.get(name)
    fields = _fields_read(key_spec, partial)
    if fields is not None and all(old.get(f, _ABSENT) is new.get(f, _ABSENT) for f in fields):
        return True  # the very same values (the update did not write these fields): the same entries
    if partial is not None:
        in_old, in_new = storage.matches(old, partial), storage.matches(new, partial)
        if in_old != in_new:
            return False
        if not in_old:
            return True
    collation = storage._parse_index_collation(options.get(name, {}).get("collation"))
    return list(storage._index_key_variants(old, key_spec, sparse=sparse, collation=collation)) == list(
        storage._index_key_variants(new, key_spec, sparse=sparse, collation=collation)
    )


def deferred_delete_entries(self, db, coll, doc, indexes, partials=None, *, recordid):
    """In an update, the old document's entries are removed with the new one's written (below)."""
    pending = getattr(_updating, "docs", None)
    if pending is None:
        return _stock_delete_entries(self, db, coll, doc, indexes, partials, recordid=recordid)
    pending[db, coll, recordid] = doc


def changed_entries_only(self, db, coll, doc, indexes, partials=None, *, recordid):
    """Write ``doc``'s entries; in an update, remove the old document's and write the new one's only for the
    indexes whose entries differ: the others would be removed and written back the same."""
    pending = getattr(_updating, "docs", None)
    old = None if pending is None else pending.pop((db, coll, recordid), None)
    if old is None:
        return _stock_write_entries(self, db, coll, doc, indexes, partials, recordid=recordid)
    if partials is None:
        partials = self._partial_filters(db, coll)
    options = self._index_options_map(db, coll)
    changed = [index for index in indexes if not _same_entries(old, doc, index, partials, options)]
    _stock_delete_entries(self, db, coll, old, changed, partials, recordid=recordid)
    _stock_write_entries(self, db, coll, doc, changed, partials, recordid=recordid)


def evicting_at_once(self, *args, **kwargs):
    """``Storage._enforce_capped_bounds_locked``: the documents a capped collection evicts, in an update too, have
    their entries removed at once (no write of theirs follows to do it)."""
    outer = getattr(_updating, "docs", None)
    _updating.docs = None
    try:
        return _stock_enforce_capped(self, *args, **kwargs)
    finally:
        _updating.docs = outer


def _rewriting(update_path):
    @functools.wraps(update_path)
    def rewriting(self, *args, **kwargs):
        outer = getattr(_updating, "docs", None)
        _updating.docs = {}
        try:
            return update_path(self, *args, **kwargs)
        finally:
            _updating.docs = outer

    return rewriting


def _read_catalogue(self, db: str, coll: str) -> list[tuple[str, dict, dict]]:
    """The collection's index catalogue, read and decoded as ``Storage._iter_indexes`` reads it."""
    rows: list[tuple[str, dict, dict]] = []
    cursor = self._cursor(storage._IDX_TABLE)
    cursor.set_key(db, coll, "")
    found = cursor.search_near()
    if found == storage.wt.WT_NOTFOUND or (found < 0 and cursor.next() != 0):
        return rows
    while True:
        key = cursor.get_key()
        if key[0] != db or key[1] != coll:
            return rows
        index = bson.decode(bytes(cursor.get_value()))
        rows.append((key[2], index.get("key", {}), index.get("options", {})))
        if cursor.next() != 0:
            return rows


def _decoded(rows: list[tuple[str, dict, dict]]):
    # each caller gets a key pattern and an options dict of its own to keep or change, as from the stock reader
    for name, key, options in rows:
        yield name, dict(key), dict(options)


def catalogue_once(self, db, coll):
    """``Storage._iter_indexes``, in a write command reading each collection's catalogue once (see above)."""
    cache = getattr(_catalogue, "rows", None)
    if cache is None:
        return _stock_iter_indexes(self, db, coll)
    rows = cache.get((db, coll))
    if rows is None:
        rows = cache[db, coll] = _read_catalogue(self, db, coll)
    return _decoded(rows)


def multikey_marked(self, db, coll, doc, indexes, already_multikey):
    """``Storage._maybe_mark_multikey``, the one catalogue write in a write command: a flag it adds (to the
    catalogue, or found there) drops the command's copy of that collection's catalogue."""
    before = len(already_multikey)
    marked = _stock_mark_multikey(self, db, coll, doc, indexes, already_multikey)
    cache = getattr(_catalogue, "rows", None)
    if cache is not None and len(marked) != before:
        cache.pop((db, coll), None)
    return marked


def options_once(self, db, coll):
    """``Storage._coll_options``, in a write command reading each collection's options once (see above)."""
    cache = getattr(_options, "by_coll", None)
    if cache is None:
        return _stock_coll_options(self, db, coll)
    options = cache.get((db, coll), _ABSENT)
    if options is _ABSENT:
        options = cache[db, coll] = _stock_coll_options(self, db, coll)
    return None if options is None else dict(options)


def options_written(self, db, coll, opts):
    """``Storage._write_coll_options``: a write command that writes a collection's options (a UUID minted for it)
    reads them afresh."""
    _forget_options(db, coll)
    return _stock_write_coll_options(self, db, coll, opts)


def collection_ensured(self, db, coll):
    """``Storage._ensure_collection``: in a write command, the collection has options (the row it looks for) or is
    created, and its options are then read afresh."""
    if getattr(_options, "by_coll", None) is not None and options_once(self, db, coll) is not None:
        return None
    _forget_options(db, coll)
    return _stock_ensure_collection(self, db, coll)


def _forget_options(db, coll):
    cache = getattr(_options, "by_coll", None)
    if cache is not None:
        cache.pop((db, coll), None)


def _reading_catalogue_once(write_path):
    @functools.wraps(write_path)
    def reading_once(self, *args, **kwargs):
        if getattr(_catalogue, "rows", None) is not None:  # nested in another write path: its copy serves
            return write_path(self, *args, **kwargs)
        _catalogue.rows, _options.by_coll = {}, {}
        try:
            return write_path(self, *args, **kwargs)
        finally:
            _catalogue.rows = _options.by_coll = None

    return reading_once


def excluded_fields(projection) -> tuple[str, ...] | None:
    """The top-level fields a plain exclusion projection (``{field: 0, ...}``) leaves out; None for any other."""
    if not isinstance(projection, Mapping) or not projection:
        return None
    for field, value in projection.items():
        if not isinstance(field, str) or not field or "." in field or field.startswith("$"):
            return None
        if not isinstance(value, (bool, int, float)) or value != 0:
            return None
    return tuple(projection)


def _synthetic_or_timeseries(store, db, coll) -> bool:
    """A collection whose finds may answer with documents not decoded for them (the oplog view, ``system.users``,
    ``system.version``), or with a bucket's keys (time-series)."""
    checks = (store._is_oplog_rs, store._is_system_users, store._is_system_version, store._is_timeseries)
    return any(check(db, coll) for check in checks)


def excluding_in_place(self, db, coll, filter=None, *, projection=None, **kwargs):  # noqa: A002 - the stock name
    """``Storage.find_matching`` with a plain exclusion projection applied to the documents it decoded for this
    find, not to deep copies of them (see the module's docstring)."""
    excluded = excluded_fields(projection)
    if excluded is None or _synthetic_or_timeseries(self, db, coll):
        return _stock_find_matching(self, db, coll, filter, projection=projection, **kwargs)
    found = _stock_find_matching(self, db, coll, filter, projection=None, **kwargs)
    for doc in found:
        for field in excluded:
            doc.pop(field, None)
    return found


def catalogue_once_path(stock_path):
    """A stock write path (retried on write conflicts) with its every attempt reading the catalogue once."""
    return storage._retry_write_conflicts(_reading_catalogue_once(stock_path.__wrapped__))


def patch() -> None:
    if version("secantusdb") != CHECKED_VERSION:
        logging.getLogger(__name__).warning(
            "SecantusDB %s, not %s: its planner and index writes run as they are",
            version("secantusdb"),
            CHECKED_VERSION,
        )
        return
    storage.Storage._try_index_id_keys = id_first_candidates
    storage.Storage._delete_index_entries = deferred_delete_entries
    storage.Storage._write_index_entries = changed_entries_only
    storage.Storage._enforce_capped_bounds_locked = evicting_at_once
    storage.Storage._iter_indexes = catalogue_once
    storage.Storage._maybe_mark_multikey = multikey_marked
    storage.Storage._coll_options = options_once
    storage.Storage._write_coll_options = options_written
    storage.Storage._ensure_collection = collection_ensured
    storage.apply_update = apply_update_sharing
    storage.Storage.find_matching = excluding_in_place
    diff._walk = walk_skipping_shared
    for path in CATALOGUE_ONCE_PATHS:
        setattr(storage.Storage, path, catalogue_once_path(getattr(storage.Storage, path)))
    for path in ("_update_matching_single_txn", "_update_chunk"):
        setattr(storage.Storage, path, _rewriting(getattr(storage.Storage, path)))


KEEP_OPLOG_FLAG = "--keep-oplog"


def without_oplog(self, *args, **kwargs):
    """``Storage.__init__`` keeping no oplog, whatever the persona (see the module's docstring)."""
    kwargs["enable_oplog"] = False
    _stock_storage_init(self, *args, **kwargs)


def run(argv: list[str]) -> int:
    """SecantusDB's server with ``argv`` (its own flags), changed as above; ``--keep-oplog``: with its oplog."""
    patch()
    # not gated on the checked version, as the other changes are: ``enable_oplog`` is the constructor's own parameter
    if KEEP_OPLOG_FLAG in argv:
        argv = [a for a in argv if a != KEEP_OPLOG_FLAG]
    else:
        storage.Storage.__init__ = without_oplog
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
