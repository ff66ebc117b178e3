"""CasesService: the case record, its state, its history — the closed loop."""

import logging
from datetime import timedelta

from nameko.dependency_providers import Config

from services.cases import domain, queries
from services.cases.domain import escalation, open311, timing
from services.cases.domain.actions import When, absorb, check_state
from services.cases.domain.model import after
from services.cases.domain.permitted import allowed_actions
from services.cases.storage import CaseStore
from shared import paging, texts
from shared.api.cases import CaseListQuerySchema, CasePageSchema, CaseSchema, EscalationPolicySchema
from shared.api.open311 import PublicRequestQuerySchema, PublicRequestSchema
from shared.api.reports import AttachmentSchema
from shared.attachments import as_download, decode_upload, sniff
from shared.auth import can_see_case, may
from shared.clock import Clock
from shared.config import as_bool, setting
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from shared.events import Event
from shared.events.compiled import Dumper
from shared.ids import FRESH
from shared.messaging import event_handlers
from shared.operable import Operable
from shared.refdata import FollowsDirectory, ReferenceData
from shared.rpc import rpc
from shared.timer import timer
from shared.validation import load, load_query
from shared.workcalendar import Calendar

_log = logging.getLogger(__name__)
# Every action answers with the case's view, and every list with a page of them: dumped through a plan made once
# (shared.events.compiled), a fifth of marshmallow's own dump of a case with its history.
_case_view = Dumper(CaseSchema())
_page = Dumper(CasePageSchema())
_list_query = CaseListQuerySchema()
_policy = EscalationPolicySchema()
_attachment = AttachmentSchema()
_public_query = PublicRequestQuerySchema()
_public_request = PublicRequestSchema()

MAX_RACE_RETRIES = 5


#: Which event goes to which handler: the service's whole subscription, one queue per event (shared.messaging).
EVENT_HANDLERS = {
    "reporting": {
        "incident.reported": "open_case",
        "report.rated": "take_rating",
    },
    "dispatch": {
        "routing.decided": "apply_routing",
    },
    "cases": {
        "case.merged": "absorb_duplicate",
    },
}


class CasesService(Operable, FollowsDirectory, event_handlers(EVENT_HANDLERS)):
    name = "cases"

    config = Config()
    store = CaseStore()
    clock = Clock()
    calendar = Calendar()
    # the grid map for who staffs which grid now: an officer sees their grids' cases (shared.auth.principal); the
    # routing rules to route a case as it is opened (services/cases/domain/routing.py)
    reference = ReferenceData("categories", "departments", "grid_map", "routing_rules")

    # -- from the bus ----------------------------------------------------------------
    def open_case(self, event: Event) -> None:
        self.reference.require("categories")
        self.reference.require_known("routing_rules")  # a directory that never had a rule: none apply
        category = self.reference.categories[event.payload["category"]]
        policy = self._current_policy(category)
        case, events = domain.open_case(
            event,
            category=category,
            rules=self.reference.routing_rules,
            now=self.clock.now(),
            calendar=self.calendar,
            policy=policy,
            ids=FRESH,
        )
        if not self.store.open(case, events):
            _log.info("case %s already open; redelivered %s ignored", case["_id"], event.event_id)

    def _current_policy(self, category: dict) -> dict:
        """The latest version of the category's policy; the default's when it names none, or one since deleted
        (the store always has the default: the platform's own is in the code)."""
        return self.store.policy(category.get("escalation_policy") or "default") or self.store.policy("default")

    def _policy_of(self, case: dict) -> dict | None:
        pinned = case.get("policy")
        return self.store.policy(pinned["policy_id"], pinned["version"]) if pinned else None

    def apply_routing(self, event: Event) -> None:
        """A ``routing.decided`` of a dispatch service from before routing at intake, in flight during a rolling
        update (docs/deployment.md): taken only while the case is still reported."""
        self.reference.require("categories")
        case_id = event.payload["case_id"]
        for _ in range(MAX_RACE_RETRIES):
            case = self.store.get(case_id, with_seen=True)
            if event.event_id in case.get("_seen", ()):
                return
            change = domain.apply_routing(
                case,
                event,
                category=self.reference.categories[case["category"]],
                now=self.clock.now(),
                calendar=self.calendar,
                policy=self._policy_of(case),
                ids=FRESH,
            )
            if change is None:
                _log.info("routing for %s ignored: the case is %s", case_id, case["status"])
                return
            if self.store.apply(case_id, change, consumed=event):
                return
        raise RuntimeError(f"case {case_id} kept changing under routing decision {event.event_id}")

    def absorb_duplicate(self, event: Event) -> None:
        """The surviving case takes in the duplicate's reports and reporters, once."""
        target_id = event.payload["target_case_id"]
        self.store.apply(target_id, absorb(self.store.get(target_id), event, now=self.clock.now()), consumed=event)

    def take_rating(self, event: Event) -> None:
        """The reporter's rating (回访) goes on the case's timeline, once; an unsatisfied one reopens the case when
        ``RATING_UNSATISFIED_REOPENS`` says so (docs/open311.md)."""
        self.reference.require("categories")
        case_id = event.payload["case_id"]
        reopens = setting(self.config, "RATING_UNSATISFIED_REOPENS", False, as_bool)
        for _ in range(MAX_RACE_RETRIES):
            case = self.store.get(case_id, with_seen=True)
            if event.event_id in case.get("_seen", ()):
                return
            when = self._when()
            ctx = domain.Context(
                actor=domain.RATED_BY,
                now=when.now,
                categories=self.reference.categories,
                departments=self.reference.departments,
                calendar=self.calendar,
                policy=self._policy_of(case),
                reopen_window=when.reopen_window,
                ids=FRESH,
            )
            if self.store.apply(case_id, domain.rate(case, event.payload, ctx, reopens=reopens), consumed=event):
                return
        raise RuntimeError(f"case {case_id} kept changing under rating {event.event_id}")

    # -- Open311: the public's requests, as everyone may see them --------------------
    @rpc
    def open311_requests(self, query: dict) -> list[dict]:
        """Public by design, like a city's Open311 GET requests: only the public's cases, only their public facts
        (``services/cases/domain/open311.py``); never who reported, never an internal note."""
        q = load(_public_query, query if isinstance(query, dict) else {})
        if q["ids"]:
            cases = self.store.public_cases(list(dict.fromkeys(q["ids"])))
        else:
            found = {open311.PUBLIC_SINCE: {"$gte": q["start"], "$lte": q["end"]}}
            if q["categories"]:
                found["category"] = {"$in": q["categories"]}
            if q["status"]:
                found["status"] = {"$in": sorted({s for o in q["status"] for s in open311.INTERNAL_STATUSES[o]})}
            cases = self.store.public_requests(found, skip=(q["page"] - 1) * q["page_size"], limit=q["page_size"])
        self.reference.require("categories")
        return [
            _public_request.dump(
                open311.public_view(
                    case,
                    categories=self.reference.categories,
                    departments=self.reference.departments or {},
                    language=q["language"],
                )
            )
            for case in cases
        ]

    # -- people acting ---------------------------------------------------------------
    @rpc
    def act(self, case_id: str, action: str, params: dict) -> dict:
        """Take ``action`` on a case: 403 for the wrong person, 409 for the wrong state or a lost race."""
        identity = self.caller.require("cases.read")
        spec = domain.ACTIONS.get(str(action))
        if spec is None:
            raise NotFound.of("case.unknown_action", action=str(action), actions=", ".join(sorted(domain.ACTIONS)))
        params = load(spec.schema, params)
        case = self._visible_case(identity, str(case_id))
        actor = domain.authorize(action, identity, case)
        seen = params.pop("version", None)
        if seen is not None and seen != case["version"]:
            raise Conflict.of("case.changed", {"version": case["version"]})
        when = self._when()
        check_state(action, case, when)
        self._check_case_files(case["_id"], params.get("attachments", ()))
        self.reference.require("categories")
        ctx = domain.Context(
            actor=actor,
            now=when.now,
            categories=self.reference.categories,
            ids=FRESH,
            departments=self.reference.departments,
            calendar=self.calendar,
            policy=self._policy_of(case),
            reopen_window=when.reopen_window,
        )
        if action == "merge":
            ctx.target = self._merge_target(identity, params["target_case_id"])
        change = spec.apply(case, params, ctx)
        if not self.store.apply(case["_id"], change):
            raise Conflict.of("case.changed_concurrently", {"version": case["version"]})
        return self._view(after(case, change.set_fields, change.history), identity)

    def _check_case_files(self, case_id: str, ids) -> None:
        found = {m["attachment_id"] for m in self.store.attachments.metas(list(ids)) if m.get("case_id") == case_id}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValidationFailed.from_messages(
                {"attachments": [f"Not a file uploaded to this case: {', '.join(missing)}."]}
            )

    # -- files -------------------------------------------------------------------------
    @rpc
    def upload_attachment(self, case_id: str, filename: str, content_b64: str) -> dict:
        """A photo or PDF for a case (evidence of a fix, a check, a comment); anyone who sees the case."""
        identity = self.caller.require("cases.read")
        case = self._visible_case(identity, str(case_id))
        data = decode_upload(content_b64, setting(self.config, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, int))
        stored = self.store.attachments.put(
            data,
            filename=filename,
            content_type=sniff(data),
            uploaded_by=identity.user_id,
            now=self.clock.now(),
            case_id=case["_id"],
        )
        return _attachment.dump(stored)

    @rpc
    def read_attachment(self, attachment_id: str) -> dict:
        identity = self.caller.require("cases.read")
        meta = self.store.attachments.meta(str(attachment_id))
        self._visible_case(identity, meta["case_id"])
        return as_download(meta, self.store.attachments.read(meta["attachment_id"]))

    def _merge_target(self, identity, target_id: str) -> dict:
        try:
            return self._visible_case(identity, target_id)
        except (NotFound, Forbidden):
            return None

    # -- reading ---------------------------------------------------------------------
    @rpc
    def get_case(self, case_id: str) -> dict:
        identity = self.caller.require("cases.read")
        return self._view(self._visible_case(identity, str(case_id)), identity)

    @rpc
    def timeline(self, case_id: str) -> list[dict]:
        identity = self.caller.require("cases.read")
        return self._view(self._visible_case(identity, str(case_id)), language=identity.language)["history"]

    def _light(self, case: dict) -> str | None:
        return timing.light(
            case,
            now=self.clock.now(),
            calendar=self.calendar,
            categories=self.reference.categories,
            warning=setting(self.config, "WARNING_THRESHOLD", 0.75, float),
        )

    def _view(self, case: dict, identity=None, language: str | None = None) -> dict:
        """The case as the API shows it, the platform's notes in the reader's language; with ``identity``, the
        actions that person may take now."""
        extra = {"allowed_actions": allowed_actions(identity, case, when=self._when())} if identity is not None else {}
        language = language or (identity.language if identity is not None else None)
        if "history" in case:
            case = {
                **case,
                "history": [
                    {**e, "note": texts.render(e["note_key"], e.get("note_params"), language)}
                    if e.get("note_key")
                    else e
                    for e in case["history"]
                ],
            }
        return _case_view({**case, "light": self._light(case), **extra})

    def _when(self) -> When:
        return When(self.clock.now(), timedelta(days=setting(self.config, "REOPEN_WINDOW_DAYS", 30, float)))

    def _visible_case(self, identity, case_id: str) -> dict:
        try:
            case = self.store.get(case_id)
        except NotFound:
            if may(identity, "cases.read_all"):
                raise
            case = None  # to others, a missing case looks like one they may not see
        if case is None or not can_see_case(identity, case):
            raise Forbidden.of("case.not_visible")
        return case

    @rpc
    def list_cases(self, query: dict) -> dict:
        identity = self.caller.require("cases.read")
        q = load_query(_list_query, query if isinstance(query, dict) else {})
        try:
            found, sort = queries.build(q, identity, self.clock.now())
        except queries.NothingVisible:
            return _page(paging.last_page([]))
        items, cursor = self.store.find_any(
            [(query, queries.index_for(query)) for query in found], sort=sort, limit=q["limit"], cursor=q["cursor"]
        )
        return _page({"items": [{**c, "light": self._light(c)} for c in items], "next": cursor})

    @rpc
    def operator_queue(self, query: dict) -> dict:
        """Cases waiting for the command centre — to register, or to dispatch (returned ones too) —
        by priority, then age."""
        self.caller.require("cases.read_all")
        query = dict(query if isinstance(query, dict) else {})
        return self.list_cases({**query, "status": "reported,registered", "sort": "priority"})

    @rpc
    def worklist(self, query: dict) -> dict:
        """A department's cases in hand (dispatched or signed for), by deadline."""
        identity = self.caller.require("cases.read")
        query = dict(query if isinstance(query, dict) else {})
        department = query.get("department") or identity.department
        if department is None:
            raise Forbidden.of("worklist.no_department")
        if department != identity.department and not may(identity, "cases.read_all"):
            raise Forbidden.of("worklist.other_department")
        return self.list_cases({**query, "department": department, "status": "dispatched,accepted", "sort": "deadline"})

    # -- escalation --------------------------------------------------------------------
    @timer("ESCALATION_SCAN_SECONDS", 5.0)
    def escalate_due_cases(self) -> int:
        """Fire the rungs that are due, longest due first, in the one replica holding the escalation lease; returns
        how many fired. A case this process cannot escalate now (its category or policy unknown here) is passed
        over, not waited on; the guarded write fires each rung once, should two replicas ever scan at once."""
        now = self.clock.now()
        fired = 0
        for case in self.store.due_for_escalation(now):
            category = self.reference.categories.get(case["category"])
            policy = self._policy_of(case)
            if category is None or policy is None:
                continue
            change = escalation.fire(
                case, policy, now=now, calendar=self.calendar, clock=timing.clock_of(category), ids=FRESH
            )
            if self.store.apply(case["_id"], change):
                fired += 1
                _log.info("case %s: rung %d fired", case["_id"], case["escalation"]["next_rung"] + 1)
        return fired

    @rpc
    def escalation_policies(self) -> list[dict]:
        self.caller.require("routing.read")
        return _policy.dump(self.store.policies(), many=True)

    @rpc
    def save_escalation_policy(self, policy_id: str, data: dict) -> dict:
        self.caller.require("directory.write")
        policy = load(_policy, {**(data if isinstance(data, dict) else {}), "policy_id": policy_id})
        problems = escalation.check_policy(policy)
        if problems:
            raise Unprocessable.of("policy.unusable", {"problems": problems})
        return _policy.dump(self.store.save_policy(policy))

    @rpc
    def delete_escalation_policy(self, policy_id: str) -> dict:
        """No new case takes the policy; cases under way keep the version they pinned. The platform's
        default, and a policy a category names (its new cases would quietly fall back), are refused."""
        self.caller.require("directory.write")
        policy_id = str(policy_id)
        if policy_id == "default":
            raise Conflict.of("policy.default_kept")
        self.reference.require("categories")
        naming = sorted(
            code
            for code, category in self.reference.categories.items()
            if category.get("escalation_policy") == policy_id
        )
        if naming:
            raise Conflict.of("policy.in_use", {"categories": naming}, categories=", ".join(naming))
        if not self.store.delete_policy(policy_id):
            raise NotFound.of("policy.not_found", policy_id=policy_id)
        return {"deleted": policy_id}
