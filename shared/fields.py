"""Schema fields and shapes that API schemas and event contracts share."""

from marshmallow import Schema, fields, validate

PRIORITIES = ("urgent", "high", "normal", "low")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-:.]{0,127}$"


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


def code_field(**kwargs):
    """A reference-data code: short, no operators or dots."""
    return fields.String(validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"), **kwargs)


def identifier(**kwargs):
    """A client-supplied id: printable, no operators, at most 128 characters."""
    return fields.String(validate=validate.Regexp(ID_PATTERN, error="Not a valid identifier."), **kwargs)
