"""The OpenAPI 3 document, generated from the endpoints and their marshmallow schemas."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.http import ApiEndpoint

_PATH_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _endpoints(service_cls):
    for name in sorted(dir(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiEndpoint):
                yield name, entrypoint


def _operation(name: str, ep: ApiEndpoint) -> dict:
    operation = {
        "operationId": name,
        "summary": ep.summary,
        "tags": list(ep.tags),
        "responses": {},
    }
    if ep.description:
        operation["description"] = ep.description
    params = [
        {"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
        for p in _PATH_PARAM.findall(ep.url)
    ]
    if ep.query_schema is not None:
        params.append({"in": "query", "schema": ep.query_schema})
    if params:
        operation["parameters"] = params
    if ep.body_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ep.body_schema}},
        }
    for status, (text, schema) in sorted(ep.responses.items()):
        response = {"description": text}
        if schema is not None:
            response["content"] = {"application/json": {"schema": schema}}
        operation["responses"][str(status)] = response
    if not operation["responses"]:
        operation["responses"]["200"] = {"description": "OK"}
    if not ep.public:
        operation["security"] = [{"bearerAuth": []}]
        operation["responses"].setdefault("401", {"description": "No valid access token."})
    return operation


def build_spec(service_cls, version: str) -> dict:
    spec = APISpec(
        title="civicgrid API",
        version=version,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "Grid management (网格化管理): field reports, dispatch, case tracking and "
                "notifications. Errors are `{error, message, correlation_id}`; validation "
                "errors add `fields`, and an error with a text of its own adds `reason` and `params` "
                "(its key in shared/texts.json, for the reader's language)."
            )
        },
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths: dict[str, dict] = {}
    for name, ep in _endpoints(service_cls):
        path = _PATH_PARAM.sub(r"{\1}", ep.url)
        for method in ep.method.split(","):
            paths.setdefault(path, {})[method.strip().lower()] = _operation(name, ep)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()
