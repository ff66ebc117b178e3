"""Open311 GeoReport v2 queries, as the cases service checks them (the gateway reads the HTTP form)."""

from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.fields import code_field

MAX_SPAN = timedelta(days=90)
LANGUAGES = ("zh-CN", "en")


class PublicRequestQuerySchema(Schema):
    ids = fields.List(
        fields.String(validate=validate.Regexp(r"^C[0-9A-Z]{26}$")),
        load_default=list,
        validate=validate.Length(max=200),
    )
    categories = fields.List(code_field(), load_default=list, validate=validate.Length(max=50))
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    status = fields.List(fields.String(validate=validate.OneOf(("open", "closed"))), load_default=list)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))

    @validates_schema
    def _at_most_ninety_days(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError("end_date is before start_date.", "end_date")
        if data["end"] - data["start"] > MAX_SPAN:
            raise ValidationError("start_date and end_date may be at most 90 days apart.", "end_date")


class PublicRequestSchema(Schema):
    """One Open311 request as everyone sees it."""

    service_request_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open or closed"})
    status_notes = fields.String(allow_none=True)
    service_name = fields.String(allow_none=True)
    service_code = fields.String(required=True)
    description = fields.String(allow_none=True)
    agency_responsible = fields.String(allow_none=True)
    service_notice = fields.String(allow_none=True)
    requested_datetime = fields.String(allow_none=True)
    updated_datetime = fields.String(allow_none=True)
    expected_datetime = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_id = fields.String(allow_none=True)
    zipcode = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    long = fields.Float(allow_none=True)
    media_url = fields.String(allow_none=True)
