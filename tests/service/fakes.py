"""In-memory stand-ins for stores and providers, for service tests with nameko's worker_factory.

Each store's fake answers as the real store does: ``tests/contract`` runs one suite on both, so a verb added here
gets its contract test there. Not covered, on purpose: the photos' stubs (``FakeAttachments``, ``FakeUploads``) and
``FakeCases.conflicts_to_simulate``, which makes a race the tests cannot otherwise arrange."""

from datetime import UTC, datetime
from types import SimpleNamespace

from services.indicators.domain import RESPONSE_LIMIT
from services.indicators.storage import take_event
from services.reporting.storage import case_view_entry
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
    return paging.page(ordered[start : start + limit + 1], limit, place)


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
        self.case_index: dict[str, dict] = {}
        self.replay_lookups = 0  # reads of a first report by its key, outside the insert

    def track_case(self, facts, reported_at=None):
        held = self.case_index.get(facts["case_id"])
        if held is not None and held["version"] >= facts["version"]:
            if reported_at is not None and held.get("reported_at") is None:
                held["reported_at"] = reported_at
            return False
        self.case_index[facts["case_id"]] = {
            "_id": facts["case_id"],
            **(held or {}),
            **case_view_entry(facts, reported_at),
        }
        return True

    def case_view(self, case_id):
        return self.case_index.get(case_id)

    def public_reports_of(self, case_id):
        return [r for r in self.reports.values() if r["case_id"] == case_id and r.get("source") == "public"]

    def add_notices(self, report_id, kept, events, *, consumed, rating=None):
        report = self.reports[report_id]
        if consumed.event_id in report.get("_seen", ()):
            return False  # once per case event, as the store's consumed-event mark keeps it
        report.setdefault("_seen", []).append(consumed.event_id)
        report.setdefault("notices", []).extend(kept)
        if rating is not None:
            report["rating"] = rating
        self.events.extend(events)
        return True

    def contact_kept_until(self, case_id, status, at, retention):
        self.contact_kept = (case_id, status)

    def open_cases_in(self, category, box, since):
        (south, north), (west, east) = box["lat"], box["lon"]
        found = [
            c
            for c in self.case_index.values()
            if c["category"] == category
            and c["open"]
            and south <= c["location"]["lat"] <= north
            and west <= c["location"]["lon"] <= east
            and c.get("reported_at") is not None
            and c["reported_at"] >= since
        ]
        return sorted(found, key=lambda c: c["location"]["lat"])[:200]

    def by_dedup_key(self, key):
        return next((r for r in self.reports.values() if r["dedup_key"] == key), None)

    def first_report(self, dedup_key, fingerprint):
        self.replay_lookups += 1
        return self._first(dedup_key, fingerprint)

    def _first(self, dedup_key, fingerprint):
        for existing in self.reports.values():
            if existing["dedup_key"] == dedup_key:
                if existing["fingerprint"] != fingerprint:
                    raise Conflict.of("report.key_reused", {"idempotency_key": existing["idempotency_key"]})
                return existing
        return None

    def add(self, report, event):
        # as the store's unique index on dedup_key does
        first = self._first(report["dedup_key"], report["fingerprint"])
        if first is not None:
            return first, True
        self.reports[report["_id"]] = report
        self.events.append(event)
        return report, False


class FakeCases:
    def __init__(self):
        from services.cases.domain.escalation import DEFAULT_POLICY

        self.attachments = FakeAttachments()
        self.versions: dict[tuple[str, int], dict] = {("default", 1): {**DEFAULT_POLICY, "version": 1}}
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
        if version is None:
            version = max((v for p, v in self.versions if p == policy_id), default=None)
        found = self.versions.get((policy_id, version))
        return None if found is None or found.get("deleted") else found

    def policies(self):
        return sorted(
            (p for p in (self.policy(i) for i in {i for i, _ in self.versions}) if p), key=lambda p: p["policy_id"]
        )

    def save_policy(self, policy):
        version = 1 + max((v for p, v in self.versions if p == policy["policy_id"]), default=0)
        saved = self.versions[(policy["policy_id"], version)] = {**policy, "version": version}
        return saved

    def public_requests(self, query, *, skip, limit):
        def matches(case):
            return all(
                case.get(k) in v["$in"]
                if "$in" in v
                else v["$gte"] <= case.get(k, v["$gte"]) <= v["$lte"] and k in case
                for k, v in query.items()
            )

        found = sorted(
            (c for c in self.cases.values() if matches(c)), key=lambda c: c["public_requested_at"], reverse=True
        )
        return [self.get(c["_id"]) for c in found[skip : skip + limit]]

    def public_cases(self, ids):
        return [self.get(i) for i in ids if i in self.cases and self.cases[i].get("source") == "public"]

    def delete_policy(self, policy_id):
        if self.policy(policy_id) is None:
            return False
        self.save_policy({"policy_id": policy_id, "deleted": True})  # a tombstone: the versions stay, for pinned cases
        return True

    def get(self, case_id, with_seen=False):
        if case_id not in self.cases:
            raise NotFound.of("case.not_found", case_id=case_id)
        case = dict(self.cases[case_id])
        if not (with_seen and case["_seen"]):
            del case["_seen"]
        return case

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
        return [
            {"attachment_id": i, "uploaded_by": "officer-1", **({"report_id": "R0"} if i in self.bound else {})}
            for i in ids
        ]


class FakeNotifications:
    """The notifications store's verbs over dicts, keyed as the real one is (dedup keys, one feed number each)."""

    def __init__(self):
        self.inbox: dict[str, dict] = {}
        self.shared_reads: dict[tuple[str, str], object] = {}  # (person, shared entry) -> when read
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

    def file_event(self, filing):
        """One event at a time: the batches are the real store's (tests/integration/test_notification_filing.py)."""
        filing.stored = {d["_id"] for d in self.file(filing.inbox, filing.deliveries)}
        filing.feed = [self.append_feed(entry) for entry in filing.feed_entries]
        return filing

    def subscribers(self, keys):
        return [s for s in self.subscriptions if s["key"] in keys]

    def subscribe(self, subscription):
        existing = next(
            (
                s
                for s in self.subscriptions
                if (s["user_id"], s["key"]) == (subscription["user_id"], subscription["key"])
            ),
            None,
        )
        if existing is not None:
            return existing, False
        self.subscriptions.append(subscription)
        return subscription, True

    def move_followers(self, from_case, to_case, now, new_id):
        followers = [s["user_id"] for s in self.subscriptions if s["key"] == f"case:{from_case}"]
        return sum(
            self.subscribe(
                {
                    "_id": new_id(),
                    "user_id": user,
                    "kind": "case",
                    "target": to_case,
                    "key": f"case:{to_case}",
                    "created_at": now,
                }
            )[1]
            for user in followers
        )

    def preferences_of(self, user_ids):
        return {u: self.prefs[u] for u in user_ids if u in self.prefs}

    def set_preferences(self, user_id, channels, now):
        self.prefs[user_id] = channels

    def departments_with_webhooks(self, codes):
        return {c for c in codes if c in self.hooks and self.hooks[c].get("active", True)}

    def recent_counts(self, pairs, since, cap):
        return {
            p: min(
                cap,
                sum(
                    1
                    for d in self.outgoing.values()
                    if (d["recipient_key"], d["channel"]) == p and d["created_at"] >= since
                ),
            )
            for p in pairs
        }

    def _mine(self, user_id, shared):
        """The person's entries as they see them: their own, and the shared inboxes' with their own read state."""
        own = [e for e in self.inbox.values() if e.get("user_id") == user_id]
        centre = [
            {
                **e,
                "read": (user_id, e["_id"]) in self.shared_reads,
                "read_at": self.shared_reads.get((user_id, e["_id"])),
            }
            for e in self.inbox.values()
            if e.get("audience") in shared and user_id not in e.get("not_for", ())
        ]
        return own + centre

    def personal_inbox(self, user_id, limit, cursor, shared=()):
        mine = sorted(self._mine(user_id, shared), key=lambda e: (e["read"], _descending(e["_id"])))
        return _page(mine, limit, cursor, lambda e: ["r" if e["read"] else "u", e["_id"]])

    def unread_count(self, user_id, shared=()):
        return sum(1 for e in self._mine(user_id, shared) if not e["read"])

    def mark_read(self, user_id, notification_id, now, shared=()):
        entry = next((e for e in self._mine(user_id, shared) if e["_id"] == notification_id), None)
        if entry is None:
            raise NotFound.of("notification.not_found", notification_id=notification_id)
        if "audience" in entry:
            self.shared_reads.setdefault((user_id, notification_id), now)
        else:
            self.inbox[entry["dedup_key"]].update(read=True, read_at=now)

    def mark_all_read(self, user_id, now, shared=()):
        unread = [e for e in self._mine(user_id, shared) if not e["read"]]
        for entry in unread:
            self.mark_read(user_id, entry["_id"], now, shared)
        return len(unread)

    def department_inbox(self, department, limit, cursor):
        entries = sorted(
            (e for e in self.inbox.values() if e.get("department") == department), key=lambda e: e["_id"], reverse=True
        )
        return _page(entries, limit, cursor, lambda e: e["_id"])

    def webhook(self, department):
        hook = self.hooks.get(department)
        return None if hook is None else dict(hook)

    def webhooks(self):
        return [{k: v for k, v in hook.items() if k != "secret"} for _, hook in sorted(self.hooks.items())]

    def put_webhook(self, department, fields_, secret, now):
        created = department not in self.hooks
        hook = self.hooks.setdefault(department, {"_id": department})
        if created and secret is not None:
            hook.update(secret=secret, secret_hint=secret[-4:], created_at=now)
        hook.update(fields_, updated_at=now)
        return dict(hook), created

    def deliveries(self, by, value, limit, cursor):
        field = "case_id" if by == "case" else "recipient_key"
        found = sorted((d for d in self.outgoing.values() if d[field] == value), key=lambda d: d["_id"], reverse=True)
        page = _page(found, limit, cursor, lambda d: d["_id"])
        return {
            **page,
            "items": [
                {
                    **{k: v for k, v in d.items() if k != "body"},
                    **({"message": {k: v for k, v in d["message"].items() if k != "html"}} if "message" in d else {}),
                }
                for d in page["items"]
            ],
        }

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


class FakeDispatch:
    """Dispatch's store: assignments once per dispatch, the workload."""

    def __init__(self):
        self.assignments: dict[str, dict] = {}
        self.workload_entries: dict[str, dict] = {}

    def record_assignment(self, assignment):
        if assignment["_id"] in self.assignments or any(
            a["source_event_id"] == assignment["source_event_id"] for a in self.assignments.values()
        ):
            return False
        self.assignments[assignment["_id"]] = assignment
        return True

    def for_case(self, case_id):
        return sorted(
            (dict(a) for a in self.assignments.values() if a["case_id"] == case_id), key=lambda a: a["created_at"]
        )

    def track(self, case_id, entry):
        held = self.workload_entries.get(case_id)
        if held is not None and held["version"] >= entry["version"]:
            return False
        self.workload_entries[case_id] = {"_id": case_id, **(held or {}), **entry}
        return True

    def workload(self):
        counts: dict[str, int] = {}
        for entry in self.workload_entries.values():
            if entry["department"] is not None:
                counts[entry["department"]] = counts.get(entry["department"], 0) + 1
        return counts


class FakeIndicators:
    """The indicators' read model over dicts, moved by the same bookkeeping as the real store's transactions."""

    def __init__(self):
        self.db = SimpleNamespace(name=f"fake_indicators_{id(self)}")  # the service keeps its batching per database
        self.facts: dict[str, dict] = {}
        self.daily: dict[str, dict] = {}

    def record(self, event, tz, response_limit=RESPONSE_LIMIT):
        return self.record_many([event], tz, response_limit) == 1

    def record_many(self, events, tz, response_limit=RESPONSE_LIMIT):
        taken = 0
        for event in events:
            case_id = event.payload["case_id"]
            fact = self.facts.get(case_id) or {
                "_id": case_id,
                "transitions": {},
                "snapshot": None,
                "contributions": [],
                "rev": 0,
            }
            step = take_event(fact, event, tz, response_limit)
            if step is None:
                continue
            self.facts[case_id] = step["document"]
            for counter, fields in step["delta"].items():
                fields = {name: amount for name, amount in fields.items() if amount}
                if not fields:
                    continue
                dimension, key, day = counter.split("|")
                kept = self.daily.setdefault(counter, {"_id": counter, "dimension": dimension, "key": key, "day": day})
                for name, amount in fields.items():  # "disposal_h.12" is a histogram's bin, nested as $inc does
                    field, _, bin_ = name.partition(".")
                    into = kept.setdefault(field, {}) if bin_ else kept
                    into[bin_ or field] = into.get(bin_ or field, 0) + amount
            taken += 1
        return taken

    def counters(self, dimension, first, last, key=None):
        return [
            dict(c)
            for c in self.daily.values()
            if c["dimension"] == dimension and first <= c["day"] <= last and (key is None or c["key"] == key)
        ]

    def open_cases(self, dimension):
        fields = ("_id", "stage_deadline", "suspended", *(() if dimension == "district" else (dimension,)))
        return [{f: fact[f] for f in fields if f in fact} for fact in self.facts.values() if fact["open"]]
