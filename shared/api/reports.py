"""Field reports (owned by the reporting service)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.api.common import LocationSchema, code_field, identifier


class ReportSubmissionSchema(Schema):
    """What a grid officer's device sends. Unknown fields are refused."""

    category = code_field(required=True, metadata={"description": "Category code, e.g. `sanitation`."})
    description = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4000),
        metadata={"description": "What the officer saw (Open311 allows 4,000 characters)."},
    )
    location = fields.Nested(LocationSchema, required=True)
    grid = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[0-9A-Za-z_\-]{1,32}$"),
        metadata={"description": "Grid code (15 digits in the standard scheme); optional."},
    )
    reporter = identifier(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The reporting person; defaults to the signed-in user. Only operators "
            "(taking a hotline call) may report for someone else."
        },
    )
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={"description": "The category's extra fields (Open311 attributes), by attribute code."},
    )
    attachments = fields.List(
        fields.String(validate=validate.Regexp(r"^P[0-9A-Z]{26}$")),
        load_default=list,
        validate=validate.Length(max=9),
        metadata={"description": "Photos uploaded first with POST /api/v1/reports/attachments (at most 9)."},
    )
    handled_on_spot = fields.Boolean(
        load_default=False,
        metadata={"description": "自行处置: the officer fixed it there and then (needs a photo as evidence)."},
    )
    result_note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=4000),
        metadata={"description": "What was done, when handled on the spot."},
    )

    @validates_schema
    def _evidence_for_self_handled(self, data, **kwargs):
        if data.get("handled_on_spot") and not data.get("attachments"):
            raise ValidationError("A report handled on the spot needs at least one photo as evidence.", "attachments")
        if data.get("handled_on_spot") and not data.get("result_note"):
            raise ValidationError("Say what was done.", "result_note")

    idempotency_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[\x21-\x7e]{1,128}$"),
        metadata={"description": "Chosen by the device; a retry with the same key never makes a second report."},
    )


class PossibleDuplicateSchema(Schema):
    case_id = fields.String(required=True)
    distance_m = fields.Float(required=True)
    status = fields.String(required=True)
    reported_at = fields.AwareDateTime(required=True)


class ReportAcceptedSchema(Schema):
    report_id = fields.String(required=True)
    case_id = fields.String(required=True)
    duplicate = fields.Boolean(
        required=True,
        metadata={"description": "True when this answers a retry of an earlier submission."},
    )
    possible_duplicates = fields.List(
        fields.Nested(PossibleDuplicateSchema),
        metadata={"description": "Open cases of the same category nearby: maybe the same problem."},
    )


class AttachmentSchema(Schema):
    attachment_id = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    filename = fields.String(required=True)


UPLOAD_FORM = {
    "multipart/form-data": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": "JPEG, PNG, WebP or PDF, at most 10 MB; the type is checked by content.",
            }
        },
    }
}


class ReporterContactSchema(Schema):
    """A member of the public's contact details: personal data, seen only by the operators of the case."""

    email = fields.Email(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ()\-]{3,30}$"))
    first_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    last_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class PublicReportSchema(Schema):
    """A report from the public, through an app holding an Open311 API key (the gateway's reading of
    ``POST /open311/v2/requests``). Attribute values come as the form sent them: text, or lists of text."""

    category = code_field(required=True, metadata={"description": "The Open311 service_code."})
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=4000))
    location = fields.Nested(
        LocationSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "lat/long; without them the address must name a grid of the map (docs/open311.md)."},
    )
    address = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "address_string, as the reporter gave it."},
    )
    media_url = fields.Url(
        load_default=None, allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2000)
    )
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")),
        values=fields.Raw(allow_none=True),
        load_default=dict,
    )
    device_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    account_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    contact = fields.Nested(ReporterContactSchema, load_default=dict)
    language = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("zh-CN", "en")),
        metadata={
            "description": "The reporter's language for the notices they get (Open311 "
            "`locale`); the district's own when left out."
        },
    )


class RatingSchema(Schema):
    """回访: a member of the public rates the outcome of their closed case through the link they were sent."""

    rating = fields.String(
        required=True,
        validate=validate.OneOf(("satisfied", "basically_satisfied", "unsatisfied")),
        metadata={"description": "满意 satisfied, 基本满意 basically_satisfied, 不满意 unsatisfied."},
    )
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class RatingLinkSchema(Schema):
    """What a rating link opens: the case it is for and whether it can still be used."""

    case_id = fields.String()
    category = fields.String()
    state = fields.String(metadata={"description": "open, used or expired."})
    expires_at = fields.AwareDateTime()
    rating = fields.String(allow_none=True)
