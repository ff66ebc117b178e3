"""Loading client input through a schema: field-by-field errors, nothing partial."""

from marshmallow import Schema, ValidationError

from shared.errors import ValidationFailed


def load(schema: Schema, data, **kwargs):
    """``schema.load(data)``, raising ``ValidationFailed`` with marshmallow's messages."""
    if not isinstance(data, dict):
        raise ValidationFailed.from_messages({"_schema": ["The body must be a JSON object."]})
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise ValidationFailed.from_messages(exc.messages) from None
