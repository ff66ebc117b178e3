import mimetypes
import tomllib
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from gateway.http import api, json_response
from gateway.openapi import build_spec
from gateway.security import DOCS_HEADERS

_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>civicgrid API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/start.js"></script>
</body></html>"""
# a file of its own, not an inline script: the page's Content-Security-Policy runs scripts from files only
_START = 'window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});\n'
_STATIC_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"}


def _version() -> str:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text())["project"]["version"]
    except (OSError, KeyError):
        return "unknown"


class DocsApi:
    _spec_cache: dict | None = None

    @api(
        "GET",
        "/openapi.json",
        summary="This document",
        tags=["operations"],
        public=True,
        responses={200: ("OpenAPI 3.", {"type": "object"})},
    )
    def openapi(self, request):
        if DocsApi._spec_cache is None:
            DocsApi._spec_cache = build_spec(type(self), _version())
        return json_response(200, DocsApi._spec_cache)

    @api(
        "GET",
        "/docs",
        summary="Browsable API documentation",
        tags=["operations"],
        public=True,
        responses={200: ("Swagger UI.", {"text/html": {"type": "string"}})},
    )
    def docs(self, request):
        return Response(_INDEX, content_type="text/html; charset=utf-8", headers=DOCS_HEADERS)

    @api(
        "GET",
        "/docs/static/<name>",
        summary="Documentation assets",
        tags=["operations"],
        public=True,
        responses={200: ("The file.", {"*/*": {"type": "string", "format": "binary"}})},
    )
    def docs_static(self, request, name):
        if name == "start.js":
            return Response(
                _START,
                content_type="text/javascript; charset=utf-8",
                headers={"Cache-Control": "public, max-age=86400", **DOCS_HEADERS},
            )
        if name not in _STATIC_FILES:
            return json_response(404, {"error": "NOT_FOUND", "message": "No such file."})
        data = (swagger_ui_path / name).read_bytes()
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(data, content_type=mime, headers={"Cache-Control": "public, max-age=86400"})
