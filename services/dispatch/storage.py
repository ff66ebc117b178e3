"""Where dispatch keeps its assignments and the departments' workload."""

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shared.mongo import MongoStore, Repository

ASSIGNMENTS = "assignments"
WORKLOAD = "workload"


class DispatchRepository(Repository):
    def record_assignment(self, assignment: dict) -> bool:
        return self.insert_with_events(ASSIGNMENTS, assignment, [])

    def for_case(self, case_id: str) -> list[dict]:
        return list(self.db[ASSIGNMENTS].find({"case_id": case_id}, {"_outbox": 0}).sort("created_at", ASCENDING))

    def track(self, case_id: str, entry: dict) -> bool:
        """Move a case's workload entry forward; an older event than the one applied changes nothing."""
        try:
            self.db[WORKLOAD].update_one(
                {"_id": case_id, "version": {"$lt": entry["version"]}}, {"$set": entry}, upsert=True
            )
        except DuplicateKeyError:
            return False
        return True

    def workload(self) -> dict[str, int]:
        counts = self.db[WORKLOAD].aggregate(
            [
                {"$match": {"department": {"$ne": None}}},
                {"$group": {"_id": "$department", "open": {"$sum": 1}}},
            ]
        )
        return {c["_id"]: c["open"] for c in counts}


class DispatchStore(MongoStore):
    repository_cls = DispatchRepository
    indexes = {
        ASSIGNMENTS: [
            # The processed-event guard: one assignment per dispatch, whatever the redeliveries.
            IndexModel([("source_event_id", ASCENDING)], unique=True),
            IndexModel([("case_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("department", ASCENDING), ("created_at", DESCENDING)]),
        ],
        WORKLOAD: [IndexModel([("department", ASCENDING)])],
    }
