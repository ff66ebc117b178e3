"""Where reporting keeps reports, their photos, and what it needs to know of cases.

``case_index`` is reporting's own view of cases, kept from the cases service's
events: where each case is, whose it is and whether it is open — enough to suggest
duplicates at intake and to decide who may see a report's photos, without asking
the cases service anything.
"""

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shared.attachments import ATTACHMENT_INDEXES, AttachmentStore
from shared.errors import Conflict, NotFound
from shared.events import Event
from shared.events.contracts.cases import OPEN_STATUSES
from shared.mongo import MongoStore, Repository

REPORTS = "reports"
CONTACT_RETENTION = "contact-retention"  # the scan that lets go of the public's contact details, under its lease
ENDED = ("closed", "rejected", "merged", "cancelled")
CASE_INDEX = "case_index"
OPEN = OPEN_STATUSES
# Named on the query: the store takes an index only for a query on exactly its fields otherwise.
NEARBY_INDEX = [("category", ASCENDING), ("open", ASCENDING), ("location.lat", ASCENDING)]


def case_view_entry(facts: dict, reported_at=None) -> dict:
    """What reporting keeps of a case, from the facts its events carry."""
    entry = {
        k: facts[k]
        for k in ("status", "category", "grid", "department", "assisting_departments", "location", "version")
    }
    entry["reporters"] = list(facts.get("reporters") or [])  # who may see the photos: shared.auth.can_see_case
    entry["open"] = facts["status"] in OPEN
    if reported_at is not None:
        entry["reported_at"] = reported_at
    return entry


class ReportRepository(Repository):
    def __init__(self, db, relay, leases=None):
        super().__init__(db, relay, leases)
        self.attachments = AttachmentStore(db, prefix="P")

    def add(self, report: dict, event: Event) -> tuple[dict, bool]:
        """Store ``report`` and its event; on a retry, the first report instead.

        Returns (stored report, whether it was a retry). A reused idempotency key
        with different content is a conflict, never a silent second report.
        """
        if self.insert_with_events(REPORTS, report, [event]):
            if report["attachments"]:
                self.attachments.bind(report["attachments"], report_id=report["_id"], case_id=report["case_id"])
            return report, False
        first = self.first_report(report["dedup_key"], report["fingerprint"])
        if first is None:  # the duplicate was on _id: vanishingly unlikely, never silently ignored
            raise Conflict.of("report.id_collision")
        return first, True

    def first_report(self, dedup_key: str, fingerprint: str) -> dict | None:
        """The report first stored under ``dedup_key``, if any: a retry's answer. The same key with other content
        is a conflict, never a silent second report."""
        first = self.db[REPORTS].find_one({"dedup_key": dedup_key}, {"_outbox": 0})
        if first is not None and first["fingerprint"] != fingerprint:
            raise Conflict.of("report.key_reused", {"idempotency_key": first["idempotency_key"]})
        return first

    def by_dedup_key(self, key: str) -> dict | None:
        return self.db[REPORTS].find_one({"dedup_key": key}, {"_outbox": 0})

    def contacts_for_case(self, case_id: str) -> list[dict]:
        found = self.db[REPORTS].find({"case_id": case_id, "source": "public"}, {"contact": 1, "received_at": 1})
        return [{"report_id": r["_id"], "received_at": r["received_at"], **r.get("contact", {})} for r in found]

    # -- telling the public, and their rating (services/reporting/domain/notices.py) --------
    def public_reports_of(self, case_id: str) -> list[dict]:
        """The public's reports of a case, with what telling them needs (their contact stays in this service)."""
        return list(
            self.db[REPORTS].find({"case_id": case_id, "source": "public"}, {"contact": 1, "language": 1, "case_id": 1})
        )

    def add_notices(
        self, report_id: str, kept: list[dict], events: list[Event], *, consumed: Event, rating: dict | None = None
    ) -> bool:
        """Keep the notices' hashed capabilities (and a closing's rating round) with the report, and publish the
        notices, once per case event."""
        update = {"$push": {"notices": {"$each": kept}}}
        if rating is not None:
            update["$set"] = {"rating": rating}
        return self.update_with_events(REPORTS, {"_id": report_id}, update, events, consumed=consumed)

    # -- keeping the public's contact details no longer than needed ---------------------------
    def contact_kept_until(self, case_id: str, status: str, at, retention) -> None:
        """A case that ended keeps its reporters' contact until ``at + retention``; one that is open again (reopened)
        keeps it until it ends again. Only reports that still hold a contact are touched."""
        query = {"case_id": case_id, "source": "public", "contact": {"$exists": True}}
        if status in ENDED:
            self.db[REPORTS].update_many(query, {"$set": {"contact_expires_at": at + retention}})
        else:
            self.db[REPORTS].update_many(
                {**query, "contact_expires_at": {"$exists": True}}, {"$unset": {"contact_expires_at": ""}}
            )

    def forget_expired_contacts(self, now, limit: int) -> int:
        """Remove the contact details whose time is up, at most ``limit`` reports a run (the index narrows by the
        expiry first); how many. The report keeps when it let them go."""
        due = [r["_id"] for r in self.db[REPORTS].find({"contact_expires_at": {"$lte": now}}, {"_id": 1}).limit(limit)]
        if not due:
            return 0
        self.db[REPORTS].update_many(
            {"_id": {"$in": due}, "contact_expires_at": {"$lte": now}},
            {"$unset": {"contact": "", "contact_expires_at": ""}, "$set": {"contact_removed_at": now}},
        )
        return len(due)

    def report_for_notice(self, report_id: str) -> dict | None:
        return self.db[REPORTS].find_one(
            {"_id": report_id},
            {"contact": 1, "notices": 1, "rating": 1, "case_id": 1, "correlation_id": 1, "language": 1, "category": 1},
        )

    def keep_rating_token(self, report_id: str, notice_id: str, channel: str, token_hash: str) -> bool:
        found = self.db[REPORTS].update_one(
            {"_id": report_id, "rating.notice_id": notice_id}, {"$set": {f"rating.tokens.{channel}": token_hash}}
        )
        return found.matched_count == 1

    def take_rating(self, report_id: str, notice_id: str, given: dict, event: Event) -> bool:
        """Record the rating of this round, once: False when it was taken already."""
        return self.update_with_events(
            REPORTS,
            {"_id": report_id, "rating.notice_id": notice_id, "rating.rated_at": None},
            {"$set": {f"rating.{k}": v for k, v in given.items()}},
            [event],
        )

    def get(self, report_id: str) -> dict:
        report = self.db[REPORTS].find_one({"_id": report_id}, {"_outbox": 0})
        if report is None:
            raise NotFound.of("report.not_found", report_id=report_id)
        return report

    # -- reporting's view of cases -------------------------------------------------
    def track_case(self, facts: dict, reported_at=None) -> bool:
        """Move the view of a case forward to ``facts``; older facts than those held change nothing."""
        entry = case_view_entry(facts, reported_at)
        try:
            self.db[CASE_INDEX].update_one(
                {"_id": facts["case_id"], "version": {"$lt": facts["version"]}}, {"$set": entry}, upsert=True
            )
        except DuplicateKeyError:
            if reported_at is not None:  # a later event came first: the view still needs when it was reported
                self.db[CASE_INDEX].update_one(
                    {"_id": facts["case_id"], "reported_at": None}, {"$set": {"reported_at": reported_at}}
                )
            return False
        return True

    def case_view(self, case_id: str) -> dict | None:
        return self.db[CASE_INDEX].find_one({"_id": case_id})

    def open_cases_in(self, category: str, box: dict, since) -> list[dict]:
        """Open cases of ``category`` in ``box`` reported since ``since``. The store answers exactly the index's
        fields (equalities, then the latitude band) from the index; longitude and age are checked here."""
        (west, east), found = box["lon"], []
        for case in self.db[CASE_INDEX].find(self.nearby_query(category, box)).limit(1000):
            lon, reported_at = case["location"]["lon"], case.get("reported_at")
            if west <= lon <= east and reported_at is not None and reported_at >= since:
                found.append(case)
                if len(found) == 200:
                    break
        return found

    @staticmethod
    def nearby_query(category: str, box: dict) -> dict:
        return {"category": category, "open": True, "location.lat": {"$gte": box["lat"][0], "$lte": box["lat"][1]}}


class ReportStore(MongoStore):
    repository_cls = ReportRepository
    outbox_collections = (REPORTS,)
    scans = (CONTACT_RETENTION,)
    indexes = {
        REPORTS: [
            IndexModel([("dedup_key", ASCENDING)], unique=True),
            IndexModel([("case_id", ASCENDING)]),
            IndexModel([("reporter", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("contact_expires_at", ASCENDING)], sparse=True),
        ],
        CASE_INDEX: [IndexModel(NEARBY_INDEX)],
        **ATTACHMENT_INDEXES,
    }
