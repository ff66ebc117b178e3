"""Events produced by the reporting service."""

from marshmallow import Schema, fields, validate

from shared.events.catalogue import contract
from shared.fields import LocationSchema, code_field


@contract("incident.reported", producer="reporting")
class IncidentReported(Schema):
    """A field report was accepted; its case id is already reserved."""

    report_id = fields.String(required=True)
    case_id = fields.String(required=True)
    category = code_field(required=True)
    description = fields.String(required=True)
    location = fields.Nested(LocationSchema, required=True)
    grid = fields.String(allow_none=True, load_default=None)
    community = fields.String(allow_none=True, load_default=None)
    street = fields.String(allow_none=True, load_default=None)
    grid_mismatch = fields.Boolean(load_default=False)
    located_grid = fields.String(allow_none=True, load_default=None)
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict)
    reporter = fields.String(required=True)
    source = fields.String(
        load_default="field",
        validate=validate.OneOf(("field", "public")),
        metadata={"description": "field: staff; public: a resident through Open311."},
    )
    address = fields.String(allow_none=True, load_default=None, metadata={"description": "As the public gave it."})
    media_url = fields.String(allow_none=True, load_default=None, metadata={"description": "A public report's photo."})
    reported_at = fields.AwareDateTime(required=True)
    attachments = fields.List(fields.String(), load_default=list)
    handled_on_spot = fields.Boolean(load_default=False, metadata={"description": "自行处置: fixed by the officer."})
    result_note = fields.String(allow_none=True, load_default=None)
    possible_duplicates = fields.List(
        fields.String(), load_default=list, metadata={"description": "Open cases nearby of the same category."}
    )


@contract("reporter.notice_due", producer="reporting")
class ReporterNoticeDue(Schema):
    """A member of the public who gave an e-mail address or phone is to be told what became of their report
    (registered, rejected, closed). Never the address itself: the notifications service asks for it, for one send,
    with ``capability`` (docs/open311.md, "Telling the reporter")."""

    notice_id = fields.String(required=True)
    report_id = fields.String(required=True)
    case_id = fields.String(required=True)
    about = fields.String(required=True, validate=validate.OneOf(("case.registered", "case.rejected", "case.closed")))
    category = code_field(required=True)
    language = fields.String(required=True, validate=validate.OneOf(("zh-CN", "en")))
    channels = fields.List(fields.String(validate=validate.OneOf(("email", "sms"))), required=True)
    reason = fields.String(allow_none=True, load_default=None, metadata={"description": "Why it was rejected."})
    note = fields.String(allow_none=True, load_default=None, metadata={"description": "The closing note."})
    rating = fields.Boolean(load_default=False, metadata={"description": "The notice carries a link to rate (回访)."})
    rating_days = fields.Float(allow_none=True, load_default=None, metadata={"description": "How long it is valid."})
    capability = fields.String(
        required=True,
        metadata={
            "description": "A one-notice secret: with it, and only with it, reporting answers the address to send to."
        },
    )


@contract("report.rated", producer="reporting")
class ReportRated(Schema):
    """The reporter rated the outcome of their closed case (回访) through the link they were sent."""

    report_id = fields.String(required=True)
    case_id = fields.String(required=True)
    rating = fields.String(required=True, validate=validate.OneOf(("satisfied", "basically_satisfied", "unsatisfied")))
    comment = fields.String(allow_none=True, load_default=None)
    rated_at = fields.AwareDateTime(required=True)
    closed_at = fields.AwareDateTime(
        allow_none=True, load_default=None, metadata={"description": "When the case was closed, for the closing rated."}
    )
