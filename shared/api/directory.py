"""Reference data (owned by the directory service): hierarchy, grids, departments,
categories, routing rules, users; and signing in."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from shared.api.common import code_field, identifier
from shared.auth.policy import ROLES
from shared.fields import PRIORITIES

LANGUAGES = ("zh-CN", "en")
LEVELS = ("district", "street", "community")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
STAGES = ("dispatch", "sign_for", "disposal", "verification")
# Each kind's key: the last part of its path (PUT /api/v1/directory/<kind>/<key>), and the field that holds it.
KEY_FIELD = {"departments": "code", "categories": "code", "routing_rules": "rule_id", "users": "user_id"}


def _revision():
    return fields.Integer(
        dump_only=True,
        metadata={"description": "In the answer to a change: the directory's revision of this kind of data after it."},
    )


class AreaSchema(Schema):
    code = code_field(required=True)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    parent = code_field(allow_none=True, load_default=None)
    polygon = fields.Dict(allow_none=True, load_default=None, metadata={"description": "Optional outline."})


class GridSchema(Schema):
    code = code_field(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    parent = code_field(required=True)
    polygon = fields.Dict(required=True, metadata={"description": "GeoJSON Polygon or MultiPolygon, [lon, lat]."})
    officers = fields.List(identifier(), load_default=list)
    leader = identifier(allow_none=True, load_default=None)
    households = fields.Integer(load_default=0, validate=validate.Range(min=0))
    community = code_field(allow_none=True, load_default=None)
    street = code_field(allow_none=True, load_default=None)


class DepartmentSchema(Schema):
    code = code_field(required=True)
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=40))
    email = fields.Email(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    revision = _revision()


class AttributeValueSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_zh = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


class AttributeSchema(Schema):
    """An extra field of a category, in the shape of an Open311 service-definition attribute."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,63}$"))
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description_zh = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    datatype_description = fields.String(allow_none=True, load_default=None)
    required = fields.Boolean(load_default=False)
    order = fields.Integer(load_default=0)
    values = fields.List(fields.Nested(AttributeValueSchema), load_default=list)

    @validates_schema
    def _lists_have_values(self, data, **kwargs):
        if data["datatype"].endswith("valuelist") and not data.get("values"):
            raise ValidationError("A list attribute needs its values.", "values")


class TimeLimitsSchema(Schema):
    """Hours allowed per stage: 立案派遣, 签收, 处置, 核查."""

    dispatch = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    sign_for = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    disposal = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    verification = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))


class CategoryGroupSchema(Schema):
    """A group of categories (Open311 ``group``), e.g. 社会治安 social order."""

    code = code_field(required=True)
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CategorySchema(Schema):
    code = code_field(required=True)
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("component", "event")),
        metadata={"description": "部件 (component) or 事件 (event)."},
    )
    department = code_field(required=True, metadata={"description": "Default owning department."})
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    limits_hours = fields.Nested(TimeLimitsSchema, required=True)
    attributes = fields.List(fields.Nested(AttributeSchema), load_default=list)
    keywords = fields.List(fields.String(validate=validate.Length(max=50)), load_default=list)
    group = fields.Nested(CategoryGroupSchema, allow_none=True, load_default=None)
    limits_by_priority = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PRIORITIES)),
        values=fields.Nested(TimeLimitsSchema),
        load_default=dict,
        metadata={"description": "Limits that differ by priority (category × priority)."},
    )
    clock = fields.String(
        load_default="working",
        validate=validate.OneOf(("working", "24x7")),
        metadata={"description": "working: the official calendar and office hours; 24x7: always."},
    )
    escalation_policy = code_field(load_default="default")
    duplicate_radius_m = fields.Float(
        load_default=50.0,
        validate=validate.Range(min=0, max=5000),
        metadata={"description": "Open cases this close are suggested as duplicates."},
    )
    duplicate_window_hours = fields.Float(
        load_default=72.0,
        validate=validate.Range(min=0, max=24 * 365),
        metadata={"description": "… if reported within this many hours."},
    )
    active = fields.Boolean(load_default=True)
    revision = _revision()
    public = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Open to the public: listed at /open311/v2/services and accepted from apps "
            "(docs/open311.md)."
        },
    )


class RoutingRuleSchema(Schema):
    """category × (street or community, optional) → department; the most specific rule wins."""

    rule_id = identifier(required=True)
    category = code_field(required=True)
    street = code_field(allow_none=True, load_default=None)
    community = code_field(allow_none=True, load_default=None)
    department = code_field(required=True)
    automatic = fields.Boolean(load_default=False, metadata={"description": "Dispatched without an operator."})
    revision = _revision()
    dispatch_public_reports = fields.Boolean(
        load_default=False,
        metadata={
            "description": "With `automatic`: reports from the public are dispatched unseen too. Without it they wait "
            "for an operator to screen them (立案 or 不予立案)."
        },
    )


class UserSchema(Schema):
    """A person, as other services see them (never a password)."""

    user_id = identifier(required=True)
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-@]{2,64}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1))
    department = code_field(allow_none=True, load_default=None)
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))
    phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=40))
    email = fields.Email(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    revision = _revision()


class UserQuerySchema(Schema):
    role = fields.String(
        load_default=None, validate=validate.OneOf(ROLES), metadata={"description": "Only people with this role."}
    )
    department = code_field(load_default=None, metadata={"description": "Only people of this department."})


class UserWriteSchema(UserSchema):
    password = fields.String(load_only=True, load_default=None, validate=validate.Length(min=10, max=200))

    @validates_schema
    def _department_roles_need_a_department(self, data, **kwargs):
        if {"handler", "department_head"} & set(data.get("roles", ())) and not data.get("department"):
            raise ValidationError("Handlers and department heads belong to a department.", "department")


class PasswordChangeSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(min=10, max=200))
    old_password = fields.String(load_default=None)


class SignInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"description": "Always `Bearer`."})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})
    user = fields.Nested(UserSchema)
    grids = fields.List(fields.String())


class MeSchema(UserSchema):
    grids = fields.List(fields.String(), metadata={"description": "Grids this person is responsible for."})


class LocateQuerySchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class LocationAnswerSchema(Schema):
    grid = fields.String(allow_none=True)
    community = fields.String(allow_none=True)
    street = fields.String(allow_none=True)


class GridMapImportedSchema(Schema):
    map_version = fields.Integer()
    areas = fields.Integer()
    grids = fields.Integer()


class FaultSchema(Schema):
    code = fields.String()
    feature = fields.Integer(allow_none=True)
    object_code = fields.String(allow_none=True)
    message = fields.String()


class GridMapCheckedSchema(Schema):
    """What an import would find, nothing imported."""

    importable = fields.Boolean(required=True, metadata={"description": "No fault: an import would take it whole."})
    faults = fields.List(
        fields.Nested(FaultSchema),
        required=True,
        metadata={
            "description": "Every fault; `feature` is the index in the collection sent (null: the collection itself)."
        },
    )
    areas = fields.Integer(required=True, metadata={"description": "Areas read (those with faults too)."})
    grids = fields.Integer(required=True, metadata={"description": "Grids read."})
    map_version = fields.Integer(required=True, metadata={"description": "The version in place now."})


class GridSummarySchema(Schema):
    code = fields.String()
    name = fields.String()
    parent = fields.String()
    community = fields.String(allow_none=True)
    street = fields.String(allow_none=True)


class AreasSchema(Schema):
    """The hierarchy of the current grid map."""

    map_version = fields.Integer()
    areas = fields.List(fields.Nested(AreaSchema), metadata={"description": "District, streets, communities."})
    grids = fields.List(fields.Nested(GridSummarySchema))


class PasswordChangedSchema(Schema):
    user_id = fields.String(required=True)
    password_changed = fields.Boolean(required=True)


class ApiKeyCreateSchema(Schema):
    """An app that may file the public's reports through Open311 (docs/open311.md)."""

    app = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Who the key is for: the app or organisation."},
    )
    contact = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Whom to ask about the app."},
    )
    rate_limit_per_minute = fields.Integer(
        load_default=60,
        validate=validate.Range(min=1, max=6000),
        metadata={"description": "Requests per minute; more is a 429."},
    )


class ApiKeySchema(Schema):
    """An API key as listed: never the key itself, which is shown once when it is made."""

    key_id = fields.String(required=True)
    app = fields.String(required=True)
    contact = fields.String(allow_none=True)
    prefix = fields.String(required=True, metadata={"description": "The key's first characters, to recognise it."})
    rate_limit_per_minute = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    created_by = fields.String(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class ApiKeyListSchema(Schema):
    items = fields.List(fields.Nested(ApiKeySchema), required=True)


class ApiKeyIssuedSchema(ApiKeySchema):
    api_key = fields.String(required=True, metadata={"description": "The key. Shown this once; only its hash is kept."})
