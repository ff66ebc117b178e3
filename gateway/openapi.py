"""The OpenAPI 3 document, generated from the endpoints' ``@api`` decorators and the marshmallow
schemas that serialise their answers.

Every operation's error answers come from ``ERROR_ANSWERS`` (decided by what the operation
is: signed in or public, takes input, names something by id) plus what its decorator says
it ``raises``; each one's status comes from ``gateway.errors.STATUS_BY_ERROR``, the same
table that makes the answers, and its body is ``ErrorSchema``.
"""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, resolver
from apispec.ext.marshmallow.common import resolve_schema_cls

from gateway.errors import status_of
from gateway.http import ApiEndpoint
from shared.api.common import ErrorSchema
from shared.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed

JSON = "application/json"
_PATH_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _path_parameters(ep: ApiEndpoint) -> list[str]:
    return _PATH_PARAM.findall(ep.url)


# (error, which operations may answer with it, what it means there)
ERROR_ANSWERS = (
    (
        ValidationFailed,
        lambda ep: ep.body_schema is not None or ep.query_schema is not None,
        "Invalid input: `fields` names every faulty field with its messages; nothing was changed.",
    ),
    (Unauthenticated, lambda ep: not ep.public, "No valid access token."),
    (Forbidden, lambda ep: not ep.public, "Not allowed to you: your role, or your part in the data."),
    (NotFound, lambda ep: bool(_path_parameters(ep)), "Nothing with this id."),
)


def _schema_name(schema) -> str:
    """A component's name: the schema's, and ``…Body`` for a body whose key the path gives (``key_from_path``)."""
    return resolver(schema) + ("Body" if getattr(schema, "partial", None) else "")


def _endpoints(service_cls):
    for name in sorted(dir(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiEndpoint):
                yield name, entrypoint


def _content(schema) -> dict:
    """``{media type: {"schema": ...}}`` of an answer: one schema is JSON, a dict names the media types."""
    by_type = schema if isinstance(schema, dict) and all("/" in key for key in schema) else {JSON: schema}
    return {media: {"schema": s} for media, s in by_type.items()}


def _error_answers(ep: ApiEndpoint) -> dict[int, str]:
    answers = {}
    for error, applies, text in ERROR_ANSWERS:
        if applies(ep):
            answers[status_of(error)] = text
    for error, text in ep.raises.items():
        status = status_of(error)
        answers[status] = f"{answers[status]} {text}" if status in answers else text
    return answers


def _operation(name: str, method: str, ep: ApiEndpoint) -> dict:
    operation = {
        "operationId": name,
        "summary": ep.summary,
        "tags": list(ep.tags),
        "responses": {},
    }
    if ep.description:
        operation["description"] = ep.description
    params = [{"in": "path", "name": p, "required": True, "schema": {"type": "string"}} for p in _path_parameters(ep)]
    if ep.query_schema is not None:
        params.append({"in": "query", "schema": ep.query_schema})
    if params:
        operation["parameters"] = params
    if ep.body_schema is not None:
        operation["requestBody"] = {"required": True, "content": _content(ep.body_schema)}
    answers = {}
    for status, (text, schema) in ep.responses.items():
        answers[status] = {"description": text, **({"content": _content(schema)} if schema is not None else {})}
    for status, text in _error_answers(ep).items():
        answers.setdefault(status, {"description": text, "content": _content(ErrorSchema)})
    if not any(status < 300 for status in answers):
        answers[200] = {"description": "OK"}
    operation["responses"] = {str(status): answers[status] for status in sorted(answers)}
    if not ep.public:
        operation["security"] = [{"bearerAuth": []}]
    if len(ep.method.split(",")) > 1:
        operation["operationId"] = f"{name}_{method}"
    return operation


def build_spec(service_cls, version: str) -> dict:
    spec = APISpec(
        title="civicgrid API",
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": (
                "Grid management (网格化管理): field reports, dispatch, case tracking and "
                "notifications. Errors are `Error` objects: `{error, message, correlation_id}`; "
                "validation errors (400) add `fields`, others may add `details`, and an error with a text of "
                "its own adds `reason` and `params` (its key in shared/texts.json, for the reader's language)."
            )
        },
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Error", schema=resolve_schema_cls(ErrorSchema))
    paths: dict[str, dict] = {}
    for name, ep in _endpoints(service_cls):
        path = _PATH_PARAM.sub(r"{\1}", ep.url)
        for method in ep.method.split(","):
            method = method.strip().lower()
            paths.setdefault(path, {})[method] = _operation(name, method, ep)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()
