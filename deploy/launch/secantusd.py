"""SecantusDB's server as civicgrid starts it: ``python -m deploy.launch.secantusd <secantusd-py's flags>``.

The same entry point as the ``secantusd-py`` script (``secantus.cli.main``, the same flags and defaults), with one
change to its query planner, made here because SecantusDB 0.7.0b3 (the latest release) has it and our writes pay for
it on every guarded update:

- **a filter with an ``_id`` equality takes the ``_id`` point lookup first.** SecantusDB takes it only when ``_id`` is
  the filter's *only* field; with more (``{_id, version, status, ...}``, the case's guarded update) its planner first
  tries its compound-equality, compound-range and partial-residual pickers over every index, re-reading the index
  catalogue for each, and reaches the ``_id`` clause in its last loop: ~1 ms of the store's CPU per guarded update
  of a case, 16% of the cases store's CPU in a profile of the whole loop (docs/benchmarks.md). Every caller of the
  planner re-checks each candidate with the full filter (``matches``), and a single ``_id`` names at most one
  document, so the result is the same document set either way; ``tests/unit/test_secantusd_planner.py`` checks that
  on many filters against the unpatched planner. It belongs upstream (the planner's own ``_id`` fast path widened
  from "``_id`` alone" to "``_id`` among others").

Taken only where the result cannot differ (else the stock planner decides, unchanged): the ``_id`` clause names one
value (an equality, ``$eq`` or a one-element ``$in``: a several-value ``$in`` could return its documents, or pick
the one ``update_one`` changes, in another order than an index walk would); no top-level operator (``$or``,
``$text``, ``$where``); no collation (a collated string ``_id`` may equal others); no ``$near`` (its order is the
distance); not a time-series collection (its keys carry a suffix); and no ``MinKey``/``MaxKey`` in the filter
(SecantusDB's sparse-index gate lets such a range ride a sparse index, which then leaves out documents missing the
field that a scan would return: the one case where its choice of index changes a result).
"""

import sys
from collections.abc import Mapping

from bson.max_key import MaxKey
from bson.min_key import MinKey
from secantus import storage
from secantus.cli import main

_stock_candidates = storage.Storage._try_index_id_keys
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


def patch() -> None:
    storage.Storage._try_index_id_keys = id_first_candidates


if __name__ == "__main__":
    patch()
    sys.exit(main())
