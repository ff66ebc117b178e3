"""The indicators' read models: one fact document per case, and daily counters per dimension key.

A case event updates the case's fact document and moves the counters by the
difference between what the case contributed before and after — in one
transaction, so counters never drift from the facts. Events that arrive together
share a transaction (``record_many``; the service's group commit). Reading a period
adds up at most one counter per key and day.
"""

import json

from pymongo import ASCENDING, IndexModel, ReplaceOne, UpdateOne

from services.indicators import domain
from shared.errors import Conflict
from shared.mongo import MongoStore, Repository

FACTS = "case_facts"
COUNTERS = "daily_counters"


def _triples(adds: dict) -> list[list]:
    # Field names such as "disposal_h.12" cannot be document keys: stored as [counter, field, amount].
    return [[counter, field, amount] for counter, fields in sorted(adds.items()) for field, amount in fields.items()]


def _nested(triples: list[list]) -> dict:
    adds: dict = {}
    for counter, field, amount in triples:
        adds.setdefault(counter, {})[field] = amount
    return adds


def _packed(triples: list[list]) -> str:
    # One string, not an array of arrays: the store walks every element of a document it writes (SecantusDB: its
    # update, index and oplog paths in Python), and a closed case's contributions are ~50-70 triples, ~75% of the
    # fact's elements. Only this service reads them back, whole. JSON keeps ints and floats exactly.
    return json.dumps(triples, separators=(",", ":"))


def _unpacked(stored: str | list) -> list[list]:
    # a list: stored before contributions were packed (rewritten packed at the case's next event)
    return json.loads(stored) if isinstance(stored, str) else stored


def take_event(fact: dict, event, tz, response_limit=domain.RESPONSE_LIMIT) -> dict | None:
    """The case's fact document once ``event`` is in it, and the counters' delta; None if it was in already."""
    if event.event_id in fact["transitions"]:
        return None
    facts = event.payload
    transitions = {**fact["transitions"], **domain.transitions_from_event(event)}
    snapshot = fact["snapshot"]
    if snapshot is None or facts["version"] >= snapshot["version"]:
        snapshot = facts
    kept = [t for t in transitions.values() if t]
    after = domain.contributions(snapshot, kept, tz, response_limit)
    delta = domain.difference(_nested(_unpacked(fact["contributions"])), after)
    document = {
        "_id": facts["case_id"],
        "transitions": transitions,
        "snapshot": snapshot,
        "contributions": _packed(_triples(after)),
        "rev": fact["rev"] + 1,
        "open": snapshot["status"] in domain.OPEN,
        "suspended": bool(snapshot.get("suspended")),
        "stage_deadline": snapshot.get("stage_deadline"),
        **{d: snapshot.get(d) for d in domain.DIMENSIONS[1:]},
    }
    return {"document": document, "delta": delta}


def _add(total: dict, delta: dict) -> None:
    for counter, fields in delta.items():
        into = total.setdefault(counter, {})
        for field, amount in fields.items():
            into[field] = into.get(field, 0) + amount


class IndicatorRepository(Repository):
    def record(self, event, tz, response_limit=domain.RESPONSE_LIMIT) -> bool:
        """Take a case event into the read model; False if it was taken before."""
        return self.record_many([event], tz, response_limit) == 1

    def record_many(self, events: list, tz, response_limit=domain.RESPONSE_LIMIT) -> int:
        """Take case events into the read model in one transaction; how many were new.

        Each case's fact document is read once and written once (guarded by the revision it was read at, so a
        replica that moved it meanwhile makes the transaction fail and the events come back), and the counters'
        deltas of all the events go out in one bulk write: a batch costs four commands however many events it
        holds.
        """

        def work(session, _push_events):
            ids = list(dict.fromkeys(e.payload["case_id"] for e in events))
            stored = {d["_id"]: d for d in self.db[FACTS].find({"_id": {"$in": ids}}, session=session)}
            facts = {
                i: stored.get(i) or {"_id": i, "transitions": {}, "snapshot": None, "contributions": [], "rev": 0}
                for i in ids
            }
            read_rev = {i: f["rev"] for i, f in facts.items()}
            total: dict = {}
            taken = 0
            for event in events:
                step = take_event(facts[event.payload["case_id"]], event, tz, response_limit)
                if step is None:
                    continue
                facts[event.payload["case_id"]] = step["document"]
                _add(total, step["delta"])
                taken += 1
            if not taken:
                return 0
            self._move_counters(total, session)
            changed = [
                ReplaceOne({"_id": i, "rev": read_rev[i]}, f, upsert=read_rev[i] == 0)
                for i, f in facts.items()
                if f["rev"] != read_rev[i]
            ]
            result = self.db[FACTS].bulk_write(changed, ordered=False, session=session)
            if result.matched_count + len(result.upserted_ids) != len(changed):
                raise Conflict.of("case.facts_moved")  # the consumers retry
            return taken

        return self.run_transaction(work)

    def _move_counters(self, delta: dict, session) -> None:
        writes = []
        # Always in the same order: two transactions touching the same hot counters never wait on each other
        # in a circle.
        for counter, fields in sorted(delta.items()):
            fields = {f: amount for f, amount in fields.items() if amount}
            if not fields:
                continue
            dimension, key, day = counter.split("|")
            writes.append(
                UpdateOne(
                    {"_id": counter},
                    {"$inc": fields, "$setOnInsert": {"dimension": dimension, "key": key, "day": day}},
                    upsert=True,
                )
            )
        if writes:
            self.db[COUNTERS].bulk_write(writes, ordered=False, session=session)

    def counters(self, dimension: str, first: str, last: str, key: str | None = None) -> list[dict]:
        # equalities, then the range: the store's planner answers that from the (dimension[, key], day) index
        query = {
            "dimension": dimension,
            **({"key": key} if key is not None else {}),
            "day": {"$gte": first, "$lte": last},
        }
        return list(self.db[COUNTERS].find(query))

    def open_cases(self, dimension: str) -> list[dict]:
        """The open cases' place in ``dimension`` and their stage deadline, for open and overdue counts."""
        fields = {"stage_deadline": 1, "suspended": 1}
        if dimension != "district":
            fields[dimension] = 1
        return list(self.db[FACTS].find({"open": True}, fields))


class IndicatorStore(MongoStore):
    repository_cls = IndicatorRepository
    indexes = {
        FACTS: [IndexModel([("open", ASCENDING)])],
        COUNTERS: [
            IndexModel([("dimension", ASCENDING), ("day", ASCENDING)]),
            IndexModel([("dimension", ASCENDING), ("key", ASCENDING), ("day", ASCENDING)]),
        ],
    }
