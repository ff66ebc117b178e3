"""Fields and shapes several API schemas share."""

from marshmallow import INCLUDE, Schema, fields, validate

from shared.fields import LocationSchema, code_field, identifier

__all__ = ["LocationSchema", "code_field", "ErrorSchema", "DeletedSchema", "Cursor", "identifier", "key_from_path"]


class ErrorSchema(Schema):
    """Every error answer's body, as ``gateway.errors.error_body`` makes it."""

    class Meta:
        # open to what error bodies may gain (a per-message code, say) without breaking clients
        unknown = INCLUDE

    error = fields.String(required=True, metadata={"description": "Stable error code, UPPER_SNAKE."})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person."})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), metadata={
        "description": "400 only: each faulty field's messages (a list, or a nested object for a nested field)."})
    details = fields.Dict(keys=fields.String(), metadata={
        "description": "Other errors' particulars, by error (e.g. `faults` of a refused grid map, `problems` "
                       "of a refused escalation policy, the current `version` on a 409)."})
    reason = fields.String(metadata={"description": "The key of this error's own text in shared/texts.json "
                                                    "(zh-CN and en), for the reader's language; absent for a "
                                                    "generic error."})
    params = fields.Dict(metadata={"description": "The values the text names, by placeholder."})
    correlation_id = fields.String(metadata={
        "description": "Follows the request through every service; quote it when reporting a problem."})


class Cursor(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class DeletedSchema(Schema):
    deleted = fields.String(required=True, metadata={"description": "The key or id removed."})
    revision = fields.Integer(metadata={"description": "Directory data: its revision of this kind after it."})


def key_from_path(schema_cls: type[Schema], key: str) -> Schema:
    """The body of a ``PUT …/{key}``: the item's schema, its key optional — the path names it (and wins)."""
    return schema_cls(partial=(key,))
