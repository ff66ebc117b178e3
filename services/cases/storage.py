"""Where cases are kept: one document per case with its append-only history.

Every query the API offers is answered from an index (tests check the plans).
"""

from collections.abc import Iterator
from functools import partial

from cachetools import TTLCache
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.cases.domain import Change
from services.cases.domain.escalation import DEFAULT_POLICY
from services.cases.domain.model import PUBLIC_SINCE
from shared import paging
from shared.attachments import ATTACHMENT_INDEXES, AttachmentStore
from shared.errors import Conflict, NotFound
from shared.events import Event
from shared.mongo import SEEN_FIELD, MongoStore, Repository
from shared.outbox import OUTBOX_FIELD
from shared.sweep import Sweep
from shared.windows import gather

CASES = "cases"
POLICIES = "escalation_policies"
CREATED = "created_at"
_HIDDEN = {OUTBOX_FIELD: 0, SEEN_FIELD: 0}
ESCALATION = "escalation"  # the scan, and its lease
NEXT_DUE = "escalation.next_due_at"
# A run of the escalation scan reads due cases a page at a time and takes at most this many, so a backlog (a clock
# moved by days, a store that was down) is worked off over several runs rather than in one that outlives its lease.
ESCALATION_PAGE, ESCALATION_RUN = 200, 1000


def _filter(case_id: str, change: Change) -> dict:
    version = {} if change.expected_version is None else {"version": change.expected_version}
    return {"_id": case_id, **version, **change.guard}


def _update(change: Change) -> dict:
    update = {"$set": dict(change.set_fields)}
    if change.history:
        update["$push"] = {"history": {"$each": change.history}}
    if change.bump_version:
        update["$inc"] = {"version": 1}
    if change.add_to_sets:
        update["$addToSet"] = {k: {"$each": v} for k, v in change.add_to_sets.items()}
    return update


def time_place(case: dict) -> list:
    """A case's place in a list by time: the store keeps milliseconds, so several cases may share a moment."""
    return [case[CREATED], case["_id"]]


def _place_by(field: str):
    """A case's place in a list sorted by ``field``: the other sort keys end in the id, so the key alone."""
    return time_place if field == CREATED else (lambda case: case[field])


# Every new case pins the latest version of its category's escalation policy, which changes rarely: each process
# keeps the latest it read for a few seconds. A new version applies at once to cases opened by the process that
# saved it, and within LATEST_POLICY_TTL_SECONDS everywhere else.
LATEST_POLICY_TTL_SECONDS = 5.0
# The platform's own escalation policy is version 1 of ``default``, kept in the code and answered wherever the store
# holds no version 1 of it — never written on a read. An administrator's first change to it is version 2.
BUILT_IN_DEFAULT = {**DEFAULT_POLICY, "version": 1}


class CaseRepository(Repository):
    def __init__(
        self,
        db,
        relay,
        policy_cache: dict | None = None,
        latest_policies: TTLCache | None = None,
        leases=None,
        escalations: Sweep | None = None,
    ):
        super().__init__(db, relay, leases)
        self.attachments = AttachmentStore(db, prefix="F")
        self._policies = policy_cache if policy_cache is not None else {}
        self._latest = latest_policies if latest_policies is not None else TTLCache(100, LATEST_POLICY_TTL_SECONDS)
        self._escalations = escalations if escalations is not None else Sweep(ESCALATION_PAGE, ESCALATION_RUN)

    def open(self, case: dict, events: list[Event]) -> bool:
        """Store a new case; False if it exists (the opening event was redelivered)."""
        return self.insert_with_events(CASES, case, events)

    def get(self, case_id: str, with_seen: bool = False) -> dict:
        case = self.db[CASES].find_one({"_id": case_id}, {OUTBOX_FIELD: 0} if with_seen else _HIDDEN)
        if case is None:
            raise NotFound.of("case.not_found", case_id=case_id)
        return case

    # -- Open311: the public's requests ------------------------------------------------
    def public_requests(self, query: dict, *, skip: int, limit: int) -> list[dict]:
        """Public cases of ``query`` (its first clause the ``public_requested_at`` range), newest first."""
        found = self.db[CASES].find(_leading(query, PUBLIC_SINCE), _HIDDEN)
        return list(found.sort(PUBLIC_SINCE, DESCENDING).skip(skip).limit(limit))

    def public_cases(self, ids: list[str]) -> list[dict]:
        found = {c["_id"]: c for c in self.db[CASES].find({"_id": {"$in": ids}}, _HIDDEN)}
        return [found[i] for i in ids if i in found and found[i].get("source") == "public"]

    def apply(self, case_id: str, change: Change, consumed: Event | None = None) -> bool:
        """Apply ``change`` if the case is still at its expected version (and ``consumed`` is new)."""
        return self.update_with_events(
            CASES, _filter(case_id, change), _update(change), change.events, consumed=consumed
        )

    # -- escalation ----------------------------------------------------------------
    def due_for_escalation(self, now) -> Iterator[dict]:
        """Cases whose next escalation rung is due at ``now``, longest due first — in the one replica holding the
        escalation lease, a run's worth from where its last run stopped (``shared.sweep``); elsewhere none."""
        lease = self.lease(ESCALATION)
        if not lease.try_acquire():
            return iter(())
        return self._escalations.run(partial(self.due_page, now), _due_place, lease.held)

    def due_page(self, now, after: tuple | None, size: int) -> tuple[list[dict], bool]:
        """Up to ``size`` cases due at ``now`` placed after ``after`` (due time, id), in that order; and whether
        there may be more. An index on the due moment, never a walk over open cases."""
        query = {NEXT_DUE: {"$lte": now}}
        if after is not None:
            due, case_id = after
            # the due moment first: the store narrows by its index, then checks the rest on what it found
            query = {NEXT_DUE: {"$gte": due, "$lte": now}, "$or": [{NEXT_DUE: {"$gt": due}}, {"_id": {"$gt": case_id}}]}
        order = [(NEXT_DUE, ASCENDING), ("_id", ASCENDING)]
        cases = list(self.db[CASES].find(query, _HIDDEN).sort(order).limit(size))
        return cases, len(cases) == size

    def policy(self, policy_id: str, version: int | None = None) -> dict | None:
        """A version of an escalation policy (the latest without ``version``); versions never change."""
        if version is not None and (policy_id, version) in self._policies:
            return self._policies[(policy_id, version)]
        if version is None and policy_id in self._latest:
            return self._latest[policy_id]
        query = {"policy_id": policy_id} if version is None else {"policy_id": policy_id, "version": version}
        doc = self.db[POLICIES].find_one(query, {"_id": 0}, sort=[("version", DESCENDING)])
        if doc is not None and doc.get("deleted"):  # a deleted policy's last version is a tombstone
            return None
        if doc is None and policy_id == DEFAULT_POLICY["policy_id"] and version in (None, BUILT_IN_DEFAULT["version"]):
            doc = BUILT_IN_DEFAULT
        if doc is not None:
            self._policies[(policy_id, doc["version"])] = doc
            if version is None:
                self._latest[policy_id] = doc
        return doc

    def policies(self) -> list[dict]:
        latest: dict[str, dict] = {}
        for doc in self.db[POLICIES].find({}, {"_id": 0}).sort("version", ASCENDING):
            latest[doc["policy_id"]] = doc
        latest.setdefault(BUILT_IN_DEFAULT["policy_id"], BUILT_IN_DEFAULT)
        return sorted((d for d in latest.values() if not d.get("deleted")), key=lambda d: d["policy_id"])

    def _last_version(self, policy_id: str) -> int:
        doc = self.db[POLICIES].find_one({"policy_id": policy_id}, {"version": 1}, sort=[("version", DESCENDING)])
        built_in = BUILT_IN_DEFAULT["version"] if policy_id == BUILT_IN_DEFAULT["policy_id"] else 0
        return max(doc["version"] if doc else 0, built_in)

    def save_policy(self, policy: dict) -> dict:
        """A new version of a policy; cases already under way keep the version they started with."""
        self._latest.pop(policy["policy_id"], None)  # numbered after the latest stored, not the latest remembered
        saved = {**policy, "version": self._last_version(policy["policy_id"]) + 1}
        try:
            self.db[POLICIES].insert_one({**saved, "_id": f"{saved['policy_id']}:{saved['version']}"})
        except DuplicateKeyError:
            raise Conflict.of("policy.saved_concurrently") from None
        self._latest[saved["policy_id"]] = saved
        return saved

    def delete_policy(self, policy_id: str) -> bool:
        """No new case takes the policy; False if there was none. Its versions stay, for the cases that
        pinned one (they keep it) and their history, and numbering goes on if it is saved again."""
        self._latest.pop(policy_id, None)
        if self.policy(policy_id) is None:
            return False
        tombstone = {"policy_id": policy_id, "version": self._last_version(policy_id) + 1, "deleted": True}
        try:
            self.db[POLICIES].insert_one({**tombstone, "_id": f"{policy_id}:{tombstone['version']}"})
        except DuplicateKeyError:
            raise Conflict.of("policy.saved_concurrently") from None
        self._latest.pop(policy_id, None)
        return True

    # -- finding cases -------------------------------------------------------------
    def find(
        self, query: dict, *, sort: tuple[str, int], limit: int, cursor: str | None, index: str
    ) -> tuple[list, str | None]:
        """One page of cases matching ``query`` (built from validated fields only), keyset-paged on one field.

        ``index`` names the field whose index answers the query (``services.cases.queries.index_for``).
        """
        field, direction = sort
        if field == CREATED:
            return self._find_by_time(query, direction, limit, cursor, index)
        if cursor:
            query = {**query, field: {"$gt" if direction == ASCENDING else "$lt": paging.decode(cursor, paging.text)}}
        answer = paging.page(self._read(query, index, [sort], limit + 1), limit, _place_by(field))
        return answer["items"], answer["next"]

    def find_any(
        self, queries: list[tuple[dict, str]], *, sort: tuple[str, int], limit: int, cursor: str | None
    ) -> tuple[list, str | None]:
        """One page of the cases matching any of ``queries`` (each with the field whose index answers it), in
        ``sort`` order: each query's page from the same cursor, merged. The first ``limit`` of the union are among
        the first ``limit`` of each, so the merged page is exact and its last case is the next cursor."""
        if len(queries) == 1:
            ((query, index),) = queries
            return self.find(query, sort=sort, limit=limit, cursor=cursor, index=index)
        field, direction = sort
        found, more = {}, False
        for query, index in queries:
            page, next_cursor = self.find(query, sort=sort, limit=limit, cursor=cursor, index=index)
            found.update((doc["_id"], doc) for doc in page)
            more = more or next_cursor is not None
        order = (lambda d: (d[CREATED], d["_id"])) if field == CREATED else (lambda d: _sortable(d.get(field)))
        docs = sorted(found.values(), key=order, reverse=direction == DESCENDING)
        answer = paging.page(docs, limit, _place_by(field), more=more)
        return answer["items"], answer["next"]

    def _read(self, query: dict, index: str, sort: list, limit: int) -> list[dict]:
        """``limit`` cases of ``query`` in ``sort`` order (0: all). The embedded store bounds its index walk by an
        equality on the leading field and a range on the next, but not by an ``$in`` and a range: a leading ``$in``
        (the statuses of a queue, an officer's grids) is asked value by value and merged."""
        lead = query.get(index)
        if isinstance(lead, dict) and set(lead) == {"$in"}:
            values = list(dict.fromkeys(lead["$in"]))
            if len(values) != 1:
                docs = [doc for value in values for doc in self._read({**query, index: value}, index, sort, limit)]
                merged = list({doc["_id"]: doc for doc in docs}.values())  # an array field may match two values
                merged.sort(
                    key=lambda doc: tuple(_sortable(doc.get(field)) for field, _ in sort),
                    reverse=sort[0][1] == DESCENDING,
                )
                return merged[:limit] if limit else merged
            query = {**query, index: values[0]}
        return list(self.db[CASES].find(_leading(query, index), {**_HIDDEN, "history": 0}).sort(sort).limit(limit))

    def _find_by_time(
        self, query: dict, direction: int, limit: int, cursor: str | None, index: str
    ) -> tuple[list, str | None]:
        """Newest or oldest first, a window of time at a time (``shared.windows``) until the page is full.

        Where the answering index does not lead to ``created_at``, or its field is not
        asked by equality (overdue: by stage deadline; not supervised), one window spans
        it all. Pages go by (``created_at``, ``_id``): the store keeps milliseconds, so
        several cases may share a moment.
        """
        order = [(CREATED, direction), ("_id", direction)]
        newest = direction == DESCENDING
        start, end = query[CREATED]["$lte" if newest else "$gte"], query[CREATED]["$gte" if newest else "$lte"]
        found: list[dict] = []
        start_open = False
        if cursor:
            moment, last_id = paging.decode(cursor, paging.moment_and_id)
            if (moment < end) if newest else (moment > end):
                return [], None  # the cursor is past the query's range: nothing is left
            if (moment <= start) if newest else (moment >= start):  # else the range starts before the cursor
                found = [
                    d
                    for d in self._read({**query, CREATED: moment}, index, order, 0)
                    if (d["_id"] < last_id if newest else d["_id"] > last_id)
                ]
                start, start_open = moment, True
        lead = query.get(index)
        bounded = index == CREATED or (index in WINDOWED and (not isinstance(lead, dict) or set(lead) == {"$in"}))

        def read(near, far, near_open, room):
            if newest:
                window = {"$lt" if near_open else "$lte": near, "$gte": far}
            else:
                window = {"$gt" if near_open else "$gte": near, "$lte" if far == end else "$lt": far}
            return self._read({**query, CREATED: window}, index, order, room)

        if len(found) <= limit:
            found += gather(
                read, start, end, limit + 1 - len(found), backwards=newest, start_open=start_open, windowed=bounded
            )
        answer = paging.page(found, limit, time_place)
        return answer["items"], answer["next"]


def _due_place(case: dict) -> tuple:
    return case["escalation"]["next_due_at"], case["_id"]


def _sortable(value) -> tuple:
    """A sort key that puts a missing value first, as the store does."""
    return (0, "") if value is None else (1, value)


def _leading(query: dict, field: str) -> dict:
    """``query`` with ``field`` first. No hint: on the embedded store a hint walks the whole index. Its planner
    takes an index for the query's fields, or else for the first clause that has one: the most selective."""
    if field not in query:
        return query
    return {field: query[field], **{k: v for k, v in query.items() if k != field}}


LISTED_FIELDS = (
    "status",
    "departments",
    "grid",
    "community",
    "street",
    "category",
    "priority",
    "reporters",
    "supervised",
)
INDEX_OF = {
    **{field: [(field, ASCENDING), ("created_at", DESCENDING)] for field in LISTED_FIELDS},
    "stage_deadline": [("stage_deadline", ASCENDING)],
    "created_at": [("created_at", DESCENDING)],
}
# indexes that hold a field's cases in time order: a window of time is a range of them
WINDOWED = frozenset({*LISTED_FIELDS, "created_at"})


class CaseStore(MongoStore):
    repository_cls = CaseRepository
    outbox_collections = (CASES,)
    scans = (ESCALATION,)
    indexes = {
        CASES: [IndexModel(keys) for keys in INDEX_OF.values()]
        + [IndexModel([(NEXT_DUE, ASCENDING)], sparse=True), IndexModel([(PUBLIC_SINCE, DESCENDING)], sparse=True)],
        POLICIES: [IndexModel([("policy_id", ASCENDING), ("version", ASCENDING)], unique=True)],
        **ATTACHMENT_INDEXES,
    }

    def setup(self):
        super().setup()
        self.policy_cache: dict = {}
        self.latest_policies = TTLCache(maxsize=100, ttl=LATEST_POLICY_TTL_SECONDS)
        self.escalations = Sweep(ESCALATION_PAGE, ESCALATION_RUN)

    def get_dependency(self, worker_ctx):
        return CaseRepository(
            self.db, self.relay, self.policy_cache, self.latest_policies, self.leases, self.escalations
        )
