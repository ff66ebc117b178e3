"""Browser tests: headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, against the platform
started as `make run` starts it (its own instance, its own clock). Screenshots go to the run's basetemp."""

import os
import shutil
import subprocess
from pathlib import Path

import eventlet
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import grid_centre, platform, smtp  # noqa: F401 - the same platform fixtures as e2e
from tests.support.platform import ROOT

pytestmark = pytest.mark.browser

# Playwright's 5 s default is short for a 2-core CI box that runs the platform, the browser and the test at once
expect.set_options(timeout=15_000)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def web_build():
    """The built app (make web): built here if missing, so `pytest tests/browser` works on its own."""
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        if not shutil.which("npm"):
            pytest.fail("the web app is not built and npm is missing: apt-get install nodejs npm, then make web")
        subprocess.run(["make", "web"], cwd=ROOT, check=True)
    return ROOT / "web" / "dist"


@pytest.fixture(scope="session")
def browser(web_build):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install -y chromium")
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    # Playwright's shutdown can wait forever inside eventlet's hub (tests/conftest.py monkey-patches): bounded. Its
    # driver's stop always does here: asyncio never hears that the driver exited (it has: it ends when its pipe
    # closes, and killing it changes nothing), so a longer bound only lengthens every run (it was 15 s).
    for step, bound in ((launched.close, 15), (playwright.stop, 2)):
        try:
            with eventlet.Timeout(bound):
                step()
        except (Exception, eventlet.Timeout):
            pass


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nbrowser screenshots: {folder}")
    yield folder
    print(f"\nbrowser screenshots saved in {folder}")
