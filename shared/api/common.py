"""Fields and shapes several API schemas share."""

from marshmallow import INCLUDE, Schema, fields, validate

from shared.fields import LocationSchema, code_field, identifier

__all__ = [
    "LocationSchema",
    "code_field",
    "ErrorSchema",
    "DeletedSchema",
    "PageQuerySchema",
    "PageSchema",
    "page_of",
    "identifier",
    "key_from_path",
]


class ErrorSchema(Schema):
    """Every error answer's body, as ``gateway.errors.error_body`` makes it."""

    class Meta:
        # open to what error bodies may gain (a per-message code, say) without breaking clients
        unknown = INCLUDE

    error = fields.String(required=True, metadata={"description": "Stable error code, UPPER_SNAKE."})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        metadata={
            "description": "400 only: each faulty field's messages (a list, or a nested object for a nested field)."
        },
    )
    details = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "Other errors' particulars, by error (e.g. `faults` of a refused grid map, `problems` "
            "of a refused escalation policy, the current `version` on a 409)."
        },
    )
    reason = fields.String(
        metadata={
            "description": "The key of this error's own text in shared/texts.json "
            "(zh-CN and en), for the reader's language; absent for a "
            "generic error."
        }
    )
    params = fields.Dict(metadata={"description": "The values the text names, by placeholder."})
    correlation_id = fields.String(
        metadata={"description": "Follows the request through every service; quote it when reporting a problem."}
    )


# -- paging: one contract for every list answered page by page (shared/paging.py) -------------------------------

PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


class PageQuerySchema(Schema):
    """The query of every paged list (a list's own query adds its filters to it)."""

    limit = fields.Integer(
        load_default=PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"How many items a page holds (default {PAGE_SIZE})."},
    )
    cursor = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={
            "description": "Where the page starts: `next` of the page before; leave it out for the first page. Opaque."
        },
    )


class PageSchema(Schema):
    """Every paged list's answer: ``page_of`` adds its ``items``."""

    next = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` (with the same filters) for the next page; null on the last page."},
    )


def page_of(item_schema, name: str) -> type[Schema]:
    """The answer schema of a list of ``item_schema``: ``{items, next}`` (``name`` names it in the OpenAPI)."""
    return type(
        name,
        (PageSchema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "__doc__": "One page of a list (shared/paging.py).",
        },
    )


class DeletedSchema(Schema):
    deleted = fields.String(required=True, metadata={"description": "The key or id removed."})
    revision = fields.Integer(metadata={"description": "Directory data: its revision of this kind after it."})


def key_from_path(schema_cls: type[Schema], key: str) -> Schema:
    """The body of a ``PUT …/{key}``: the item's schema, its key optional — the path names it (and wins)."""
    return schema_cls(partial=(key,))
