"""The Chinese app says everything in Chinese: a refused action, and the note an escalation leaves in a case's
timeline — not the server's English inside a Chinese sentence ("出错了：You may not see this case."). The same
case read in English says it in English. On a platform of its own, whose clock the test moves to fire a rung."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import DESKTOP, TIMEOUT, open_action, sign_in
from tests.e2e.lifecycle import Loop
from tests.support.infra import wait_for
from tests.support.platform import running_platform

pytestmark = pytest.mark.timeout(420)
OFFICER_GRID = "610102001001001"
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
NO_CASE = "C" + "0" * 26  # well-formed, never made


@pytest.fixture(scope="module")
def platform(rabbit_admin, tmp_path_factory):
    with running_platform(
        rabbit_admin, tmp_path_factory.mktemp("texts"), "cgt", {"ESCALATION_SCAN_SECONDS": "0.3"}, start_timeout=240
    ) as running:
        yield running


def _loop(platform):
    grid = platform.as_user("operator1").get(f"/api/v1/directory/grids/{OFFICER_GRID}").json()
    ring = grid["polygon"]["coordinates"][0][:-1]
    centre = {"lon": sum(p[0] for p in ring) / len(ring), "lat": sum(p[1] for p in ring) / len(ring)}
    return Loop(platform, centre, "justice")


@pytest.fixture(scope="module")
def escalated(platform):
    """A case whose first rung ('warning') has fired, on a Monday morning in Beijing."""
    platform.set_time(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    case_id = _loop(platform).case_at("accepted")
    due = platform.as_user("operator1").get(f"/api/v1/cases/{case_id}").json()["escalation"]["next_due_at"]
    platform.set_time(datetime.fromisoformat(due) + timedelta(minutes=1))
    operator = platform.as_user("operator1")
    wait_for(
        lambda: [h for h in operator.get(f"/api/v1/cases/{case_id}/timeline").json() if h["action"] == "escalate"],
        timeout=30,
        message="the first rung fired",
    )
    return case_id


def _page(browser, platform, locale):
    context = browser.new_context(viewport=DESKTOP, locale=locale)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.add_init_script(f"localStorage.setItem('cg.lang', '{locale}')")
    sign_in(page, platform.url, "operator1")
    expect(page).to_have_url(re.compile("/command$"))
    return page


def test_the_chinese_app_shows_an_escalation_note_and_a_refused_action_in_chinese(browser, platform, escalated):
    page = _page(browser, platform, "zh-CN")
    page.goto(f"{platform.url}/cases/{escalated}")
    escalation = page.locator(".timeline li", has=page.locator(".note", has_text="升级"))
    expect(escalation.locator(".note")).to_have_text("第1级升级：预警")
    expect(escalation).to_contain_text("升级提醒")
    expect(escalation).to_contain_text("系统")
    assert not LATIN_WORD.search(escalation.inner_text()), escalation.inner_text()

    reported = _loop(platform).report("楼道堆物 重复上报")
    page.goto(f"{platform.url}/cases/{reported}")
    form = open_action(page, "merge")  # into a case that does not exist: refused by the cases service
    form.locator("input[name=target]").fill(NO_CASE)
    form.locator("button[type=submit]").click()
    refusal = page.locator(".alert").filter(has_text="出错了")
    expect(refusal).to_have_text("出错了：请合并到另一个已存在的案件。")
    assert not LATIN_WORD.search(refusal.inner_text())
    page.context.close()


def test_the_same_case_reads_in_english_for_an_english_reader(browser, platform, escalated):
    page = _page(browser, platform, "en")
    page.goto(f"{platform.url}/cases/{escalated}")
    expect(page.locator(".timeline li .note", has_text="Escalation")).to_have_text("Escalation rung 1: warning")
    page.goto(f"{platform.url}/cases/{NO_CASE}")
    expect(page.locator(".alert")).to_contain_text(f"No case {NO_CASE}.")  # (an operator may read every case)
    page.context.close()


def test_a_webhook_address_inside_the_platforms_networks_is_refused_with_its_reason(platform):
    admin = platform.as_user("admin")
    answer = admin.put("/api/v1/notifications/webhooks/justice", {"url": "http://localhost:15672/api/users"})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["error"], body["reason"], body["params"]["host"]) == (
        "UNPROCESSABLE",
        "webhook.inside_networks",
        "localhost",
    )
    assert "WEBHOOK_ALLOWED_HOSTS" in body["message"] and body["correlation_id"]
    assert all(h["department"] != "justice" for h in admin.get("/api/v1/notifications/webhooks").json()["items"])
