"""Fields and shapes several API schemas share."""

from marshmallow import Schema, fields, validate

from shared.fields import LocationSchema, code_field, identifier

__all__ = ["LocationSchema", "code_field", "ErrorSchema", "Cursor", "identifier"]


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "Stable error code, UPPER_SNAKE."})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person."})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Per-field messages (400 only)."})
    reason = fields.String(metadata={"description": "The key of this error's own text in shared/texts.json "
                                                    "(zh-CN and en), for the reader's language; absent for a "
                                                    "generic error."})
    params = fields.Dict(metadata={"description": "The values the text names, by placeholder."})
    correlation_id = fields.String()


class Cursor(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
