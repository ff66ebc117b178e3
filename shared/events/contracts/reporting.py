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
    source = fields.String(load_default="field", validate=validate.OneOf(("field", "public")),
                           metadata={"description": "field: staff; public: a resident through Open311."})
    address = fields.String(allow_none=True, load_default=None, metadata={"description": "As the public gave it."})
    media_url = fields.String(allow_none=True, load_default=None, metadata={"description": "A public report's photo."})
    reported_at = fields.AwareDateTime(required=True)
    attachments = fields.List(fields.String(), load_default=list)
    handled_on_spot = fields.Boolean(load_default=False, metadata={"description": "自行处置: fixed by the officer."})
    result_note = fields.String(allow_none=True, load_default=None)
    possible_duplicates = fields.List(fields.String(), load_default=list,
                                      metadata={"description": "Open cases nearby of the same category."})
