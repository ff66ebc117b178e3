"""In-memory stand-ins for stores and providers, for service tests with nameko's worker_factory."""

from datetime import UTC, datetime

from shared import paging
from shared.auth import Identity, may
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated
from shared.refdata import Reference


def _page(ordered: list[dict], limit: int, cursor, place) -> dict:
    """A page of a list in its order, as ``shared.paging`` answers it (the real stores read from the cursor on)."""
    start = 0
    if cursor:
        after = paging.decode(cursor, lambda value: value)
        start = next(i for i, doc in enumerate(ordered) if place(doc) == after) + 1
    return paging.page(ordered[start:start + limit + 1], limit, place)


def _descending(text: str) -> tuple:
    return tuple(-ord(c) for c in text)


class FixedClock:
    def __init__(self, now=None):
        self._now = now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self):
        return self._now


class FakeCaller:
    def __init__(self, identity: Identity | None):
        self._identity = identity

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            raise Unauthenticated("Sign in first.")
        return self._identity

    def require(self, permission: str) -> Identity:
        if not may(self.identity, permission):
            raise Forbidden("You are not allowed to do this.")
        return self.identity


def reference_with(**kinds) -> Reference:
    """A Reference holding the given kinds (``grid_map={...}``, ``categories={"items": [...]}``…) at revision 1."""
    reference = Reference(kinds)
    for kind, data in kinds.items():
        reference.load(kind, 1, data)
    return reference


class FakeReports:
    def __init__(self):
        self.reports: dict[str, dict] = {}
        self.events: list = []
        self.attachments = FakeUploads()
        self.open_cases: list[dict] = []

    def open_cases_in(self, category, box, since):
        return [c for c in self.open_cases if c["category"] == category]

    def by_dedup_key(self, key):
        return next((r for r in self.reports.values() if r["dedup_key"] == key), None)

    def first_report(self, dedup_key, fingerprint):
        for existing in self.reports.values():
            if existing["dedup_key"] == dedup_key:
                if existing["fingerprint"] != fingerprint:
                    raise Conflict("reused key")
                return existing
        return None

    def add(self, report, event):
        first = self.first_report(report["dedup_key"], report["fingerprint"])
        if first is not None:
            return first, True
        self.reports[report["_id"]] = report
        self.events.append(event)
        return report, False


class FakeCases:
    def __init__(self):
        from services.cases.domain.escalation import DEFAULT_POLICY

        self.attachments = FakeAttachments()
        self.policies = {("default", 1): {**DEFAULT_POLICY, "version": 1}}
        self.cases: dict[str, dict] = {}
        self.events: list = []
        self.conflicts_to_simulate = 0

    def open(self, case, events):
        if case["_id"] in self.cases:
            return False
        self.cases[case["_id"]] = {**case, "_seen": []}
        self.events += events
        return True

    def policy(self, policy_id, version=None):
        return self.policies.get((policy_id, version or 1))

    def public_requests(self, query, *, skip, limit):
        def matches(case):
            return all(case.get(k) in v["$in"] if "$in" in v else v["$gte"] <= case.get(k, v["$gte"]) <= v["$lte"]
                       and k in case for k, v in query.items())
        found = sorted((c for c in self.cases.values() if matches(c)), key=lambda c: c["public_requested_at"],
                       reverse=True)
        return found[skip:skip + limit]

    def public_cases(self, ids):
        return [self.cases[i] for i in ids if i in self.cases and self.cases[i].get("source") == "public"]

    def delete_policy(self, policy_id):
        return self.policies.pop((policy_id, 1), None) is not None

    def get(self, case_id, with_seen=False):
        if case_id not in self.cases:
            raise NotFound(case_id)
        return dict(self.cases[case_id])

    def apply(self, case_id, change, consumed=None):
        case = self.cases[case_id]
        if self.conflicts_to_simulate:
            self.conflicts_to_simulate -= 1
            case["version"] += 1  # somebody else got there first
            return False
        if change.expected_version is not None and case["version"] != change.expected_version:
            return False
        if any(case.get(k) != v for k, v in change.guard.items()) or (consumed and consumed.event_id in case["_seen"]):
            return False
        case.update(change.set_fields)
        case["version"] += 1 if change.bump_version else 0
        case["history"] = case["history"] + change.history
        for key, values in change.add_to_sets.items():
            case[key] = list(dict.fromkeys(case.get(key, []) + list(values)))
        if consumed:
            case["_seen"].append(consumed.event_id)
        self.events += change.events
        return True


class FakeAttachments:
    def metas(self, ids):
        return [{"attachment_id": i, "case_id": "C1"} for i in ids]


class FakeUploads:
    """Photos officer-1 uploaded, for any id asked about; those in ``bound`` already belong to a report."""

    def __init__(self):
        self.bound: set[str] = set()

    def metas(self, ids):
        return [{"attachment_id": i, "uploaded_by": "officer-1", **({"report_id": "R0"} if i in self.bound else {})}
                for i in ids]


class FakeNotifications:
    """The notifications store's verbs over dicts, keyed as the real one is (dedup keys, one feed number each)."""

    def __init__(self):
        self.inbox: dict[str, dict] = {}
        self.outgoing: dict[str, dict] = {}
        self.subscriptions: list[dict] = []
        self.prefs: dict[str, dict] = {}
        self.hooks: dict[str, dict] = {}
        self.feed: list[dict] = []

    def file(self, inbox, deliveries):
        stored = []
        for kept, docs in ((self.inbox, inbox), (self.outgoing, deliveries)):
            stored = [d for d in docs if d["dedup_key"] not in kept]
            kept.update({d["dedup_key"]: d for d in stored})
        return stored

    def subscribers(self, keys):
        return [s for s in self.subscriptions if s["key"] in keys]

    def preferences_of(self, user_ids):
        return {u: self.prefs[u] for u in user_ids if u in self.prefs}

    def departments_with_webhooks(self, codes):
        return {c for c in codes if c in self.hooks and self.hooks[c].get("active", True)}

    def recent_counts(self, pairs, since, cap):
        return {p: min(cap, sum(1 for d in self.outgoing.values() if (d["recipient_key"], d["channel"]) == p
                                and d["created_at"] >= since)) for p in pairs}

    def move_followers(self, *args):
        return 0

    def append_feed(self, entry):
        known = next((e for e in self.feed if e["event_id"] == entry["event_id"]), None)
        if known:
            return known
        self.feed.append({**entry, "_id": len(self.feed) + 1, "seq": len(self.feed) + 1})
        return self.feed[-1]

    def feed_head(self):
        return self.feed[-1]["_id"] if self.feed else 0

    def feed_holds(self, seq):
        return any(e["_id"] == seq for e in self.feed)

    def feed_after(self, after, limit, scopes=None):
        def matches(e, scope):
            if "grid" in scope:
                return e["grid"] in scope["grid"]["$in"]
            if "reporters" in scope:
                return scope["reporters"] in e["reporters"]
            return "departments" not in scope or scope["departments"] in e["departments"]

        def visible(e):
            return scopes is None or any(matches(e, s) for s in scopes)

        return [e for e in self.feed if e["_id"] > after and visible(e)][:limit]

    def personal_inbox(self, user_id, limit, cursor):
        mine = sorted((e for e in self.inbox.values() if e.get("user_id") == user_id),
                      key=lambda e: (e["read"], _descending(e["_id"])))
        return _page(mine, limit, cursor, lambda e: ["r" if e["read"] else "u", e["_id"]])

    def department_inbox(self, department, limit, cursor):
        entries = sorted((e for e in self.inbox.values() if e.get("department") == department),
                         key=lambda e: e["_id"], reverse=True)
        return _page(entries, limit, cursor, lambda e: e["_id"])

    def webhook(self, department):
        return self.hooks.get(department)

    def webhooks(self):
        return list(self.hooks.values())

    def put_webhook(self, department, fields_, secret, now):
        created = department not in self.hooks
        hook = self.hooks.setdefault(department, {"_id": department, "secret": secret, "created_at": now})
        hook.update(fields_, updated_at=now)
        return dict(hook), created

    def deliveries(self, by, value, limit, cursor):
        field = "case_id" if by == "case" else "recipient_key"
        found = sorted((d for d in self.outgoing.values() if d[field] == value), key=lambda d: d["_id"], reverse=True)
        return _page(found, limit, cursor, lambda d: d["_id"])
