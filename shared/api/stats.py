"""Indicators (owned by the indicators service)."""

from marshmallow import Schema, fields, validate

from shared.fields import code_field

DIMENSIONS = ("district", "department", "grid", "community", "street", "category")
PERIODS = ("day", "week", "month", "quarter")
CSV_LANGUAGES = ("zh-CN", "en")


class TableFormatSchema(Schema):
    """How a table is answered: JSON, or CSV with headers in a language."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
    lang = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(CSV_LANGUAGES),
        metadata={"description": "CSV column headers in this language (zh-CN or en); field names if left out."},
    )


class StatsQuerySchema(TableFormatSchema):
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS))
    date = fields.Date(load_default=None, metadata={"description": "Any day in the period (default: today)."})
    key = code_field(load_default=None, metadata={"description": "One department, grid, … instead of all."})


class HotspotQuerySchema(TableFormatSchema):
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS))
    date = fields.Date(load_default=None)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class IndicatorRowSchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    reported = fields.Integer()
    due = fields.Integer(metadata={"description": "Cases whose disposal deadline falls in the period."})
    deferred = fields.Integer(metadata={"description": "Due cases suspended now (缓办)."})
    closed = fields.Integer()
    closed_on_time = fields.Integer()
    dispatched = fields.Integer()
    extended = fields.Integer()
    checked = fields.Integer()
    failed_check = fields.Integer()
    on_time_closure_rate = fields.Float(
        allow_none=True, metadata={"description": "按期结案率 = closed on time / (due − deferred)"}
    )
    closure_rate = fields.Float(allow_none=True, metadata={"description": "结案率 = closed / (due − deferred)"})
    rework_rate = fields.Float(
        allow_none=True, metadata={"description": "返工率 = cases that failed a check / cases checked"}
    )
    extension_rate = fields.Float(
        allow_none=True, metadata={"description": "延期率 = cases extended / cases dispatched"}
    )
    public_reported = fields.Integer(metadata={"description": "The public's cases (Open311) reported in the period."})
    public_answered_in_time = fields.Integer(
        metadata={"description": "Of those, answered (screened) within RESPONSE_LIMIT_HOURS."}
    )
    public_due = fields.Integer(metadata={"description": "The public's due cases, not deferred."})
    public_resolved = fields.Integer(metadata={"description": "Of those, closed and not rated 不满意."})
    rated = fields.Integer(metadata={"description": "The public's cases rated in the period (回访, latest rating)."})
    satisfied = fields.Integer(metadata={"description": "Of those, rated 满意 or 基本满意."})
    response_rate = fields.Float(
        allow_none=True, metadata={"description": "响应率 = public cases answered in time / public cases reported"}
    )
    resolution_rate = fields.Float(
        allow_none=True,
        metadata={"description": "解决率 = public cases closed and not rated 不满意 / public due cases not deferred"},
    )
    satisfaction_rate = fields.Float(
        allow_none=True, metadata={"description": "满意率 = public cases rated 满意 or 基本满意 / public cases rated"}
    )
    dispatch_mean_hours = fields.Float(allow_none=True)
    dispatch_p90_hours = fields.Float(allow_none=True)
    sign_for_mean_hours = fields.Float(allow_none=True)
    sign_for_p90_hours = fields.Float(allow_none=True)
    disposal_mean_hours = fields.Float(allow_none=True)
    disposal_p90_hours = fields.Float(allow_none=True)
    verification_mean_hours = fields.Float(allow_none=True)
    verification_p90_hours = fields.Float(allow_none=True)
    open = fields.Integer(metadata={"description": "Open now."})
    overdue = fields.Integer(metadata={"description": "Open, not suspended, past the deadline of their stage, now."})


class IndicatorTableSchema(Schema):
    dimension = fields.String()
    period = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    rows = fields.List(fields.Nested(IndicatorRowSchema))


class HotspotSchema(Schema):
    grid = fields.String()
    name = fields.String(allow_none=True)
    community = fields.String(allow_none=True)
    street = fields.String(allow_none=True)
    reported = fields.Integer()


class HotspotTableSchema(Schema):
    period = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    rows = fields.List(fields.Nested(HotspotSchema))
