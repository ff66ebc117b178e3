"""Events produced by the cases service: one per transition of the closed loop.

Every case event carries the case's facts after the transition (``CaseFacts``) —
where it is, whose it is, its version and deadline — so a consumer (notifications
choosing recipients, dispatch counting workload, reporting placing duplicates)
never has to ask the cases service. Event-specific fields come on top.
"""

from marshmallow import Schema, fields, validate

from shared.events.catalogue import contract
from shared.fields import PRIORITIES, LocationSchema, code_field

# A case is open from its report until it is closed, rejected, merged into another or cancelled (docs/domain.md §4).
OPEN_STATUSES = ("reported", "registered", "dispatched", "accepted", "resolved", "verified")
STATUSES = (*OPEN_STATUSES, "closed", "rejected", "merged", "cancelled")


class ActorRef(Schema):
    user_id = fields.String(required=True)
    role = fields.String(required=True)
    name = fields.String(allow_none=True)


class CaseFacts(Schema):
    case_id = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    category = code_field(required=True)
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    grid = fields.String(allow_none=True, load_default=None)
    community = fields.String(allow_none=True, load_default=None)
    street = fields.String(allow_none=True, load_default=None)
    location = fields.Nested(LocationSchema, allow_none=True, load_default=None)
    department = code_field(allow_none=True, load_default=None)
    assisting_departments = fields.List(code_field(), load_default=list)
    deadline = fields.AwareDateTime(allow_none=True, load_default=None)
    reporters = fields.List(fields.String(), load_default=list)
    suspended = fields.Boolean(load_default=False)
    stage = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(("dispatch", "sign_for", "disposal", "verification")),
    )
    stage_deadline = fields.AwareDateTime(allow_none=True, load_default=None)
    supervised = fields.Boolean(load_default=False)
    source = fields.String(
        allow_none=True,
        load_default="field",
        metadata={"description": "field: reported by staff; public: by a resident (Open311)."},
    )


# The names of the facts, in order: one list for the cases service, which writes them, and the consumers that tell
# them from an event's own fields (notifications' messages and feed).
CASE_FACTS = tuple(CaseFacts().fields)


class _WithReason(CaseFacts):
    reason = fields.String(required=True)


@contract("case.reported", producer="cases")
class CaseReported(CaseFacts):
    """A case was opened for a report; it waits to be registered (立案), or was handled on the spot."""

    report_id = fields.String(required=True)
    handled_on_spot = fields.Boolean(load_default=False)
    possible_duplicates = fields.List(fields.String(), load_default=list)


@contract("case.registered", producer="cases")
class CaseRegistered(CaseFacts):
    """A case was accepted for handling (立案) and waits for dispatch."""

    report_id = fields.String(required=True)
    registered_by = fields.String(required=True)


@contract("case.rejected", producer="cases")
class CaseRejected(_WithReason):
    """Not a case (不予立案)."""


@contract("case.merged", producer="cases")
class CaseMerged(CaseFacts):
    """Merged into another case, which its reports and reporters (``reporters`` in the facts) now follow."""

    target_case_id = fields.String(required=True)
    report_ids = fields.List(fields.String(), load_default=list)


class Registration(Schema):
    """The registration (立案) a dispatch announces with itself: what ``case.registered`` would have said."""

    report_id = fields.String(required=True)
    registered_by = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


class Report(Schema):
    """The report (信息采集) a dispatch announces with itself, when a routing rule dispatched the case as it was opened:
    what ``case.reported`` would have said — its own fields, and the facts that were different then."""

    report_id = fields.String(required=True)
    handled_on_spot = fields.Boolean(load_default=False)
    possible_duplicates = fields.List(fields.String(), load_default=list)
    occurred_at = fields.AwareDateTime(required=True, metadata={"description": "When the case was opened."})
    actor = fields.Nested(ActorRef, required=True, metadata={"description": "Who reported."})
    version = fields.Integer(required=True, metadata={"description": "The case's version as reported."})
    stage = fields.String(allow_none=True, load_default=None)
    stage_deadline = fields.AwareDateTime(
        allow_none=True, load_default=None, metadata={"description": "Registration and dispatch due (the stage's)."}
    )


@contract("case.dispatched", producer="cases")
class CaseDispatched(CaseFacts):
    """Sent to its lead department (派遣); the disposal clock runs.

    A routing rule that dispatches automatically registers the case in the same decision: that dispatch is
    announced alone, carrying the registration (``registration``) instead of a ``case.registered`` before it, and
    a consumer takes it as both transitions. Null when the case was registered before (by an operator's 立案, or
    a dispatch again after a return). A case such a rule dispatched as it was opened carries its report too
    (``report``), and is taken as all three: reported, registered, dispatched (``shared/events/stages.py``)."""

    decided_by = fields.Nested(ActorRef, required=True)
    rule_id = fields.String(allow_none=True, load_default=None)
    rework = fields.Boolean(load_default=False, metadata={"description": "Sent back after a failed check (返工)."})
    registration = fields.Nested(
        Registration,
        allow_none=True,
        load_default=None,
        metadata={"description": "Set when this dispatch also registered the case (立案), by a routing rule."},
    )
    report = fields.Nested(
        Report,
        allow_none=True,
        load_default=None,
        metadata={"description": "Set when the case was born dispatched: a routing rule's, as it was opened."},
    )


@contract("case.accepted", producer="cases")
class CaseAccepted(CaseFacts):
    """The department signed for it (签收)."""


@contract("case.returned", producer="cases")
class CaseReturned(_WithReason):
    """The department sent it back, not theirs (退回); back in the operator queue."""

    returned_by_department = code_field(required=True)


@contract("case.extension_requested", producer="cases")
class CaseExtensionRequested(_WithReason):
    hours = fields.Float(required=True)


@contract("case.extension_approved", producer="cases")
class CaseExtensionApproved(CaseFacts):
    """The deadline moved (延期)."""

    hours = fields.Float(required=True)


@contract("case.extension_denied", producer="cases")
class CaseExtensionDenied(CaseFacts):
    note = fields.String(allow_none=True, load_default=None)


@contract("case.suspended", producer="cases")
class CaseSuspended(_WithReason):
    """Parked (挂起): its clock stops."""


@contract("case.resumed", producer="cases")
class CaseResumed(CaseFacts):
    paused_seconds = fields.Float(required=True)


@contract("case.supervised", producer="cases")
class CaseSupervised(CaseFacts):
    """Put under supervision (督办) by a person, with an instruction."""

    note = fields.String(required=True)
    supervisions = fields.Integer(required=True)


@contract("case.resolved", producer="cases")
class CaseResolved(CaseFacts):
    """The department reported the result with evidence (处置反馈); it waits for the grid officer's check."""

    note = fields.String(required=True)
    attachments = fields.List(fields.String(), load_default=list)


@contract("case.verified", producer="cases")
class CaseVerified(CaseFacts):
    """The grid officer found the fix real on site (核查通过)."""

    note = fields.String(allow_none=True, load_default=None)


@contract("case.reworked", producer="cases")
class CaseReworked(CaseFacts):
    """Back to the department: the check failed or the case was reopened (返工)."""

    reason = fields.String(required=True)
    rework_count = fields.Integer(required=True)
    reopened = fields.Boolean(load_default=False)


@contract("case.closed", producer="cases")
class CaseClosed(CaseFacts):
    """Closed (结案)."""

    on_time = fields.Boolean(allow_none=True, load_default=None)
    note = fields.String(
        allow_none=True,
        load_default=None,
        metadata={"description": "The closing note, which the public sees (Open311)."},
    )


@contract("case.rated", producer="cases")
class CaseRated(CaseFacts):
    """The reporter rated the outcome after closing (回访): 满意, 基本满意 or 不满意, with their comment. An
    unsatisfied rating may have reopened the case (``reopened``; a ``case.reworked`` follows)."""

    report_id = fields.String(required=True)
    rating = fields.String(required=True, validate=validate.OneOf(("satisfied", "basically_satisfied", "unsatisfied")))
    comment = fields.String(allow_none=True, load_default=None)
    reopened = fields.Boolean(load_default=False)


@contract("case.cancelled", producer="cases")
class CaseCancelled(_WithReason):
    """Withdrawn (作废)."""


@contract("case.commented", producer="cases")
class CaseCommented(CaseFacts):
    comment_id = fields.String(required=True)
    text = fields.String(required=True)
    public = fields.Boolean(load_default=False, metadata={"description": "A reply the public sees (Open311)."})
    author = fields.Nested(ActorRef, required=True)


class EscalationTarget(Schema):
    kind = fields.String(required=True)
    user_id = fields.String(allow_none=True, load_default=None)
    url = fields.String(allow_none=True, load_default=None)


@contract("case.escalated", producer="cases")
class CaseEscalated(CaseFacts):
    """A stage ran late (or nearly): a rung of the case's escalation ladder fired (升级/督办)."""

    rung = fields.Integer(required=True)
    rung_name = fields.String(required=True)
    targets = fields.List(fields.Nested(EscalationTarget), required=True)
    policy_id = fields.String(required=True)
    policy_version = fields.Integer(required=True)
