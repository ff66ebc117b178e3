"""The headers that keep a browser from turning the platform against its own users.

Every answer is ``nosniff`` (a JSON body or an uploaded file is never run as a script or
page). The web app and the API documentation, the two HTML pages, also carry a
Content-Security-Policy: scripts only from the gateway itself (no inline script, no
``eval``), and never framed by another site (``frame-ancestors 'none'``, clickjacking).
Map tiles may come from the tile server the configuration names (``UI_TILE_URL``).
"""

import re
from urllib.parse import urlparse

NOSNIFF = {"X-Content-Type-Options": "nosniff"}

_COMMON = {
    "default-src": "'self'",
    "script-src": "'self'",
    "connect-src": "'self'",
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _policy(directives: dict) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def tile_source(tile_url: str) -> str | None:
    """The CSP source that admits a tile template's server (``https://{s}.tile.example.org/{z}/{x}/{y}.png``)."""
    parsed = urlparse(tile_url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    host = re.sub(r"^\{[^}]*\}\.", "*.", parsed.netloc)  # a subdomain template: any subdomain
    if "{" in host or "}" in host:  # a template elsewhere in the host cannot be named: the scheme can
        return f"{parsed.scheme}:"
    return f"{parsed.scheme}://{host}"


def app_policy(tile_url: str = "") -> str:
    """The web app's policy."""
    images = " ".join(filter(None, ("'self' data: blob:", tile_source(tile_url))))
    return _policy(
        {**_COMMON, "style-src": "'self'", "img-src": images, "worker-src": "'self'", "manifest-src": "'self'"}
    )


DOCS_POLICY = _policy({**_COMMON, "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:"})


def app_headers(tile_url: str = "") -> dict:
    return {
        **NOSNIFF,
        "Content-Security-Policy": app_policy(tile_url),
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


DOCS_HEADERS = {
    **NOSNIFF,
    "Content-Security-Policy": DOCS_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
