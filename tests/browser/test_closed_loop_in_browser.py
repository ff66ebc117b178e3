"""The closed loop through the web pages, as the people would do it: an officer reports from the phone page
(once while offline), the report appears live in the command centre, the operator registers and dispatches it,
the department signs for it and resolves it with a photo, the officer verifies it, the operator closes it, and the
dashboard counts it."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.files import image_bytes
from tests.support.infra import wait_for
from tests.support.platform import DEMO_PASSWORD

# a platform of its own may start inside the first test, on two loaded cores: allow for it
pytestmark = pytest.mark.timeout(300)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT = 20_000


def watch_policy(context, refused: list) -> None:
    """Every Content-Security-Policy refusal on the context's pages goes into ``refused``.

    Listened to on the context: registering a page's listener from inside the context's "page" event hung the
    sync API under eventlet (the first page never finished loading)."""
    context.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )


def sign_in(page, url, username):
    page.goto(f"{url}/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("密码|Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()


def shot(page, folder, name):
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def report_from_phone(page, description, photo):
    page.get_by_label("问题类别").select_option("dispute")
    page.locator("select[data-code]").first.select_option(index=1)
    page.get_by_label("问题描述").fill(description)
    page.get_by_role("button", name="使用 GPS 定位").click()
    expect(page.locator("#where")).to_contain_text("已选位置", timeout=TIMEOUT)
    page.get_by_label(re.compile("照片")).set_input_files(
        [{"name": "scene.png", "mimeType": "image/png", "buffer": photo}]
    )
    page.get_by_role("button", name="上报", exact=True).click()


def submit_action(page, form, done):
    """Submit an action form and wait for the page to confirm it; a failure says what the page showed instead."""
    form.locator("button[type=submit]").click()
    try:
        expect(page.locator(".alert-ok")).to_contain_text(done, timeout=TIMEOUT)
    except AssertionError as error:
        raise AssertionError(
            f"'{done}' was not confirmed; the page shows {page.locator('.alert').all_inner_texts()}"
        ) from error


def open_action(page, action):
    form = page.locator(f"details[data-action='{action}']")
    form.locator("summary").click()
    expect(form.locator("button[type=submit]")).to_be_visible()
    return form


@pytest.fixture
def contexts(browser, platform, grid_centre):
    """Browser contexts; whatever the pages did, the app's Content-Security-Policy refused none of it."""
    made, refused = [], []

    def new(viewport, **kwargs):
        context = browser.new_context(viewport=viewport, locale="zh-CN", **kwargs)
        context.set_default_timeout(TIMEOUT)
        watch_policy(context, refused)
        made.append(context)
        return context

    centre = grid_centre(OFFICER_GRID)
    yield {
        "phone": lambda: new(
            PHONE,
            geolocation={"latitude": centre["lat"], "longitude": centre["lon"]},
            permissions=["geolocation"],
            has_touch=True,
            is_mobile=True,
        ),
        "desktop": lambda: new(DESKTOP),
    }
    for context in made:
        context.close()
    assert not refused, f"the Content-Security-Policy refused what the app does: {refused}"


def test_a_report_goes_round_the_loop_in_the_browser(platform, contexts, screenshots):
    import traceback

    try:
        _loop(platform, contexts, screenshots)
    except BaseException:
        traceback.print_exc()
        raise


def _loop(platform, contexts, screenshots):
    url = platform.url
    tag = uuid.uuid4().hex[:6]
    first, second = f"楼道堆物纠纷 {tag} A", f"噪音纠纷 {tag} B (offline)"
    photo = image_bytes("PNG", size=(64, 48))

    # the operator watches the command centre
    operator = contexts["desktop"]().new_page()
    sign_in(operator, url, "operator1")
    expect(operator).to_have_url(re.compile("/command$"))
    expect(operator.locator(".live")).to_have_attribute("data-state", "open", timeout=TIMEOUT)
    expect(operator.locator("#district-map .leaflet-container, #district-map.leaflet-container")).to_have_count(1)

    # the officer reports from the phone page
    phone_context = contexts["phone"]()
    officer = phone_context.new_page()
    sign_in(officer, url, OFFICER)
    expect(officer).to_have_url(re.compile("/field$"))
    report_from_phone(officer, first, photo)
    expect(officer.locator("#report-status")).to_contain_text("已上报", timeout=TIMEOUT)
    shot(officer, screenshots, "01-field-report")

    # ... once while offline: kept on the device, sent when the network returns, one case only
    phone_context.set_offline(True)
    report_from_phone(officer, second, photo)
    expect(officer.locator("#queued-count")).to_have_attribute("data-count", "1")
    expect(officer.locator("#net-status")).to_contain_text("网络已断开")
    shot(officer, screenshots, "02-field-offline-queued")
    phone_context.set_offline(False)
    expect(officer.locator("#queued-count")).to_have_attribute("data-count", "0", timeout=30_000)
    api = platform.as_user(OFFICER)
    me = api.get("/api/v1/me").json()["user_id"]
    mine = wait_for(
        lambda: (
            [
                c
                for c in api.get(f"/api/v1/cases?reporter={me}&limit=200").json()["items"]
                if c["description"] in (first, second)
            ]
            or None
        ),
        timeout=30,
        message="both cases",
    )
    wait_for(
        lambda: (
            len(
                [
                    c
                    for c in api.get(f"/api/v1/cases?reporter={me}&limit=200").json()["items"]
                    if c["description"] in (first, second)
                ]
            )
            == 2
        ),
        timeout=30,
        message="two cases",
    )
    assert len({c["description"] for c in mine}) == len(mine)  # the offline one was not doubled

    # it appears live in the command centre (no reload), with its marker on the map
    row = operator.locator("#queue li", has_text=first)
    expect(row).to_have_count(1, timeout=TIMEOUT)
    expect(operator.locator("#queue li", has_text=second)).to_have_count(1, timeout=TIMEOUT)
    # a case's marker, or the cluster holding it (the map's street and community names are markers too)
    expect(operator.locator("#district-map .marker, #district-map .cluster").first).to_be_visible(timeout=TIMEOUT)
    shot(operator, screenshots, "03-command-centre")

    # the operator registers and dispatches it
    row.locator("a.case-link").click()
    expect(operator).to_have_url(re.compile(r"/cases/C[0-9A-Z]{26}$"))
    case_id = operator.url.rsplit("/", 1)[1]
    expect(operator.locator("img[data-attachment]").first).to_have_attribute("src", re.compile("^blob:"))
    submit_action(operator, open_action(operator, "register"), "立案")
    form = open_action(operator, "dispatch")
    department = form.locator("select").input_value()
    assert department, "the dispatch form offers a department"
    submit_action(operator, form, "派遣")
    expect(operator.locator("details[data-action='dispatch']")).to_have_count(0)
    shot(operator, screenshots, "04-case-dispatched")

    # and puts it under supervision (督办) with an instruction, which the case then shows
    form = open_action(operator, "supervise")
    form.locator("textarea").fill("今天之内处理完毕")
    submit_action(operator, form, "督办")
    expect(operator.get_by_text("今天之内处理完毕").first).to_be_visible()

    # the department signs for it and resolves it with a photo
    handler = contexts["desktop"]().new_page()
    sign_in(handler, url, f"handler-{department}-1")
    expect(handler).to_have_url(re.compile("/worklist$"))
    mine_row = handler.locator("#worklist li", has_text=first)
    expect(mine_row).to_have_count(1)
    shot(handler, screenshots, "05-worklist")
    mine_row.get_by_role("button", name="签收").click()
    expect(handler.locator("#worklist li", has_text=first).locator(".badge", has_text="已签收")).to_have_count(1)
    handler.locator("#worklist li", has_text=first).locator("a.case-link").click()
    form = open_action(handler, "resolve")
    form.locator("textarea").fill("已上门调解，双方达成一致")
    form.locator("input[type=file]").set_input_files([{"name": "fixed.png", "mimeType": "image/png", "buffer": photo}])
    submit_action(handler, form, "处置反馈")
    shot(handler, screenshots, "06-case-resolved")

    # the officer verifies it on site
    officer.goto(f"{url}/field/tasks")
    task = officer.locator("#tasks li", has_text=first)
    expect(task).to_have_count(1)
    shot(officer, screenshots, "07-field-tasks")
    task.get_by_role("link", name="核查").click()
    form = open_action(officer, "verify")
    form.get_by_label("核查通过").check()
    form.locator("textarea").fill("现场已恢复安静")
    submit_action(officer, form, "核查")
    shot(officer, screenshots, "08-case-verified-phone")

    # the operator closes it
    operator.goto(f"{url}/cases/{case_id}")
    open_action(operator, "close").locator("button[type=submit]").click()
    expect(operator.locator(".badge.status-closed")).to_have_count(1)
    shot(operator, screenshots, "09-case-closed")

    # the dashboard counts it, in the period of its deadline
    deadline_day = platform.as_user("operator1").get(f"/api/v1/cases/{case_id}").json()["deadline"][:10]
    operator.goto(f"{url}/dashboard")
    operator.locator("#dash-date").fill(deadline_day)
    operator.locator("#dash-date").dispatch_event("change")
    cell = operator.locator(f"#dash-table tr[data-key='{department}'] td[data-col='closed']")

    def counted():
        operator.locator("#dash-reload").click()
        operator.wait_for_timeout(500)
        return cell.count() == 1 and int(cell.inner_text()) >= 1

    wait_for(counted, timeout=30, interval=1, message="the dashboard counts the closed case")
    expect(operator.locator("#dash-table canvas, .chart-box canvas")).to_have_count(1)
    # 接诉即办's rates have their columns; an officer's case is not the public's, so they have no figure here
    for rate in ("响应率", "解决率", "满意率"):
        expect(operator.locator("#dash-table th", has_text=rate)).to_have_count(1)
    expect(operator.locator(f"#dash-table tr[data-key='{department}'] td[data-col='satisfaction_rate']")).to_have_text(
        "—"
    )
    with operator.expect_download() as download:
        operator.locator("#dash-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    shot(operator, screenshots, "10-dashboard")

    # the other pages, for the record: overdue board, my reports, English
    operator.goto(f"{url}/overdue")
    expect(operator.locator("#overdue-list")).to_be_visible()
    shot(operator, screenshots, "11-overdue")
    officer.goto(f"{url}/field/reports")
    expect(officer.locator("#my-reports li", has_text=first).locator(".badge", has_text="已结案")).to_have_count(1)
    shot(officer, screenshots, "12-my-reports")
    operator.locator("#lang-switch").select_option("en")
    expect(operator.get_by_role("link", name="Command centre")).to_be_visible()
    shot(operator, screenshots, "13-english")


def test_an_action_on_a_case_someone_just_moved_shows_the_case_as_it_is_now(platform, contexts, grid_centre):
    """Two operators on one case: the second to submit is told, and sees the case as the first left it."""
    loop = Loop(platform, grid_centre(OFFICER_GRID), "justice")
    case_id = loop.report(f"楼道堆物 {uuid.uuid4().hex[:6]}")
    page = contexts["desktop"]().new_page()
    sign_in(page, platform.url, "operator1")
    expect(page).to_have_url(re.compile("/command$"))
    page.goto(f"{platform.url}/cases/{case_id}")
    form = open_action(page, "register")
    loop.act(loop.operator, case_id, "register")  # the other operator is quicker
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-error")).to_contain_text("他人更新")
    expect(page.locator(".badge.status-registered")).to_have_count(1)
    expect(page.locator("details[data-action='register']")).to_have_count(0)
    expect(page.locator("details[data-action='dispatch']")).to_have_count(1)
