"""The case page's other actions, as the people who take them would: an operator rejects a report, merges a
duplicate, suspends and resumes a case; a department returns one that is not theirs and asks for more time; a
supervisor grants it and cancels a prank. Each form is the one the case's ``allowed_actions`` offers, and the
page then shows the case as the action left it."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import contexts, open_action, sign_in, submit_action  # noqa: F401
from tests.e2e.conftest import OFFICER_GRID
from tests.e2e.lifecycle import Loop

# a platform of its own may start inside the first test, on two loaded cores: allow for it
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def loop(platform, grid_centre):
    return Loop(platform, grid_centre(OFFICER_GRID), "justice")


def _page(platform, contexts, username):  # noqa: F811 - the fixture's value
    page = contexts["desktop"]().new_page()
    sign_in(page, platform.url, username)
    expect(page).to_have_url(re.compile("/(command|worklist)$"))
    return page


def _case_page(page, platform, case_id):
    page.goto(f"{platform.url}/cases/{case_id}")
    expect(page.locator("h1")).to_contain_text(case_id)


def _status(page, status):
    expect(page.locator(f".badge.status-{status}")).to_have_count(1)


def _tag():
    return uuid.uuid4().hex[:6]


def test_an_operator_rejects_merges_suspends_and_resumes(platform, contexts, loop):  # noqa: F811
    operator = _page(platform, contexts, "operator1")

    rejected = loop.report(f"不是问题 {_tag()}")
    _case_page(operator, platform, rejected)
    form = open_action(operator, "reject")
    form.locator("textarea").fill("属于正常施工，不予立案")
    submit_action(operator, form, "不予立案")
    _status(operator, "rejected")
    expect(operator.locator("details[data-action='register'], details[data-action='dispatch']")).to_have_count(0)

    original, duplicate = loop.report(f"楼道堆物 {_tag()}"), loop.report(f"楼道堆物 重复 {_tag()}")
    _case_page(operator, platform, duplicate)
    form = open_action(operator, "merge")
    form.locator("input[name=target]").fill(original)
    submit_action(operator, form, "合并")
    _status(operator, "merged")

    suspended = loop.case_at("dispatched")
    _case_page(operator, platform, suspended)
    form = open_action(operator, "suspend")
    form.locator("textarea").fill("业主外出，等待联系")
    submit_action(operator, form, "挂起")
    expect(operator.locator(".flags .badge", has_text="已挂起")).to_have_count(1)
    submit_action(operator, open_action(operator, "resume"), "恢复")
    expect(operator.locator(".flags .badge", has_text="已挂起")).to_have_count(0)
    _status(operator, "dispatched")


def test_a_department_returns_a_case_and_asks_for_time_which_a_supervisor_grants(platform, contexts, loop):  # noqa: F811
    handler = _page(platform, contexts, "handler-justice-1")

    not_ours = loop.case_at("dispatched")
    _case_page(handler, platform, not_ours)
    form = open_action(handler, "return")
    form.locator("textarea").fill("不属于本部门职责")
    submit_action(handler, form, "退回")
    # the department no longer holds it: nothing of the department's work is offered any more
    expect(handler.locator("details[data-action='accept'], details[data-action='resolve']")).to_have_count(0)
    assert loop.operator.get(f"/api/v1/cases/{not_ours}").json()["status"] == "registered"

    needs_time = loop.case_at("accepted")
    _case_page(handler, platform, needs_time)
    form = open_action(handler, "request_extension")
    form.locator("textarea").fill("需要吊车，明天才能到")
    form.locator("input[name=hours]").fill("24")
    submit_action(handler, form, "申请延期")
    deadline_before = loop.operator.get(f"/api/v1/cases/{needs_time}").json()["deadline"]

    supervisor = _page(platform, contexts, "supervisor")
    _case_page(supervisor, platform, needs_time)
    submit_action(supervisor, open_action(supervisor, "approve_extension"), "批准延期")
    assert loop.operator.get(f"/api/v1/cases/{needs_time}").json()["deadline"] > deadline_before

    prank = loop.case_at("dispatched")
    _case_page(supervisor, platform, prank)
    form = open_action(supervisor, "cancel")
    form.locator("textarea").fill("恶意举报")
    submit_action(supervisor, form, "作废")
    _status(supervisor, "cancelled")
