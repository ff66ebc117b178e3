"""Cases (owned by the cases service)."""

from marshmallow import Schema, fields, validate

from shared.api.common import LocationSchema, PageQuerySchema, page_of
from shared.fields import PRIORITIES, code_field


class ActorView(Schema):
    user_id = fields.String()
    role = fields.String()
    name = fields.String(allow_none=True)


class HistoryEntrySchema(Schema):
    seq = fields.Integer()
    attachments = fields.List(fields.String())
    reason = fields.String(allow_none=True)
    comment_id = fields.String(allow_none=True)
    public = fields.Boolean(allow_none=True, metadata={"description": "A comment the public sees (Open311)."})
    merged = fields.String(allow_none=True)
    target = fields.String(allow_none=True)
    hours = fields.Float(allow_none=True)
    rating = fields.String(
        allow_none=True,
        metadata={
            "description": "回访: the reporter's rating (satisfied, basically_satisfied, unsatisfied); "
            "their comment is the note."
        },
    )
    at = fields.AwareDateTime()
    action = fields.String()
    from_status = fields.String(data_key="from", allow_none=True)
    to_status = fields.String(data_key="to", allow_none=True)
    actor = fields.Nested(ActorView)
    note = fields.String(
        allow_none=True,
        metadata={"description": "A person's words; or the platform's note (note_key) put into the reader's language"},
    )
    note_key = fields.String(
        allow_none=True, metadata={"description": "The platform's note, by key (shared/texts.json)"}
    )
    note_params = fields.Dict(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    deadline = fields.AwareDateTime(allow_none=True)


class ExtensionSchema(Schema):
    status = fields.String(metadata={"description": "pending, approved or denied"})
    hours = fields.Float()
    reason = fields.String()
    requested_by = fields.Nested(ActorView)
    requested_at = fields.AwareDateTime()
    decided_by = fields.Nested(ActorView, allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)


class PublicRatingSchema(Schema):
    rating = fields.String(
        metadata={"description": "satisfied (满意), basically_satisfied (基本满意), unsatisfied (不满意)."}
    )
    comment = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    report_id = fields.String()


class OutcomeSchema(Schema):
    """A department's result (处置反馈) or an officer's check (核查)."""

    note = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    by = fields.Nested(ActorView)
    at = fields.AwareDateTime()


class SuggestionSchema(Schema):
    department = fields.String()
    rule_id = fields.String()


class CaseSchema(Schema):
    def _escalation(self, case):
        ladder = case.get("escalation")
        if not ladder:
            return None
        return {
            "policy_id": ladder["policy_id"],
            "policy_version": ladder["policy_version"],
            "stage": ladder["stage"],
            "fired": [
                {"rung": f["rung"], "name": f["name"], "at": f["at"].isoformat()} for f in ladder.get("fired", [])
            ],
            "next_due_at": ladder["next_due_at"].isoformat() if ladder.get("next_due_at") else None,
        }

    case_id = fields.String(attribute="_id")
    status = fields.String()
    category = fields.String()
    priority = fields.String()
    grid = fields.String(allow_none=True)
    community = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    grid_mismatch = fields.Boolean(metadata={"description": "The report's grid and coordinates disagree."})
    located_grid = fields.String(allow_none=True, metadata={"description": "The grid the coordinates lie in."})
    attributes = fields.Dict()
    location = fields.Nested(LocationSchema)
    description = fields.String()
    reporter = fields.String()
    source = fields.String(
        allow_none=True,
        metadata={
            "description": "field: reported by staff; public: by a resident through Open311 — "
            "screen it (立案 or 不予立案)."
        },
    )
    address = fields.String(allow_none=True, metadata={"description": "A public report's address, as given."})
    media_url = fields.String(allow_none=True, metadata={"description": "A public report's photo, as a link."})
    report_ids = fields.List(fields.String())
    department = fields.String(allow_none=True)
    assisting_departments = fields.List(fields.String())
    deadline = fields.AwareDateTime(allow_none=True, metadata={"description": "The disposal deadline."})
    stage = fields.String(allow_none=True, metadata={"description": "dispatch, sign_for, disposal, verification"})
    stage_deadline = fields.AwareDateTime(allow_none=True, metadata={"description": "When the current stage is due."})
    light = fields.String(allow_none=True, metadata={"description": "green, yellow (75% used) or red (overdue)."})
    supervised = fields.Boolean(metadata={"description": "Under supervision (督办)."})
    supervised_at = fields.AwareDateTime(allow_none=True)
    supervision = fields.Nested(
        OutcomeSchema,
        allow_none=True,
        metadata={"description": "The latest supervision instruction (督办意见): note, by, at."},
    )
    supervisions = fields.Integer(metadata={"description": "How many times people put it under supervision."})
    public_rating = fields.Nested(
        PublicRatingSchema,
        allow_none=True,
        metadata={"description": "回访: the latest rating a public reporter gave after closing."},
    )
    escalation = fields.Method("_escalation", allow_none=True)
    priority_rank = fields.Integer()
    handled_on_spot = fields.Boolean()
    attachments = fields.List(fields.String())
    possible_duplicates = fields.List(fields.String())
    suggestion = fields.Nested(
        SuggestionSchema, allow_none=True, metadata={"description": "The department routing suggests."}
    )
    returned = fields.Boolean()
    returned_by = fields.String(allow_none=True)
    suspended = fields.Boolean()
    paused_seconds = fields.Float()
    extension = fields.Nested(ExtensionSchema, allow_none=True)
    extensions = fields.Integer()
    rework_count = fields.Integer()
    resolution = fields.Nested(OutcomeSchema, allow_none=True)
    verification = fields.Nested(OutcomeSchema, allow_none=True)
    merged_into = fields.String(allow_none=True)
    merged_cases = fields.List(
        fields.String(),
        dump_default=list,
        metadata={"description": "Duplicates merged into this case (empty if none)."},
    )
    reporters = fields.List(fields.String())
    on_time = fields.Boolean(allow_none=True)
    reported_at = fields.AwareDateTime(allow_none=True)
    registered_at = fields.AwareDateTime(allow_none=True)
    dispatched_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    verified_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    version = fields.Integer()
    correlation_id = fields.String()
    history = fields.List(fields.Nested(HistoryEntrySchema))
    allowed_actions = fields.List(
        fields.String(),
        metadata={
            "description": "The actions you may take on the case now (its state and your part in it): "
            "a screen shows only these. See docs/ui.md."
        },
    )


# -- actions on a case: POST /api/v1/cases/{id}/{action} --------------------------------


def _version():
    return fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "The case version you saw; if it changed meanwhile, 409."},
    )


def _reason():
    return fields.String(required=True, validate=validate.Length(min=1, max=2000))


def _note(required=False):
    optional = {} if required else {"load_default": None, "allow_none": True}
    return fields.String(required=required, validate=validate.Length(min=1, max=4000), **optional)


def _attachments(minimum=0):
    # marshmallow validates only what was sent: a list that may not be empty may not be left out either
    absent = {"required": True} if minimum else {"load_default": list}
    return fields.List(
        fields.String(validate=validate.Regexp(r"^F[0-9A-Z]{26}$")),
        **absent,
        validate=validate.Length(min=minimum, max=9),
        metadata={"description": "Ids of files uploaded with POST /api/v1/cases/{id}/attachments."},
    )


class RegisterSchema(Schema):
    version = _version()
    category = code_field(load_default=None, allow_none=True, metadata={"description": "Correct the category."})
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    note = _note()


class ReasonSchema(Schema):
    version = _version()
    reason = _reason()


class NoteSchema(Schema):
    version = _version()
    note = _note()


class SuperviseSchema(Schema):
    """督办: the command centre or supervision puts a case under supervision, saying what it expects."""

    version = _version()
    note = _note(required=True)


class MergeSchema(Schema):
    version = _version()
    target_case_id = fields.String(required=True, validate=validate.Regexp(r"^C[0-9A-Z]{26}$"))
    note = _note()


class DispatchSchema(Schema):
    version = _version()
    department = code_field(required=True)
    assisting_departments = fields.List(code_field(), load_default=list, validate=validate.Length(max=5))
    note = _note()


class ExtensionRequestSchema(Schema):
    version = _version()
    reason = _reason()
    hours = fields.Float(required=True, validate=validate.Range(min=0.5, max=720))


class ResolveSchema(Schema):
    version = _version()
    note = _note(required=True)
    attachments = _attachments(minimum=1)


class VerifySchema(Schema):
    version = _version()
    passed = fields.Boolean(required=True)
    note = _note(required=True)
    attachments = _attachments()


class CommentSchema(Schema):
    version = _version()
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    attachments = _attachments()
    public = fields.Boolean(
        load_default=False,
        metadata={
            "description": "A reply to the public: shown as the request's status_notes in Open311. Other comments "
            "are internal and never leave the platform."
        },
    )


# -- finding cases ------------------------------------------------------------------

SORTS = ("newest", "oldest", "deadline", "priority")


class CaseListQuerySchema(PageQuerySchema):
    status = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[a-z]+(,[a-z]+)*$"),
        metadata={"description": "One status, or several separated by commas."},
    )
    category = code_field(load_default=None)
    grid = code_field(load_default=None)
    community = code_field(load_default=None)
    street = code_field(load_default=None)
    department = code_field(load_default=None)
    priority = fields.String(load_default=None, validate=validate.OneOf(PRIORITIES))
    overdue = fields.Boolean(
        load_default=None, metadata={"description": "true: only cases past their deadline and still with a department."}
    )
    supervised = fields.Boolean(load_default=None, metadata={"description": "Under supervision (督办)."})
    reporter = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_\-:.@]{1,128}$"))
    created_from = fields.AwareDateTime(load_default=None)
    created_to = fields.AwareDateTime(load_default=None)
    sort = fields.String(load_default="newest", validate=validate.OneOf(SORTS))


class WorklistQuerySchema(PageQuerySchema):
    department = code_field(
        load_default=None,
        metadata={"description": "Yours if left out; the command centre and supervision may name any."},
    )


class CaseSummarySchema(Schema):
    case_id = fields.String(attribute="_id")
    status = fields.String()
    category = fields.String()
    priority = fields.String()
    grid = fields.String(allow_none=True)
    community = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    deadline = fields.AwareDateTime(allow_none=True)
    stage = fields.String(allow_none=True)
    stage_deadline = fields.AwareDateTime(allow_none=True)
    light = fields.String(allow_none=True)
    description = fields.String()
    returned = fields.Boolean()
    suspended = fields.Boolean()
    supervised = fields.Boolean()
    suggestion = fields.Nested(SuggestionSchema, allow_none=True)
    possible_duplicates = fields.List(fields.String())
    rework_count = fields.Integer()
    location = fields.Nested(LocationSchema, metadata={"description": "Where it was reported (for maps)."})
    reported_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    version = fields.Integer()


CasePageSchema = page_of(CaseSummarySchema, "CasePageSchema")


# -- escalation policies ---------------------------------------------------------------


class RungTimeSchema(Schema):
    fraction = fields.Float(
        validate=validate.Range(min=0, max=1, min_inclusive=False),
        metadata={"description": "Fire when this much of the stage's limit is used."},
    )
    after_deadline_hours = fields.Float(
        validate=validate.Range(min=-720, max=720),
        metadata={"description": "Working hours after the deadline (negative: before)."},
    )


# who an escalation rung may tell: the schema checks a policy against it, the cases domain resolves each
RUNG_TARGET_KINDS = (
    "responsible",
    "responsible_head",
    "command_centre",
    "supervisor",
    "person",
    "department_head",
    "department_handlers",
    "grid_officers",
    "grid_leader",
    "webhook",
)


class RungTargetSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(RUNG_TARGET_KINDS))
    user_id = fields.String(load_default=None, allow_none=True)
    url = fields.Url(load_default=None, allow_none=True, schemes={"https", "http"})


class RungSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    at = fields.Nested(RungTimeSchema, required=True)
    targets = fields.List(fields.Nested(RungTargetSchema), required=True, validate=validate.Length(min=1))
    supervise = fields.Boolean(load_default=False, metadata={"description": "Put the case under supervision (督办)."})


class EscalationPolicySchema(Schema):
    policy_id = code_field(required=True)
    name = fields.String(load_default="", validate=validate.Length(max=200))
    rungs = fields.List(fields.Nested(RungSchema), required=True, validate=validate.Length(min=1, max=10))
    version = fields.Integer(dump_only=True)


class PolicyDeletedSchema(Schema):
    deleted = fields.String(metadata={"description": "The policy's id."})
