"""The gateway serves the web app at / without ever shadowing the API, its docs or health."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.webapp import _file_in, is_app_path, serve, ui_config


def request(path, method="GET"):
    return Request(EnvironBuilder(path=path, method=method).get_environ())


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>civicgrid</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "civicgrid"}')
    return {"WEB_DIST_DIR": str(tmp_path)}


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/api", "/docs", "/docs/static/x.css", "/openapi.json", "/healthz", "/readyz"]
)
def test_api_docs_and_health_paths_are_never_the_apps(path, dist):
    assert not is_app_path(path)
    assert serve(request(path), dist) is None


@pytest.mark.parametrize("path", ["/", "/field", "/cases/C01ABC", "/command", "/login"])
def test_client_routes_get_the_index_page(path, dist):
    answer = serve(request(path), dist)
    assert answer.status_code == 200
    assert b"<title>civicgrid" in answer.get_data()
    assert answer.headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(dist):
    answer = serve(request("/assets/index-abc123.js"), dist)
    assert answer.status_code == 200
    assert answer.mimetype in ("text/javascript", "application/javascript")
    assert "immutable" in answer.headers["Cache-Control"]


def test_a_missing_asset_is_a_404_not_the_index(dist):
    assert serve(request("/assets/gone-123.js"), dist).status_code == 404


def test_nothing_outside_the_build_is_served(dist, tmp_path):
    (tmp_path.parent / "secret.txt").write_text("secret")
    assert _file_in(tmp_path, "/../secret.txt") is None
    assert _file_in(tmp_path, "/favicon.svg") == (tmp_path / "favicon.svg").resolve()


def test_only_reads_are_answered(dist):
    assert serve(request("/field", method="POST"), dist) is None


def test_without_a_build_the_page_says_how_to_make_one(tmp_path):
    answer = serve(request("/"), {"WEB_DIST_DIR": str(tmp_path / "none")})
    assert answer.status_code == 503
    assert b"make web" in answer.get_data()


def test_the_app_is_told_its_tile_server_if_any(dist):
    assert ui_config({}) == {"tile_url": "", "tile_attribution": "", "tile_max_zoom": 18}
    configured = {**dist, "UI_TILE_URL": "https://t.example/{z}/{x}/{y}.png", "UI_TILE_MAX_ZOOM": "17"}
    answer = serve(request("/ui-config.json"), configured)
    assert answer.json == {"tile_url": "https://t.example/{z}/{x}/{y}.png", "tile_attribution": "", "tile_max_zoom": 17}


def _directives(answer) -> dict:
    policy = answer.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.parametrize("path", ["/", "/cases/C01ABC", "/assets/index-abc123.js", "/ui-config.json"])
def test_every_page_of_the_app_runs_only_its_own_scripts_and_is_never_framed(path, dist):
    answer = serve(request(path), dist)
    csp = _directives(answer)
    assert csp["script-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "tile_url, source",
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"),
        ("https://t{s}.example.cn/{z}/{x}/{y}.png", "https:"),
    ],
)
def test_map_tiles_may_come_from_the_configured_tile_server_only(tile_url, source, dist):
    images = _directives(serve(request("/"), {**dist, "UI_TILE_URL": tile_url}))["img-src"]
    assert images == ["'self'", "data:", "blob:", source]
    assert _directives(serve(request("/"), dist))["img-src"] == ["'self'", "data:", "blob:"]


def test_the_service_worker_and_manifest_are_asked_for_again_every_time(dist):
    # a new build is a new sw.js: a copy cached for five minutes would hold the old version back
    worker = serve(request("/sw.js"), dist)
    assert worker.status_code == 200 and worker.mimetype in ("text/javascript", "application/javascript")
    assert worker.headers["Cache-Control"] == "no-cache"
    manifest = serve(request("/manifest.webmanifest"), dist)
    assert manifest.content_type == "application/manifest+json; charset=utf-8"
    assert manifest.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest"])
def test_the_service_worker_and_manifest_come_under_the_apps_own_policy(path, dist):
    # allowed from the gateway itself and nowhere else: the policy names them, it is not loosened for them
    csp = _directives(serve(request(path), dist))
    assert csp["worker-src"] == ["'self'"] and csp["manifest-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
