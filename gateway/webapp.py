"""The web console and field app (``web/``, built into ``web/dist``), served at ``/``.

Anything the API's URL map does not answer and that is not under a reserved prefix
(``/api``, ``/docs``, ``/openapi.json``, ``/healthz``, ``/readyz``) is a page of the
app: a built file if there is one (hashed ``/assets/…`` cached for a year), otherwise
``index.html``, whose router draws the page (``/field``, ``/cases/C01…``). The service
worker (``/sw.js``) and the manifest are asked for again each time. Without a build,
``/`` says how to make one. ``/ui-config.json`` hands the app its settings
(map tiles), read from the gateway's configuration.
"""

import json
import mimetypes
from pathlib import Path

from werkzeug.wrappers import Request, Response

from gateway.security import app_headers
from shared.config import setting

ROOT = Path(__file__).resolve().parents[1]
RESERVED = ("/api/", "/docs/")
RESERVED_EXACT = {"/api", "/docs", "/openapi.json", "/healthz", "/readyz"}
# The service worker and the web app manifest name the files of the current build: a browser asks again every time
# (a new build is a new service worker, which then takes over, docs/ui.md).
REVALIDATED = {"/sw.js", "/manifest.webmanifest"}
MANIFEST = "application/manifest+json"
MIME_TYPES = {".webmanifest": MANIFEST}  # not in every system's mime.types
_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>civicgrid</title></head>
<body><h1>civicgrid</h1>
<p>The web app has not been built. Run <code>make web</code> (or <code>make run</code>, which builds it),
or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p>
<p>网页端尚未构建：请运行 <code>make web</code>。</p>
<p>The API is at <a href="/api/v1/">/api/v1/</a>, its documentation at <a href="/docs">/docs</a>.</p>
</body></html>"""


def is_app_path(path: str) -> bool:
    """Whether ``path`` may be answered by the web app (never an API, docs or health path)."""
    return path not in RESERVED_EXACT and not path.startswith(RESERVED)


def dist_dir(config: dict) -> Path:
    return Path(setting(config, "WEB_DIST_DIR", str(ROOT / "web" / "dist")))


def ui_config(config: dict) -> dict:
    """The settings the browser needs: map tiles are optional (the map works on a plain background)."""
    return {
        "tile_url": setting(config, "UI_TILE_URL", ""),
        "tile_attribution": setting(config, "UI_TILE_ATTRIBUTION", ""),
        "tile_max_zoom": setting(config, "UI_TILE_MAX_ZOOM", 18, int),
    }


def serve(request: Request, config: dict) -> Response | None:
    """The web app's answer to ``request``; None when the path is not the app's."""
    path = request.path
    if request.method not in ("GET", "HEAD") or not is_app_path(path):
        return None
    security = app_headers(setting(config, "UI_TILE_URL", ""))
    if path == "/ui-config.json":
        return Response(
            json.dumps(ui_config(config)),
            content_type="application/json; charset=utf-8",
            headers={"Cache-Control": "no-cache", **security},
        )
    dist = dist_dir(config)
    index = dist / "index.html"
    if not index.is_file():
        return Response(
            _NOT_BUILT,
            status=503,
            content_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store", **security},
        )
    wanted = _file_in(dist, path)
    if wanted is not None and wanted.name != "index.html":
        immutable = path.startswith("/assets/")
        cache = (
            "public, max-age=31536000, immutable"
            if immutable
            else "no-cache"
            if path in REVALIDATED
            else "public, max-age=300"
        )
        mime = MIME_TYPES.get(wanted.suffix) or mimetypes.guess_type(wanted.name)[0] or "application/octet-stream"
        if mime.startswith("text/") or mime in ("application/javascript", "application/json", MANIFEST):
            mime += "; charset=utf-8"
        return Response(wanted.read_bytes(), content_type=mime, headers={"Cache-Control": cache, **security})
    if path.startswith("/assets/") or Path(path).suffix in (".js", ".css", ".png", ".svg", ".ico", ".map"):
        return Response("Not found", status=404, content_type="text/plain; charset=utf-8", headers=security)
    return Response(
        index.read_bytes(), content_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache", **security}
    )


def _file_in(dist: Path, path: str) -> Path | None:
    """The file under ``dist`` that ``path`` names, never one outside it."""
    relative = path.lstrip("/")
    if not relative:
        return None
    candidate = (dist / relative).resolve()
    try:
        candidate.relative_to(dist.resolve())
    except ValueError:
        return None
    return candidate if candidate.is_file() else None
