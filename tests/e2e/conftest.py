import pytest

from tests.support.notify import SmtpServer
from tests.support.platform import platform_databases, running_platform

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def smtp(tmp_path_factory):
    """The platform's mail goes to a real SMTP server on localhost; tests read what arrived."""
    server = SmtpServer(tmp_path_factory.mktemp("smtp"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def platform(rabbit_admin, tmp_path_factory, smtp):
    mail = {
        "EMAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "none",
        "SSE_KEEPALIVE_SECONDS": "1",
        "SSE_CATCH_UP_SECONDS": "1",
        # the suite files hundreds of cases for the same few people within minutes: digests (tested in
        # tests/integration/test_notifications.py) would hold the mail these tests look for
        "DIGEST_THRESHOLD": "1000000",
        # a message claimed by a process that died goes out again once this lapses (test_crash_recovery.py)
        "DELIVERY_LEASE_SECONDS": "6",
        # and a scan whose lease a killed process held is taken over once that lapses
        "SCAN_LEASE_SECONDS": "6",
        "LEASE_SKEW_SECONDS": "2",
        # as if behind one reverse proxy: test_access_changes.py signs in from addresses of its choosing
        "GATEWAY_TRUSTED_PROXIES": "1",
        # 回访: an unsatisfied rating reopens the case (test_open311_public.py); nothing else rates
        "RATING_UNSATISFIED_REOPENS": "1",
        # the public's contact details go CONTACT_RETENTION_DAYS after the case ended: looked for every second
        "CONTACT_SWEEP_SECONDS": "1",
    }
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("platform"), "cge", mail) as running:
        yield running


@pytest.fixture
def store(platform):
    """Direct read access to the platform's databases, for what a test must verify at the source."""
    with platform_databases(platform) as database:
        yield database


OFFICER = "officer-610102001001001"
OFFICER_GRID = "610102001001001"


@pytest.fixture(scope="session")
def grid_centre(platform):
    """A point well inside a grid of the demo district (the mean of its outer ring)."""

    def centre(code: str) -> dict:
        grid = platform.as_user("operator1").get(f"/api/v1/directory/grids/{code}").json()
        polygon = grid["polygon"]
        ring = (polygon["coordinates"][0] if polygon["type"] == "Polygon" else polygon["coordinates"][0][0])[:-1]
        return {"lon": sum(p[0] for p in ring) / len(ring), "lat": sum(p[1] for p in ring) / len(ring)}

    return centre


# -- Open311 (test_open311.py, test_open311_public.py) --------------------------------------------------------------

DISTRICT = "610102"


@pytest.fixture(scope="module")
def root(platform):
    return f"{platform.url}/open311/v2"


@pytest.fixture(scope="module")
def api_key(platform):
    """The demo app's key, which `make run` writes to var/demo-open311-key."""
    return (platform.workdir / "var" / "demo-open311-key").read_text().strip()


@pytest.fixture(scope="module")
def client(root):
    """`georeport`, the PyPI client the project did not write, reading every GET."""
    from georeport import GeoReport

    return GeoReport(root, jurisdiction=DISTRICT)


@pytest.fixture(scope="module")
def spot(grid_centre):
    return grid_centre(OFFICER_GRID)


@pytest.fixture(scope="module")
def officer(platform):
    """The grid officer of OFFICER_GRID, signed in."""
    return platform.as_user(OFFICER)
