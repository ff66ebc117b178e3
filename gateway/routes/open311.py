"""Open311 GeoReport v2 at ``/open311/v2/`` (docs/open311.md), and the administrators' API keys.

The catalogue and the requests are public, as in every city that runs Open311: the
directory and the cases service decide what of theirs is public (the categories
marked ``public``; the public's cases, without who reported them). Filing a request
needs an app's ``api_key``: the directory checks and counts it and gives a token for
this one request, with which the reporting service takes the report like any other.
Answers and errors are in the specification's shapes (``gateway/open311.py``).
"""

import json
import logging
import re

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from gateway import open311 as wire
from gateway.errors import error_body
from gateway.http import api, query_dict, read_json
from shared.api.directory import (
    ApiKeyCreateSchema,
    ApiKeyIssuedSchema,
    ApiKeyListSchema,
    ApiKeySchema,
)
from shared.auth.provider import TOKEN_CONTEXT_KEY
from shared.clock import Clock
from shared.errors import (
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)

_log = logging.getLogger(__name__)

ROOT = "/open311/v2"
FORMAT = "<fmt>"  # json or xml, checked by ``open311``
_CASE_ID = re.compile(r"^C[0-9A-Z]{26}$")
# the reporting service's field names, as the specification names them
_FIELD_NAMES = {
    "category": "service_code",
    "location": "lat/long",
    "address": "address_string",
    "attributes": "attribute",
    "contact": "",
    "language": "locale",
}
_STATUS_OF = (
    (ValidationFailed, 400),
    (Unprocessable, 400),
    (NotFound, 404),
    (Forbidden, 403),
    (Unauthenticated, 403),
    (TooManyRequests, 429),
)


class Open311Session(DependencyProvider):
    """Lets a request act as the app whose key it carries: the token goes with every RPC made after ``use``."""

    def get_dependency(self, worker_ctx):
        return _Session(worker_ctx)


class _Session:
    def __init__(self, worker_ctx):
        self._worker_ctx = worker_ctx

    def use(self, token: str) -> None:
        self._worker_ctx.data[TOKEN_CONTEXT_KEY] = token


def _flatten(fields: dict, prefix: str = "") -> list[str]:
    found = []
    for name, problem in fields.items():
        shown = _FIELD_NAMES.get(name, name) if not prefix else f"{prefix}[{name}]" if prefix == "attribute" else name
        if isinstance(problem, dict):
            found += _flatten(problem, shown)
        else:
            messages = problem if isinstance(problem, list) else [problem]
            found += [f"{shown}: {m}" if shown else str(m) for m in messages]
    return found


def _descriptions(exc: Exception) -> tuple[int, list[str]]:
    if isinstance(exc, wire.Open311Error):
        return exc.status, exc.descriptions
    for cls, status in _STATUS_OF:
        if isinstance(exc, cls):
            if isinstance(exc, ValidationFailed):
                return status, _flatten(exc.details.get("fields", {})) or [exc.message]
            return status, [exc.message]
    status, body = error_body(exc)
    return status, [body["message"]]


def _answer(fmt: str, root: str, body, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(wire.to_xml(root, body), status=status, content_type=wire.FORMATS["xml"])
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status, content_type=wire.FORMATS["json"]
    )


def _errors(fmt: str, exc: Exception) -> Response:
    status, descriptions = _descriptions(exc)
    return _answer(fmt, "errors", wire.errors_body(status, descriptions), status)


# What the OpenAPI document says of an Open311 answer: JSON or XML as the path's format asks, and every error as the
# specification's list of {code, description} (not the API's Error object).
_ERROR_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
_XML = {"type": "string", "description": "The same answer as XML (the specification's root element, UTF-8)."}


def _either(json_schema: dict) -> dict:
    return {"application/json": json_schema, "text/xml": _XML}


def answers(ok: int, text: str, json_schema: dict) -> dict:
    """An Open311 operation's documented answers."""
    errors = {
        400: "Invalid input, or a place outside every grid.",
        403: "A missing, unknown or revoked api_key.",
        404: "Not found: an unknown format, service, request, call or jurisdiction_id.",
        429: "Over the api_key's rate.",
    }
    return {ok: (text, _either(json_schema)), **{status: (why, _either(_ERROR_LIST)) for status, why in errors.items()}}


def open311(fn):
    """Answers of ``fn`` (root element, body) in the format asked; every error in the specification's shape."""

    def handler(self, request, fmt, **values):
        if fmt not in wire.FORMATS:
            return _errors("xml", NotFound.of("open311.unknown_format", fmt=fmt))
        try:
            root, body, *status = fn(self, request, fmt, **values)
            return _answer(fmt, root, body, *status)
        except Exception as exc:  # the specification's error list, whatever failed
            return _errors(fmt, exc)

    handler.__name__, handler.__doc__ = fn.__name__, fn.__doc__
    return handler


class Open311Api:
    open311_session = Open311Session()
    open311_clock = Clock()

    # -- helpers ---------------------------------------------------------------------
    def _catalogue(self, args: dict) -> dict:
        catalogue = self.directory.open311_catalogue()
        given = args.get("jurisdiction_id")
        if given and given != catalogue["jurisdiction_id"]:
            raise NotFound.of("open311.other_jurisdiction", served=catalogue["jurisdiction_id"], given=given)
        return catalogue

    def _check_jurisdiction(self, given: str | None) -> None:
        if given:
            self._catalogue({"jurisdiction_id": given})

    def _act_as_app(self, api_key: str | None) -> dict:
        session = self.directory.open311_session(api_key or "")
        self.open311_session.use(session["token"])
        return session

    # -- the specification's calls ---------------------------------------------------
    @api(
        "GET",
        f"{ROOT}/discovery.{FORMAT}",
        public=True,
        tags=["open311"],
        responses=answers(200, "Where the endpoint is and what it speaks.", {"type": "object"}),
        summary="Open311 GeoReport v2: where the endpoint is, its formats and changeset",
    )
    @open311
    def open311_discovery(self, request, fmt):
        return "discovery", wire.discovery(request.host_url.rstrip("/") + ROOT)

    @api(
        "GET",
        f"{ROOT}/services.{FORMAT}",
        public=True,
        tags=["open311"],
        responses=answers(200, "The services.", {"type": "array", "items": {"type": "object"}}),
        summary="Open311: the categories the public may report (services)",
        description="`jurisdiction_id` (the district's code) is checked when given; `locale=en` names them in English.",
    )
    @open311
    def open311_services(self, request, fmt):
        args = query_dict(request)
        language = wire.language_of(args)
        return "services", [wire.service_entry(c, language) for c in self._catalogue(args)["services"]]

    @api(
        "GET",
        f"{ROOT}/services/<service_code>.{FORMAT}",
        public=True,
        tags=["open311"],
        responses=answers(200, "The service definition.", {"type": "object"}),
        summary="Open311: a category's extra fields (service definition)",
    )
    @open311
    def open311_service_definition(self, request, fmt, service_code):
        args = query_dict(request)
        found = [c for c in self._catalogue(args)["services"] if c["code"] == service_code]
        if not found:
            raise NotFound.of("open311.unknown_service", code=service_code)
        return "service_definition", wire.service_definition(found[0], wire.language_of(args))

    @api(
        "POST",
        f"{ROOT}/requests.{FORMAT}",
        public=True,
        tags=["open311"],
        summary="Open311: file a request for a member of the public (needs an api_key)",
        description="Form-encoded as the specification says (`attribute[code]=value`, `attribute[code][]` for "
        "multi-value lists), or a JSON object with the same keys (`attribute` an object). Answers "
        "`service_request_id` at once. The case waits for an operator to screen it.",
        responses=answers(
            201, "Filed: the service_request_id (a list of one).", {"type": "array", "items": {"type": "object"}}
        ),
    )
    @open311
    def open311_create_request(self, request, fmt):
        if request.mimetype == "application/json":
            pairs = wire.pairs_of_json(read_json(request))
        else:
            pairs = list(request.form.lists()) + [p for p in request.args.lists() if p[0] == "jurisdiction_id"]
        given = {k: wire.form_value(v) for k, v in pairs if k in ("api_key", "jurisdiction_id")}
        self._check_jurisdiction(given.get("jurisdiction_id"))
        self._act_as_app(given.get("api_key"))  # 403 before anything else is looked at; counted against its rate
        report = wire.read_new_request(pairs)
        accepted = self.reporting.submit_public_report(report, correlation_id=request.correlation_id)
        return "service_requests", wire.created(accepted, report["account_id"]), 201

    @api(
        "GET",
        f"{ROOT}/requests.{FORMAT}",
        public=True,
        tags=["open311"],
        responses=answers(200, "The requests, newest first.", {"type": "array", "items": {"type": "object"}}),
        summary="Open311: the public's requests, by id, service, dates (at most 90 days) and status",
        description="`service_request_id` (comma list) overrides the other filters; `page` and `page_size` "
        "(at most 200) page the rest, newest first. Never who reported.",
    )
    @open311
    def open311_list_requests(self, request, fmt):
        args = query_dict(request)
        self._check_jurisdiction(args.get("jurisdiction_id"))
        query = wire.read_request_query(args, self.open311_clock.now())
        return "service_requests", self.cases.open311_requests(query)

    @api(
        "GET",
        f"{ROOT}/requests/<service_request_id>.{FORMAT}",
        public=True,
        tags=["open311"],
        responses=answers(200, "The request (a list of one).", {"type": "array", "items": {"type": "object"}}),
        summary="Open311: one request's status, notes, department and deadline",
    )
    @open311
    def open311_get_request(self, request, fmt, service_request_id):
        args = query_dict(request)
        self._check_jurisdiction(args.get("jurisdiction_id"))
        found = []
        if _CASE_ID.match(service_request_id):
            query = wire.read_request_query({"locale": args.get("locale")}, self.open311_clock.now())
            found = self.cases.open311_requests({**query, "ids": [service_request_id]})
        if not found:
            raise NotFound.of("open311.unknown_request", service_request_id=service_request_id)
        return "service_requests", found

    @api(
        "GET",
        f"{ROOT}/tokens/<token>.{FORMAT}",
        public=True,
        tags=["open311"],
        responses=answers(200, "Never: no token is issued.", {"type": "array"}),
        summary="Open311: tokens are never issued here (requests are realtime)",
    )
    @open311
    def open311_token(self, request, fmt, token):
        raise NotFound.of("open311.no_tokens")

    # -- operators: who to answer --------------------------------------------------------
    @api(
        "GET",
        "/api/v1/cases/<case_id>/reporter-contact",
        tags=["open311"],
        summary="The contact details the public gave with a case's reports (operators only; personal data)",
    )
    def reporter_contact(self, request, case_id):
        return self.reporting.reporter_contact(case_id)

    # -- administrators: the apps' keys -------------------------------------------------
    @api(
        "GET",
        "/api/v1/admin/open311/keys",
        tags=["open311"],
        summary="Open311 API keys (never the keys)",
        responses={200: ("The keys.", ApiKeyListSchema)},
    )
    def list_open311_keys(self, request):
        return {"items": self.directory.list_api_keys()}

    @api(
        "POST",
        "/api/v1/admin/open311/keys",
        tags=["open311"],
        body=ApiKeyCreateSchema,
        summary="Make an Open311 API key for an app: the key is in this answer only, then only its hash is kept",
        responses={201: ("Made.", ApiKeyIssuedSchema)},
    )
    def create_open311_key(self, request):
        return 201, self.directory.create_api_key(read_json(request))

    @api(
        "DELETE",
        "/api/v1/admin/open311/keys/<key_id>",
        tags=["open311"],
        summary="Revoke an Open311 API key: it is refused from now on",
        responses={200: ("Revoked.", ApiKeySchema)},
    )
    def revoke_open311_key(self, request, key_id):
        return self.directory.revoke_api_key(key_id)

    @api(
        "GET",
        f"{ROOT}/<path:rest>",
        public=True,
        tags=["open311"],
        summary="Open311: anything else is a 404",
        responses=answers(200, "Never: every other call is a 404.", {"type": "array"}),
    )
    def open311_unknown(self, request, rest):
        fmt = "json" if rest.endswith(".json") else "xml"
        return _errors(fmt, NotFound.of("open311.unknown_call", call=rest))
