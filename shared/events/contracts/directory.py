"""Events produced by the directory: each carries the whole current set of its kind.

Reference data is small and changes rarely; sending the full set with a revision
number makes every consumer's copy trivially correct: apply it if the revision is
newer than the one held, ignore it otherwise (redeliveries, reordering).
"""

from marshmallow import Schema, fields

from shared.api.directory import (
    AreaSchema,
    CategorySchema,
    DepartmentSchema,
    GridSchema,
    RoutingRuleSchema,
    UserSchema,
)
from shared.events.catalogue import contract


class _Revisioned(Schema):
    revision = fields.Integer(required=True)


@contract("grid_map.imported", producer="directory")
class GridMapImported(_Revisioned):
    map_version = fields.Integer(required=True)
    areas = fields.List(fields.Nested(AreaSchema), required=True)
    grids = fields.List(fields.Nested(GridSchema), required=True)


@contract("departments.changed", producer="directory")
class DepartmentsChanged(_Revisioned):
    items = fields.List(fields.Nested(DepartmentSchema), required=True)


@contract("categories.changed", producer="directory")
class CategoriesChanged(_Revisioned):
    items = fields.List(fields.Nested(CategorySchema), required=True)


@contract("routing_rules.changed", producer="directory")
class RoutingRulesChanged(_Revisioned):
    items = fields.List(fields.Nested(RoutingRuleSchema), required=True)


class ReferenceUserSchema(UserSchema):
    """A person as every service's copy holds them: the public profile, and from when their tokens count."""

    tokens_valid_from = fields.Float(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "Epoch seconds, to the millisecond: a token signed earlier is refused "
            "(set on deactivation and on a password reset by an administrator)."
        },
    )


@contract("users.changed", producer="directory")
class UsersChanged(_Revisioned):
    items = fields.List(fields.Nested(ReferenceUserSchema), required=True)
