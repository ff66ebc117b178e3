"""nameko's HTTP entrypoint made into a JSON API endpoint.

``@api(method, url, ...)`` handlers receive the werkzeug request and return a dict
(200), a ``(status, dict)`` tuple, or a werkzeug ``Response``. Errors raised here or
in a service come back as JSON through ``gateway.errors``. The keyword arguments
after the URL describe the operation for the OpenAPI document (``gateway.openapi``):
``responses`` its answers, ``{status: (text, schema)}`` — the schema that serialises
the answer, ``Schema(many=True)`` for a list, or ``{media type: schema}`` — and
``raises`` the errors it may answer with beyond those every operation documents
(``{error class: text}``, the status from ``gateway.errors``).
"""

import base64
import json
import logging
import re
from functools import partial
from urllib.parse import quote

from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Request, Response

from gateway.clients import client_address
from gateway.errors import error_body
from gateway.security import NOSNIFF
from gateway.webapp import serve as serve_web_app
from shared.auth.keys import load_public_key
from shared.auth.provider import TOKEN_CONTEXT_KEY
from shared.auth.tokens import TokenVerifier
from shared.bus import SignatureCheckedOnce
from shared.clock import clock_from_config
from shared.config import setting
from shared.errors import CivicgridError, FileTooLarge, Unauthenticated, ValidationFailed
from shared.ids import new_id
from shared.validation import MAX_DEPTH, NOT_AN_OBJECT, json_problems

_log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{1,128}$")
JSON_TYPE = "application/json; charset=utf-8"


def json_response(status: int, body, headers: dict | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # text that is not Unicode (a lone surrogate) still gets an answer, escaped
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return Response(
        data,
        status=status,
        headers=headers,
        content_type=JSON_TYPE,
    )


def correlation_id_of(request: Request) -> str:
    given = request.headers.get(CORRELATION_HEADER, "")
    return given if _CORRELATION_PATTERN.match(given) else new_id("X")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def read_json(request: Request, max_bytes: int = 1_048_576) -> dict:
    """The request's JSON object body (an empty body is ``{}``); a 400 naming the problem otherwise.

    Only what ``shared.validation.json_problems`` passes gets through: nothing any later step
    (schema, RPC, store, the error answer itself) could fail on with a 500.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise ValidationFailed.from_messages({"_body": [f"The body is larger than {max_bytes} bytes."]})
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise ValidationFailed.from_messages({"_body": [f"The body is larger than {max_bytes} bytes."]})
    if not raw.strip():
        return {}
    if not _is_json_type(request.mimetype):
        sent = request.mimetype or "no Content-Type"
        raise ValidationFailed.from_messages({"_body": [f"Send the body as application/json (it came as {sent})."]})
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationFailed.from_messages({"_body": [f"Nested deeper than {MAX_DEPTH} levels."]}) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed.from_messages({"_body": [f"The body is not valid JSON: {exc}"]}) from None
    if not isinstance(body, dict):
        raise ValidationFailed.from_messages({"_body": [NOT_AN_OBJECT]})
    problems = json_problems(body)
    if problems:
        raise ValidationFailed.from_messages(problems)
    return body


def _is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def read_upload(request: Request, max_bytes: int) -> tuple[str, str]:
    """(filename, base64 content) of a multipart upload's ``file`` field."""
    if request.content_length is not None and request.content_length > max_bytes + 64 * 1024:
        raise FileTooLarge.of("file.too_large", {"max_bytes": max_bytes}, max_mb=max_bytes // (1024 * 1024))
    request.max_content_length = max_bytes + 64 * 1024
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed.from_messages({"file": ["Send the file as multipart/form-data, field 'file'."]})
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge.of("file.too_large", {"max_bytes": max_bytes}, max_mb=max_bytes // (1024 * 1024))
    return upload.filename or "attachment", base64.b64encode(data).decode("ascii")


def file_response(download: dict) -> Response:
    """A file a service handed over: served inline, never sniffed by the browser."""
    name = quote(download["filename"])
    return Response(
        base64.b64decode(download["content"]),
        content_type=download["content_type"],
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{name}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


def query_dict(request: Request) -> dict:
    """Query parameters as a flat dict (the last value of a repeated one wins)."""
    return {key: values[-1] for key, values in request.args.lists()}


class _JsonWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except MethodNotAllowed as exc:
            response = json_response(
                405,
                {"error": "METHOD_NOT_ALLOWED", "message": f"{request.method} is not allowed here."},
                {"Allow": ", ".join(exc.valid_methods or [])},
            )
        except HTTPException as exc:
            code = exc.code or 500
            page = serve_web_app(request, self.server.container.config) if code == 404 else None
            if page is not None:
                return page(environ, start_response)
            if code == 404:
                body = {"error": "NOT_FOUND", "message": f"No endpoint {request.path}."}
            else:
                body = {
                    "error": (exc.name or "HTTP_ERROR").upper().replace(" ", "_"),
                    "message": exc.description or exc.name,
                }
            response = json_response(code, body)
        for name, value in NOSNIFF.items():  # every API answer, whatever made it
            response.headers.setdefault(name, value)
        return response(environ, start_response)


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class ApiServer(WebServer):
    """nameko's web server, answering in JSON, that checks access tokens before any work is spawned."""

    def setup(self):
        super().setup()
        self.public_key = load_public_key(self.container.config)
        self.tokens = TokenVerifier(self.public_key)
        self.clock = clock_from_config(self.container.config)
        self.trusted_proxies = setting(self.container.config, "GATEWAY_TRUSTED_PROXIES", 0, int)

    def authenticate(self, request: Request) -> str:
        """The request's verified token; ``Unauthenticated`` otherwise (a bad token never costs an RPC)."""
        token = bearer_token(request)
        self.tokens.identity(token, now=self.clock.now())
        return token

    def get_wsgi_app(self):
        return _JsonWsgiApp(self)


class ApiEndpoint(SignatureCheckedOnce, HttpRequestHandler):
    server = ApiServer()

    def __init__(
        self,
        method,
        url,
        *,
        summary="",
        description="",
        tags=(),
        body=None,
        query=None,
        responses=None,
        raises=None,
        public=False,
        **kwargs,
    ):
        self.summary = summary
        self.description = description
        self.tags = tuple(tags)
        self.body_schema = body
        self.query_schema = query
        self.responses = responses or {}
        self.raises = dict(raises or {})
        self.public = public
        kwargs.setdefault("expected_exceptions", CivicgridError)
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        request.shallow = False
        request.correlation_id = correlation_id_of(request)
        request.client_address = client_address(request, self.server.trusted_proxies)
        context = {"correlation_id": request.correlation_id}
        try:
            if not self.public:
                context[TOKEN_CONTEXT_KEY] = self.server.authenticate(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(
                self,
                args,
                kwargs,
                context_data=context,
                handle_result=partial(self.handle_result, done),
            )
            response = self.response_from_result(done.wait())
        except Exception as exc:
            response = self.error_response(exc, request.correlation_id)
        response.headers[CORRELATION_HEADER] = request.correlation_id
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            status, body = result
        else:
            status, body = 200, result
        return json_response(status, body)

    def error_response(self, exc, correlation_id):
        status, body = error_body(exc, correlation_id)
        headers = {"WWW-Authenticate": 'Bearer realm="civicgrid"'} if isinstance(exc, Unauthenticated) else None
        return json_response(status, body, headers)


api = ApiEndpoint.decorator
