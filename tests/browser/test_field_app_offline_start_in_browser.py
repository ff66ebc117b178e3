"""The field app as an installable PWA, tried as an officer meets it: loaded once, it opens with no network after
the phone closed the tab — the app from the device, the officer's grids, the categories and the map outlines
kept from the last time — says clearly that it is offline, keeps a report with its photo on the phone, and sends it
when the network returns, as exactly one case. A new version of the app taking over meanwhile loses nothing that
waits on the phone. (docs/ui.md, "The field app offline".)"""

import re
import uuid
from contextlib import contextmanager, suppress

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import TIMEOUT, report_from_phone, shot, sign_in
from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.support.files import image_bytes
from tests.support.infra import wait_for

pytestmark = pytest.mark.timeout(300)

PHONE = {"width": 360, "height": 740}
REPORTS = "**/api/v1/reports"  # the report itself, not its photos (…/reports/attachments)
CONTROLLED = "() => Boolean(navigator.serviceWorker.controller)"


@pytest.fixture
def phone_context(browser, platform, grid_centre):
    centre = grid_centre(OFFICER_GRID)
    # a context has only the permissions it names; Chrome grants Background Sync by default
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        geolocation={"latitude": centre["lat"], "longitude": centre["lon"]},
        permissions=["geolocation", "background-sync"],
        has_touch=True,
        is_mobile=True,
        service_workers="allow",
    )
    context.set_default_timeout(TIMEOUT)
    yield context
    context.close()


def _installed(context, url):
    """Sign the officer in and wait until the app is kept on the device (its service worker controls the page)."""
    page = context.new_page()
    sign_in(page, url, OFFICER)
    expect(page).to_have_url(re.compile("/field$"))
    page.wait_for_function(CONTROLLED)
    # the field page read the categories and the grid map: the device keeps them for the next, offline, start
    expect(page.locator("#report-map .map-label").first).to_be_attached()
    page.wait_for_function("async () => Boolean(await caches.match('/api/v1/directory/grid-map'))")
    return page


def _cases_described(platform, description):
    api = platform.as_user(OFFICER)
    me = api.get("/api/v1/me").json()["user_id"]
    return [
        c for c in api.get(f"/api/v1/cases?reporter={me}&limit=200").json()["items"] if c["description"] == description
    ]


@contextmanager
def _deployed_new_version(worker, old_version, new_version):
    """The served build gets a new service worker (its version, so its cache's name, changed), then its own back."""
    served = worker.read_text()
    worker.write_text(served.replace(old_version, new_version))
    try:
        yield
    finally:
        worker.write_text(served)


def _waiting(page):
    return page.locator("#queued-count")


def test_the_field_app_opens_offline_after_the_tab_was_closed_and_its_report_arrives_once(
    platform, phone_context, screenshots
):
    description = f"下水道堵塞 {uuid.uuid4().hex[:6]} (offline start)"
    first = _installed(phone_context, platform.url)
    # Chromium's own check: the manifest, its icons and the service worker make the app installable (a test's
    # context is a private window, which is the one thing that keeps it from installing here)
    problems = phone_context.new_cdp_session(first).send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert {problem["errorId"] for problem in problems} <= {"in-incognito"}, problems
    first.close()  # the phone killed the tab...

    phone_context.set_offline(True)  # ...and the officer is in a basement
    phone = phone_context.new_page()
    answer = phone.goto(f"{platform.url}/field")
    assert answer.from_service_worker  # the app from the device, not from the server
    expect(phone.get_by_role("heading", name="信息上报")).to_be_visible()
    banner = phone.locator("#net-status")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("离线")
    expect(banner).to_contain_text("应用从本机打开")
    # the categories, with their extra fields, and the officer's grid on the map, as kept from the last start
    expect(phone.get_by_label("问题类别").locator("option[value=dispute]")).to_have_count(1)
    expect(phone.locator("#report-map .map-label").first).to_be_attached()

    report_from_phone(phone, description, image_bytes("PNG", size=(64, 48)))
    expect(_waiting(phone)).to_have_attribute("data-count", "1")
    expect(phone.locator("#report-status")).to_contain_text("已保存在本机")
    expect(banner).to_contain_text("本机待发送：1 条")
    shot(phone, screenshots, "field-offline-banner")
    phone.wait_for_timeout(3000)
    assert _cases_described(platform, description) == []  # nothing left the phone

    phone_context.set_offline(False)
    expect(_waiting(phone)).to_have_attribute("data-count", "0", timeout=30_000)
    expect(banner).to_be_hidden()
    case = wait_for(lambda: _cases_described(platform, description) or None, timeout=30, message="the case")[0]
    expect(phone.locator("#report-status")).to_contain_text(case["case_id"])
    detail = platform.as_user(OFFICER).get(f"/api/v1/cases/{case['case_id']}").json()
    assert len(detail["attachments"]) == 1  # the photo, uploaded once
    phone.wait_for_timeout(3000)  # every sender (the page, its timer, the service worker) has had its turn
    assert len(_cases_described(platform, description)) == 1


def test_a_new_version_taking_over_keeps_the_report_waiting_on_the_phone(platform, phone_context, web_build):
    description = f"路面塌陷 {uuid.uuid4().hex[:6]} (new version)"
    phone = _installed(phone_context, platform.url)
    old_cache = phone.evaluate("async () => (await caches.keys()).find((n) => n.startsWith('civicgrid-shell-'))")

    # the report waits on the phone: the server cannot be reached for it (the page's and the worker's sends alike)
    phone_context.route(REPORTS, lambda route: route.abort("internetdisconnected"))
    report_from_phone(phone, description, image_bytes("PNG", size=(64, 48)))
    expect(_waiting(phone)).to_have_attribute("data-count", "1")

    # a new version is deployed: a new service worker, which installs and takes over the open page
    with _deployed_new_version(web_build / "sw.js", old_cache, old_cache + "-next"):
        phone.evaluate("""() => new Promise((resolve) => {
            navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
            navigator.serviceWorker.getRegistration().then((registration) => registration.update());
        })""")
    # the old version's files are gone...
    phone.wait_for_function(f"""async () => (await caches.keys()).filter((n) => n.startsWith('civicgrid-shell-'))
                                .join() === '{old_cache}-next'""")

    phone.reload()
    expect(phone.get_by_role("heading", name="信息上报")).to_be_visible()
    entry = phone.locator(".waiting li", has_text=description[:20])
    expect(entry).to_have_count(1)  # ...the report is not
    expect(_waiting(phone)).to_have_attribute("data-count", "1")

    phone_context.unroute(REPORTS)
    with suppress(PlaywrightError):  # unless the page's own 20-second round was quicker
        entry.get_by_role("button", name="立即发送").click(timeout=3000)
    expect(_waiting(phone)).to_have_attribute("data-count", "0", timeout=30_000)
    wait_for(lambda: len(_cases_described(platform, description)) == 1, timeout=30, message="one case")
    phone.wait_for_timeout(3000)
    assert len(_cases_described(platform, description)) == 1


def test_the_service_worker_sends_the_queue_when_the_network_returns_with_the_app_closed(platform, phone_context):
    description = f"违章搭建 {uuid.uuid4().hex[:6]} (background sync)"
    phone = _installed(phone_context, platform.url)
    phone_context.set_offline(True)
    report_from_phone(phone, description, image_bytes("PNG", size=(64, 48)))
    expect(_waiting(phone)).to_have_attribute("data-count", "1")
    phone.close()  # nothing of the app is open when the network returns: only the service worker can send

    phone_context.set_offline(False)
    wait_for(lambda: _cases_described(platform, description) or None, timeout=60, message="the case sent by the worker")
    later = phone_context.new_page()
    later.goto(f"{platform.url}/field")
    expect(_waiting(later)).to_have_attribute("data-count", "0")
    later.wait_for_timeout(3000)
    assert len(_cases_described(platform, description)) == 1


# What the version before the service worker kept: the queue alone, in version 1 of the database.
QUEUE_OF_VERSION_1 = """async ({ key, description, lat, lon }) => {
  const db = await new Promise((resolve, reject) => {
    const opening = indexedDB.open('civicgrid-field', 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore('outbox', { keyPath: 'idempotency_key' });
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  const png = await (await fetch('/icon-192.png')).blob();
  await new Promise((resolve) => {
    const writing = db.transaction('outbox', 'readwrite');
    writing.objectStore('outbox').put({ idempotency_key: key, created_at: new Date().toISOString(), error: null,
      payload: { category: 'sanitation', description, location: { lat, lon }, attributes: {}, idempotency_key: key },
      photos: [new File([png], 'scene.png', { type: 'image/png' })], uploaded: [] });
    writing.oncomplete = resolve;
  });
  db.close();
}"""


def test_a_report_waiting_in_the_queue_of_the_version_before_is_sent_once_by_this_one(
    platform, phone_context, grid_centre
):
    description = f"垃圾堆积 {uuid.uuid4().hex[:6]} (kept by the version before)"
    page = phone_context.new_page()
    page.goto(f"{platform.url}/login")
    centre = grid_centre(OFFICER_GRID)
    page.evaluate(QUEUE_OF_VERSION_1, {"key": str(uuid.uuid4()), "description": description, **centre})

    sign_in(page, platform.url, OFFICER)  # the database moves to version 2; the queue stays and is sent
    expect(page).to_have_url(re.compile("/field$"))
    expect(_waiting(page)).to_have_attribute("data-count", "0", timeout=30_000)
    case = wait_for(lambda: _cases_described(platform, description) or None, timeout=30, message="the case")[0]
    assert len(platform.as_user(OFFICER).get(f"/api/v1/cases/{case['case_id']}").json()["attachments"]) == 1
    page.wait_for_timeout(3000)
    assert len(_cases_described(platform, description)) == 1
