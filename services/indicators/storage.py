"""The indicators' read models: one fact document per case, and daily counters per dimension key.

A case event updates the case's fact document and moves the counters by the
difference between what the case contributed before and after — in one
transaction, so counters never drift from the facts. Reading a period adds up at
most one counter per key and day.
"""

from pymongo import ASCENDING, IndexModel, UpdateOne

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


class IndicatorRepository(Repository):
    def record(self, event, tz) -> bool:
        """Take a case event into the read model; False if it was taken before."""
        transition = domain.transition_from_event(event)
        facts = event.payload

        def work(session, _push_events):
            fact = self.db[FACTS].find_one({"_id": facts["case_id"]}, session=session) or {
                "_id": facts["case_id"], "transitions": {}, "snapshot": None, "contributions": [], "rev": 0}
            if event.event_id in fact["transitions"]:
                return False
            transitions = {**fact["transitions"], event.event_id: transition}
            snapshot = fact["snapshot"]
            if snapshot is None or facts["version"] >= snapshot["version"]:
                snapshot = facts
            kept = [t for t in transitions.values() if t]
            after = domain.contributions(snapshot, kept, tz)
            delta = domain.difference(_nested(fact["contributions"]), after)
            self._move_counters(delta, session)
            document = {"_id": facts["case_id"], "transitions": transitions, "snapshot": snapshot,
                        "contributions": _triples(after), "rev": fact["rev"] + 1,
                        "open": snapshot["status"] in domain.OPEN, "suspended": bool(snapshot.get("suspended")),
                        "stage_deadline": snapshot.get("stage_deadline"),
                        **{d: snapshot.get(d) for d in domain.DIMENSIONS[1:]}}
            result = self.db[FACTS].replace_one({"_id": facts["case_id"], "rev": fact["rev"]}, document,
                                                upsert=fact["rev"] == 0, session=session)
            if result.matched_count == 0 and result.upserted_id is None:
                raise Conflict("the case's facts moved meanwhile")  # the consumer retries
            return True

        return self.run_transaction(work)

    def _move_counters(self, delta: dict, session) -> None:
        writes = []
        # Always in the same order: two transactions touching the same hot counters never wait on each other
        # in a circle.
        for counter, fields in sorted(delta.items()):
            dimension, key, day = counter.split("|")
            writes.append(UpdateOne({"_id": counter},
                                    {"$inc": fields, "$setOnInsert": {"dimension": dimension, "key": key, "day": day}},
                                    upsert=True))
        if writes:
            self.db[COUNTERS].bulk_write(writes, ordered=False, session=session)

    def counters(self, dimension: str, first: str, last: str, key: str | None = None) -> list[dict]:
        # equalities, then the range: the store's planner answers that from the (dimension[, key], day) index
        query = {"dimension": dimension, **({"key": key} if key is not None else {}),
                 "day": {"$gte": first, "$lte": last}}
        return list(self.db[COUNTERS].find(query))

    def open_cases(self, dimension: str) -> list[dict]:
        """The open cases' place in ``dimension`` and their stage deadline, for open and overdue counts."""
        fields = {"stage_deadline": 1, "suspended": 1}
        if dimension != "district":
            fields[dimension] = 1
        return list(self.db[FACTS].find({"open": True}, fields))

    def raw_facts(self) -> list[dict]:
        return list(self.db[FACTS].find({}, {"snapshot": 1, "transitions": 1}))


class IndicatorStore(MongoStore):
    repository_cls = IndicatorRepository
    indexes = {
        FACTS: [IndexModel([("open", ASCENDING)])],
        COUNTERS: [IndexModel([("dimension", ASCENDING), ("day", ASCENDING)]),
                   IndexModel([("dimension", ASCENDING), ("key", ASCENDING), ("day", ASCENDING)])],
    }
