"""The field app on a bad network, as an officer meets it: a report whose answer is lost, or whose send meets a
server error, stays on the phone, says it will be sent again and offers no "discard" — the server may hold it — and
when the network is good it goes through as the one case the server already made. Only a definite refusal offers
"discard", saying the server recorded nothing."""

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import TIMEOUT, report_from_phone, sign_in
from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.support.files import image_bytes
from tests.support.infra import wait_for

pytestmark = pytest.mark.timeout(300)

PHONE = {"width": 360, "height": 740}
REPORTS = "**/api/v1/reports"  # the report itself, not its photos (…/reports/attachments)


@pytest.fixture
def phone(browser, platform, grid_centre):
    centre = grid_centre(OFFICER_GRID)
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        geolocation={"latitude": centre["lat"], "longitude": centre["lon"]},
        permissions=["geolocation"],
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    sign_in(page, platform.url, OFFICER)
    expect(page).to_have_url(re.compile("/field$"))
    yield page
    context.close()


def _cases_described(platform, description):
    api = platform.as_user(OFFICER)
    me = api.get("/api/v1/me").json()["user_id"]
    return [
        c for c in api.get(f"/api/v1/cases?reporter={me}&limit=200").json()["items"] if c["description"] == description
    ]


def test_a_report_the_server_may_hold_is_kept_and_sent_again_never_offered_for_discarding(platform, phone):
    description = f"井盖缺失 {uuid.uuid4().hex[:6]} (answer lost)"
    reached = []

    def answer_lost_then_server_error(route):
        reached.append(route.request.post_data_json["idempotency_key"])
        route.fetch()  # the server receives it, and makes the case...
        if len(reached) == 1:
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.fulfill(status=503, content_type="application/json", body=json.dumps({"message": "busy"}))

    phone.route(REPORTS, answer_lost_then_server_error)
    report_from_phone(phone, description, image_bytes("PNG", size=(64, 48)))
    entry = phone.locator(".waiting li", has_text=description[:20])
    expect(entry).to_have_attribute("data-state", "unconfirmed")
    expect(entry).to_contain_text("可能已经收到")
    expect(entry.get_by_role("button", name="删除")).to_have_count(0)
    wait_for(lambda: len(_cases_described(platform, description)) == 1, timeout=30, message="the case the server made")

    entry.get_by_role("button", name="立即发送").click()  # the server answers 503 this time
    expect(entry).to_contain_text("服务器暂时出错（503）")
    expect(entry.get_by_role("button", name="删除")).to_have_count(0)

    phone.unroute(REPORTS)
    entry.get_by_role("button", name="立即发送").click()
    expect(phone.locator("#queued-count")).to_have_attribute("data-count", "0", timeout=TIMEOUT)
    case_id = _cases_described(platform, description)[0]["case_id"]
    expect(phone.locator("#report-status")).to_contain_text(case_id)
    assert len(set(reached)) == 1  # one key for every send
    assert len(_cases_described(platform, description)) == 1


def test_a_definite_refusal_says_nothing_was_recorded_and_offers_discarding(platform, phone):
    description = f"路灯不亮 {uuid.uuid4().hex[:6]} (refused)"
    phone.route(
        REPORTS,
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body=json.dumps(
                {
                    "error": "UNKNOWN_CATEGORY",
                    "message": "Unknown category 'dispute'.",
                    "reason": "category.unknown",
                    "params": {"category": "dispute"},
                    "details": {"category": "dispute"},
                }
            ),
        ),
    )
    report_from_phone(phone, description, image_bytes("PNG", size=(64, 48)))
    entry = phone.locator(".waiting li", has_text=description[:20])
    expect(entry).to_have_attribute("data-state", "refused")
    # worded in the phone's language from the error's key, never the server's English (issue 14, item 14)
    expect(entry).to_contain_text("服务器拒绝了这条上报，没有立案：未知类别 dispute。")
    entry.get_by_role("button", name="删除").click()
    expect(phone.locator("#queued-count")).to_have_attribute("data-count", "0")
    phone.unroute(REPORTS)
    assert _cases_described(platform, description) == []
