"""The actions people take on a case: which states each applies to, and what it does.

``ACTIONS[name]`` gives the action's input schema, the states it applies to and its
function ``(case, params, ctx) -> Change``; the list of actions, their bodies and who may
take each are ``shared.api.case_actions``. The service checks who may act
(``rules.authorize``), then the state here, then applies the change at the case's
version.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from marshmallow import Schema

from services.cases.domain import timing
from services.cases.domain.model import (
    ACCEPTED,
    CANCELLED,
    CLOSED,
    DISPATCHED,
    MERGED,
    OPEN,
    PRIORITY_RANK,
    REGISTERED,
    REJECTED,
    REPORTED,
    RESOLVED,
    VERIFIED,
    Change,
    after,
    case_event,
    history_entry,
    with_derived,
)
from shared.api.case_actions import ACTIONS as TABLE
from shared.errors import Unprocessable, WrongState
from shared.events import Event
from shared.ids import Ids

REOPEN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class When:
    """What deciding whether an action fits a case needs to know besides the case: the moment, and how long a
    closed case may still be reopened (``REOPEN_WINDOW_DAYS``)."""

    now: datetime
    reopen_window: timedelta = REOPEN_WINDOW


@dataclass
class Context:
    actor: dict
    now: datetime
    categories: dict
    departments: dict
    ids: Ids  # the new ids a change needs (its events', a comment's, a new ladder's): given, never made here
    calendar: object = None
    policy: dict | None = None  # the escalation policy version the case started with
    reopen_window: timedelta = REOPEN_WINDOW
    target: dict | None = None  # the other case, for a merge

    def category(self, case: dict) -> dict:
        return self.categories[case["category"]]

    def enter(self, case: dict, stage: str, **kwargs) -> dict:
        return timing.enter(
            case,
            stage,
            now=self.now,
            category=self.category(case),
            calendar=self.calendar,
            policy=self.policy,
            ids=self.ids,
            **kwargs,
        )


@dataclass(frozen=True)
class Action:
    schema: Schema
    states: frozenset
    apply: callable


def _change(case, ctx, action, to_status, fields_, event_type, extra, *, note=None, attachments=(), **entry):
    """The common shape: set fields, one history entry, one event carrying the case after."""
    set_fields = {**fields_, "updated_at": ctx.now}
    if to_status:
        set_fields["status"] = to_status
    set_fields = with_derived(case, set_fields)
    entries = [
        history_entry(
            case,
            0,
            action=action,
            to_status=to_status,
            actor=ctx.actor,
            at=ctx.now,
            note=note,
            attachments=attachments,
            **entry,
        )
    ]
    event = case_event(
        event_type, after(case, set_fields, entries), extra, event_id=ctx.ids.event(), actor=ctx.actor, now=ctx.now
    )
    return Change(case["version"], set_fields, entries, [event])


def _category(ctx, code):
    if code not in ctx.categories:
        raise Unprocessable.of("category.unknown", {"category": code}, category=code)
    return ctx.categories[code]


def _department(ctx, code):
    if code not in ctx.departments:
        raise Unprocessable.of("department.unknown", {"department": code}, department=code)
    return code


def register(case, p, ctx):
    category = _category(ctx, p.get("category") or case["category"])
    priority = p.get("priority") or (category["priority"] if p.get("category") else case["priority"])
    fields_ = {
        "category": category["code"],
        "priority": priority,
        "priority_rank": PRIORITY_RANK[priority],
        "registered_at": ctx.now,
    }
    return _change(
        case,
        ctx,
        "register",
        REGISTERED,
        fields_,
        "case.registered",
        {"report_id": case["report_ids"][0], "registered_by": ctx.actor["user_id"]},
        note=p.get("note"),
    )


def reject(case, p, ctx):
    return _change(
        case,
        ctx,
        "reject",
        REJECTED,
        {"closed_at": ctx.now, **timing.STOPPED},
        "case.rejected",
        {"reason": p["reason"]},
        note=p["reason"],
    )


def merge(case, p, ctx):
    """Fold a duplicate into an open case. Only the duplicate changes here; the surviving case takes
    in its reports and reporters from the ``case.merged`` event (``absorb``), so no transaction spans two cases."""
    target = ctx.target
    if target is None or target["_id"] == case["_id"]:
        raise Unprocessable.of("case.merge_into_other", {"target_case_id": p["target_case_id"]})
    if target["status"] not in OPEN:
        raise WrongState.of("case.merge_target_closed", target_case_id=target["_id"], status=target["status"])
    return _change(
        case,
        ctx,
        "merge",
        MERGED,
        {"merged_into": target["_id"], "closed_at": ctx.now, **timing.STOPPED},
        "case.merged",
        {"target_case_id": target["_id"], "report_ids": case["report_ids"]},
        note=p.get("note"),
        target=target["_id"],
    )


def absorb(target: dict, merged: Event, *, now: datetime) -> Change:
    """The surviving case takes in a merged duplicate's reports and reporters (bookkeeping: no version bump)."""
    p = merged.payload
    entry = history_entry(
        target,
        0,
        action="absorb",
        to_status=None,
        actor=merged.actor,
        at=now,
        note_key="note.merged",
        note_params={"case_id": p["case_id"]},
        merged=p["case_id"],
    )
    return Change(
        None,
        {"updated_at": now},
        [entry],
        [],
        bump_version=False,
        add_to_sets={"report_ids": p["report_ids"], "reporters": p["reporters"], "merged_cases": [p["case_id"]]},
    )


def dispatch(case, p, ctx):
    department = _department(ctx, p["department"])
    assisting = [_department(ctx, d) for d in p["assisting_departments"] if d != department]
    fields_ = {
        "department": department,
        "assisting_departments": assisting,
        "dispatched_at": ctx.now,
        "returned": False,
        "accepted_at": None,
    }
    fields_.update(ctx.enter({**case, **fields_}, "sign_for", with_disposal=True))
    return _change(
        case,
        ctx,
        "dispatch",
        DISPATCHED,
        fields_,
        "case.dispatched",
        {"decided_by": ctx.actor, "rule_id": None, "rework": False, "registration": None},
        note=p.get("note"),
        department=department,
        deadline=fields_["deadline"],
    )


def accept(case, p, ctx):
    fields_ = {
        "accepted_at": ctx.now,
        **timing.enter_disposal(
            case, category=ctx.category(case), calendar=ctx.calendar, policy=ctx.policy, ids=ctx.ids
        ),
    }
    return _change(case, ctx, "accept", ACCEPTED, fields_, "case.accepted", {}, note=p.get("note"))


def return_(case, p, ctx):
    fields_ = {
        "returned": True,
        "returned_by": case["department"],
        "department": None,
        "assisting_departments": [],
        "deadline": None,
        "extension": None,
    }
    fields_.update(ctx.enter({**case, **fields_}, "dispatch"))
    return _change(
        case,
        ctx,
        "return",
        REGISTERED,
        fields_,
        "case.returned",
        {"reason": p["reason"], "returned_by_department": case["department"]},
        note=p["reason"],
    )


def request_extension(case, p, ctx):
    request = {
        "status": "pending",
        "hours": p["hours"],
        "reason": p["reason"],
        "requested_by": ctx.actor,
        "requested_at": ctx.now,
    }
    return _change(
        case,
        ctx,
        "request_extension",
        None,
        {"extension": request},
        "case.extension_requested",
        {"reason": p["reason"], "hours": p["hours"]},
        note=p["reason"],
        hours=p["hours"],
    )


def approve_extension(case, p, ctx):
    extension = case["extension"]
    fields_ = {
        "extension": {**extension, "status": "approved", "decided_by": ctx.actor, "decided_at": ctx.now},
        "extensions": case.get("extensions", 0) + 1,
        **timing.extend(
            case, extension["hours"], category=ctx.category(case), calendar=ctx.calendar, policy=ctx.policy
        ),
    }
    return _change(
        case,
        ctx,
        "approve_extension",
        None,
        fields_,
        "case.extension_approved",
        {"hours": extension["hours"]},
        note=p.get("note"),
        deadline=fields_["deadline"],
    )


def deny_extension(case, p, ctx):
    extension = case["extension"]
    fields_ = {"extension": {**extension, "status": "denied", "decided_by": ctx.actor, "decided_at": ctx.now}}
    return _change(
        case, ctx, "deny_extension", None, fields_, "case.extension_denied", {"note": p.get("note")}, note=p.get("note")
    )


def suspend(case, p, ctx):
    fields_ = {
        "suspended": True,
        "suspended_at": ctx.now,
        **timing.pause(case, now=ctx.now, category=ctx.category(case), calendar=ctx.calendar),
    }
    return _change(case, ctx, "suspend", None, fields_, "case.suspended", {"reason": p["reason"]}, note=p["reason"])


def resume(case, p, ctx):
    paused = (ctx.now - case["suspended_at"]).total_seconds()
    fields_ = {
        "suspended": False,
        "suspended_at": None,
        "paused_seconds": case.get("paused_seconds", 0.0) + paused,
        **timing.resume(case, now=ctx.now, category=ctx.category(case), calendar=ctx.calendar, policy=ctx.policy),
    }
    return _change(
        case,
        ctx,
        "resume",
        None,
        fields_,
        "case.resumed",
        {"paused_seconds": paused},
        note=p.get("note"),
        deadline=fields_.get("deadline", case.get("deadline")),
    )


def supervise(case, p, ctx):
    """督办 by a person: the case carries the instruction and the mark, and the department hears of it.
    Repeating it is allowed (追加督办): each time is on record and counted."""
    fields_ = {
        "supervised": True,
        "supervised_at": case.get("supervised_at") or ctx.now,
        "supervision": {"note": p["note"], "attachments": [], "by": ctx.actor, "at": ctx.now},
        "supervisions": case.get("supervisions", 0) + 1,
    }
    return _change(
        case,
        ctx,
        "supervise",
        None,
        fields_,
        "case.supervised",
        {"note": p["note"], "supervisions": fields_["supervisions"]},
        note=p["note"],
    )


def resolve(case, p, ctx):
    resolution = {"note": p["note"], "attachments": p["attachments"], "by": ctx.actor, "at": ctx.now}
    fields_ = {"resolution": resolution, "resolved_at": ctx.now, **ctx.enter(case, "verification")}
    return _change(
        case,
        ctx,
        "resolve",
        RESOLVED,
        fields_,
        "case.resolved",
        {"note": p["note"], "attachments": p["attachments"]},
        note=p["note"],
        attachments=p["attachments"],
    )


def _rework(case, ctx, *, action, reason, attachments=(), reopened=False):
    count = case.get("rework_count", 0) + 1
    fields_ = {
        "department": case.get("department") or case.get("returned_by"),
        "dispatched_at": ctx.now,
        "accepted_at": None,
        "resolved_at": None,
        "verified_at": None,
        "closed_at": None,
        "on_time": None,
        "rework_count": count,
        "failed_checks": case.get("failed_checks", 0) + (0 if reopened else 1),
    }
    if not fields_["department"]:  # a failed check of a fix made on the spot (reopen's precondition says so)
        raise WrongState.of("case.nowhere_to_return")
    fields_.update(ctx.enter({**case, **fields_}, "sign_for", with_disposal=True))  # a new disposal clock
    return _change(
        case,
        ctx,
        action,
        DISPATCHED,
        fields_,
        "case.reworked",
        {"reason": reason, "rework_count": count, "reopened": reopened},
        note=reason,
        attachments=attachments,
        department=fields_["department"],
        deadline=fields_["deadline"],
    )


def verify(case, p, ctx):
    if not p["passed"]:
        return _rework(case, ctx, action="verify", reason=p["note"], attachments=p["attachments"])
    return _change(
        case,
        ctx,
        "verify",
        VERIFIED,
        {
            "verified_at": ctx.now,
            **timing.STOPPED,
            "verification": {"note": p["note"], "attachments": p["attachments"], "by": ctx.actor, "at": ctx.now},
        },
        "case.verified",
        {"note": p["note"]},
        note=p["note"],
        attachments=p["attachments"],
    )


def close(case, p, ctx):
    reference = case.get("resolved_at") or ctx.now
    on_time = None if not case.get("deadline") else reference <= case["deadline"]
    return _change(
        case,
        ctx,
        "close",
        CLOSED,
        {"closed_at": ctx.now, "on_time": on_time, **timing.STOPPED},
        "case.closed",
        {"on_time": on_time, "note": p.get("note")},
        note=p.get("note"),
    )


def reopen(case, p, ctx):
    return _rework(case, ctx, action="reopen", reason=p["reason"], reopened=True)


RATED_BY = {"user_id": "public", "role": "public", "name": None}  # a member of the public, through their link


def rate(case: dict, rated: dict, ctx: Context, *, reopens: bool) -> Change:
    """The reporter's rating (回访, ``report.rated``) on the case's record, and — when ``reopens`` (the policy) and
    the rating is unsatisfied while the case is still closed within its reopen window — the case reopened for the
    department, in the same change."""
    rating = {
        "rating": rated["rating"],
        "comment": rated.get("comment"),
        "at": rated["rated_at"],
        "report_id": rated["report_id"],
    }
    extra = {"report_id": rated["report_id"], "rating": rated["rating"], "comment": rated.get("comment")}
    reopen = (
        reopens
        and rated["rating"] == "unsatisfied"
        and case["status"] == CLOSED
        and _department_to_go_back_to(case)
        and ctx.now - case["closed_at"] <= ctx.reopen_window
    )
    if not reopen:
        return _change(
            case,
            ctx,
            "rate",
            None,
            {"public_rating": rating},
            "case.rated",
            {**extra, "reopened": False},
            note=rated.get("comment"),
            rating=rated["rating"],
        )
    reason = "回访不满意 unsatisfied rating" + (f": {rated['comment']}" if rated.get("comment") else "")
    reworked = _rework(case, ctx, action="reopen", reason=reason, reopened=True)
    set_fields = {**reworked.set_fields, "public_rating": rating}
    entries = [
        history_entry(
            case,
            0,
            action="rate",
            to_status=None,
            actor=ctx.actor,
            at=ctx.now,
            note=rated.get("comment"),
            rating=rated["rating"],
        ),
        {**reworked.history[0], "seq": reworked.history[0]["seq"] + 1},
    ]
    case_after = after(case, set_fields, entries)
    rated_event = case_event(
        "case.rated", case_after, {**extra, "reopened": True}, event_id=ctx.ids.event(), actor=ctx.actor, now=ctx.now
    )
    reworked_event = case_event(
        "case.reworked",
        case_after,
        {"reason": reason, "rework_count": set_fields["rework_count"], "reopened": True},
        event_id=ctx.ids.event(),
        actor=ctx.actor,
        now=ctx.now,
    )
    return Change(case["version"], set_fields, entries, [rated_event, reworked_event])


def cancel(case, p, ctx):
    return _change(
        case,
        ctx,
        "cancel",
        CANCELLED,
        {"closed_at": ctx.now, "suspended": False, **timing.STOPPED},
        "case.cancelled",
        {"reason": p["reason"]},
        note=p["reason"],
    )


def comment(case, p, ctx):
    comment_id = ctx.ids.new("M")
    change = _change(
        case,
        ctx,
        "comment",
        None,
        {},
        "case.commented",
        {"comment_id": comment_id, "text": p["text"], "author": ctx.actor, "public": p["public"]},
        note=p["text"],
        attachments=p["attachments"],
        comment_id=comment_id,
        public=p["public"],
    )
    return change


_ANY_OPEN = OPEN
# action -> (the states it applies to, what it does); its body and who may take it: shared.api.case_actions
_STEPS = {
    "register": (frozenset({REPORTED}), register),
    "reject": (frozenset({REPORTED}), reject),
    "merge": (frozenset({REPORTED, REGISTERED}), merge),
    "dispatch": (frozenset({REGISTERED}), dispatch),
    "accept": (frozenset({DISPATCHED}), accept),
    "return": (frozenset({DISPATCHED, ACCEPTED}), return_),
    "request_extension": (frozenset({ACCEPTED}), request_extension),
    "approve_extension": (frozenset({ACCEPTED}), approve_extension),
    "deny_extension": (frozenset({ACCEPTED}), deny_extension),
    "suspend": (_ANY_OPEN, suspend),
    "resume": (_ANY_OPEN, resume),
    "supervise": (_ANY_OPEN, supervise),
    "resolve": (frozenset({ACCEPTED}), resolve),
    "verify": (frozenset({RESOLVED}), verify),
    "close": (frozenset({VERIFIED, RESOLVED}), close),
    "reopen": (frozenset({CLOSED}), reopen),
    "cancel": (_ANY_OPEN, cancel),
    "comment": (frozenset(OPEN | {CLOSED, REJECTED, MERGED, CANCELLED}), comment),
}
ACTIONS = {name: Action(spec.body(), *_STEPS[name]) for name, spec in TABLE.items()}
ACTIONS_NEEDING_ACTIVE = frozenset(ACTIONS) - {"resume", "comment", "cancel", "supervise"}


def _extension_pending(case: dict) -> bool:
    return (case.get("extension") or {}).get("status") == "pending"


def _department_to_go_back_to(case: dict) -> bool:
    return bool(case.get("department") or case.get("returned_by"))


def _within_reopen_window(case: dict, when: When) -> bool:
    return when.now - case["closed_at"] <= when.reopen_window


# What an action needs beyond the case's status — ``(fits(case, when), the key of the text a person reads when it does
# not)`` — checked by ``check_state`` before any action runs and by ``permitted.allowed_actions`` for the buttons a
# screen shows: the only place such a rule is written, so a button is never offered for an action that would fail.
PRECONDITIONS = {
    "request_extension": [(lambda c, w: not _extension_pending(c), "case.extension_pending")],
    "approve_extension": [(lambda c, w: _extension_pending(c), "case.no_extension_pending")],
    "deny_extension": [(lambda c, w: _extension_pending(c), "case.no_extension_pending")],
    "suspend": [(lambda c, w: not c.get("suspended"), "case.already_suspended")],
    "resume": [(lambda c, w: bool(c.get("suspended")), "case.not_suspended")],
    "close": [(lambda c, w: c["status"] != RESOLVED or bool(c.get("handled_on_spot")), "case.not_verified")],
    "reopen": [
        (lambda c, w: _department_to_go_back_to(c), "case.never_dispatched"),
        (_within_reopen_window, lambda w: ("case.reopen_too_late", {"days": w.reopen_window.days})),
    ],
}


def check_state(name: str, case: dict, when: When) -> None:
    """409 with a sentence a person can act on when the action does not fit the case's state at ``when``."""
    action = ACTIONS[name]
    if case["status"] not in action.states:
        allowed = ", ".join(sorted(action.states))
        raise WrongState.of(
            "case.wrong_state",
            {"status": case["status"], "allowed": sorted(action.states)},
            status=case["status"],
            action=name,
            allowed=allowed,
        )
    if case.get("suspended") and name in ACTIONS_NEEDING_ACTIVE - {"suspend"}:
        raise WrongState.of("case.suspended", {"status": case["status"], "suspended": True})
    for fits, missing in PRECONDITIONS.get(name, ()):
        if not fits(case, when):
            key, params = missing(when) if callable(missing) else (missing, {})
            raise WrongState.of(key, **params)
