"""Which index the embedded store answers a query from.

SecantusDB's ``explain`` does not say what its executor does: it reports a
collection scan for a query whose first clause the executor looks up in an index,
and an index scan for a hinted query that walks the whole index (measured with
``bench/`` micro-benchmarks, docs/architecture.md "Queries on the embedded store").
So the tests check the rule the executor follows instead, on the query as sent:

- ``_id`` alone, equal or ``$in``: a point lookup; and one ``_id`` value beside other
  clauses too, as civicgrid starts the store (``deploy.launch.secantusd.one_id_key``);
- otherwise the first clause, in the query's order, that is an equality, ``$in``
  or a range on a field some index leads with: that index narrows the candidates
  and the other clauses are checked on them.

A hint is never sent: it makes the store walk the whole index.
"""

from deploy.launch.secantusd import one_id_key

_RIDES = frozenset({"$eq", "$in", "$gt", "$gte", "$lt", "$lte"})


def answering_index(query: dict, indexes) -> list | None:
    """The key list of the index ``query`` is answered from; None: a scan."""
    indexes = [list(keys) for keys in indexes]
    if set(query) == {"_id"}:
        clause = query["_id"]
        if not isinstance(clause, dict) or set(clause) == {"$in"}:
            return [("_id", 1)]
    if one_id_key(query, None) is not None:
        return [("_id", 1)]
    for field, clause in query.items():
        if field.startswith("$"):
            return None
        if isinstance(clause, dict) and not set(clause) <= _RIDES:
            continue  # $ne, $exists…: not looked up
        for keys in indexes:
            if keys[0][0] == field:
                return keys
    return None


def index_keys(models) -> list[list]:
    """The key lists of pymongo ``IndexModel``s."""
    return [list(model.document["key"].items()) for model in models]
