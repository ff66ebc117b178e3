"""The console people work from (issue 18): everyone's inbox with a live count in the top bar, notification settings,
a map that draws every open case with filters and clusters coloured by the worst light inside them, names instead
of codes, and pages that fit a 360-px phone.

The module runs its own platform: the map test moves the platform's clock to make a case overdue (red), and that
must not touch the cases of the other browser tests."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_closed_loop_in_browser import DESKTOP, PHONE, TIMEOUT, shot, sign_in
from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.infra import wait_for
from tests.support.platform import running_platform

pytestmark = pytest.mark.timeout(420)

WIDE = {"width": 1440, "height": 900}
# what the app's lists ask per page in these tests (`?page_size=`): the module files a dozen cases, not the
# hundreds that pages of 200 need
PAGE_SIZE = 3


@pytest.fixture(scope="module")
def platform(rabbit_admin, tmp_path_factory):
    env = {"SSE_KEEPALIVE_SECONDS": "1", "SSE_CATCH_UP_SECONDS": "1", "DIGEST_THRESHOLD": "1000000"}
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("console"), "cgw", env, start_timeout=240) as running:
        yield running


def centre_of(feature):
    polygon = feature["geometry"]
    ring = (polygon["coordinates"][0] if polygon["type"] == "Polygon" else polygon["coordinates"][0][0])[:-1]
    return {"lon": sum(p[0] for p in ring) / len(ring), "lat": sum(p[1] for p in ring) / len(ring)}


@pytest.fixture(scope="module")
def grid_map(platform):
    return platform.as_user("operator1").get("/api/v1/directory/grid-map").json()["features"]


def feature(grid_map, code):
    return next(f for f in grid_map if f["properties"]["code"] == code)


@pytest.fixture(scope="module")
def far_grid(grid_map):
    """A grid in another street than the officer's: its cases never cluster with the officer grid's."""
    own_street = OFFICER_GRID[:9]
    return next(
        f
        for f in reversed(grid_map)
        if f["properties"]["level"] == "grid" and not f["properties"]["code"].startswith(own_street)
    )


@pytest.fixture
def context(browser):
    made = []

    def new(viewport=DESKTOP, **kwargs):
        made.append(browser.new_context(viewport=viewport, locale="zh-CN", **kwargs))
        made[-1].set_default_timeout(TIMEOUT)
        return made[-1]

    yield new
    for each in made:
        each.close()


def every_item(client, path: str, params: dict) -> list[dict]:
    """The whole of a list, through ``next`` (the API's largest pages)."""
    items, cursor = [], None
    while True:
        answer = client.get(path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        items += answer["items"]
        cursor = answer["next"]
        if cursor is None:
            return items


def unread(client):
    return client.get("/api/v1/notifications/unread-count").json()["unread"]


def test_the_inbox_counts_live_and_marks_read(platform, grid_map, context, screenshots):
    loop = Loop(platform, centre_of(feature(grid_map, OFFICER_GRID)), "justice")
    api = platform.as_user("handler-justice-1")
    assert api.post("/api/v1/notifications/read-all").status_code == 200
    page = context().new_page()
    sign_in(page, platform.url, "handler-justice-1")
    expect(page).to_have_url(re.compile("/worklist$"))
    badge = page.locator("#unread-count")
    expect(badge).to_have_attribute("data-count", "0")

    # a case dispatched to the department: the badge counts it while the person is on another page, no reload
    first = loop.case_at("dispatched")
    wait_for(lambda: unread(api) >= 1, timeout=30, message="the dispatch is in the handler's inbox")
    expect(badge).to_have_attribute("data-count", str(unread(api)), timeout=TIMEOUT)
    assert int(badge.inner_text()) >= 1

    page.locator("#inbox-link").click()
    expect(page).to_have_url(re.compile("/inbox$"))
    entry = page.locator("#inbox-mine li.unread", has=page.locator(f"a[href='/cases/{first}']"))
    expect(entry).to_have_count(1)
    expect(entry.locator(".badge", has_text="派遣到部门")).to_have_count(1)
    # the department's shared inbox holds it too
    expect(page.locator(f"#inbox-department a[href='/cases/{first}']").first).to_be_visible()

    # a second one arrives while the inbox is open: the list and the badge grow by themselves
    second = loop.case_at("dispatched")
    wait_for(lambda: unread(api) >= 2, timeout=30, message="the second dispatch is in the inbox")
    expect(page.locator("#inbox-mine li.unread", has=page.locator(f"a[href='/cases/{second}']"))).to_have_count(1)
    expect(badge).to_have_attribute("data-count", str(unread(api)))
    shot(page, screenshots, "console-inbox")

    # mark one read: it is no longer unread, and the count drops with it
    before = unread(api)
    entry.get_by_role("button", name="标为已读").click()
    expect(page.locator("#inbox-mine li.unread", has=page.locator(f"a[href='/cases/{first}']"))).to_have_count(0)
    expect(page.locator(f"#inbox-mine li a[href='/cases/{first}']")).to_have_count(1)
    assert unread(api) == before - 1
    expect(badge).to_have_attribute("data-count", str(before - 1))

    # mark all read
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator("#inbox-mine li.unread")).to_have_count(0)
    expect(badge).to_have_attribute("data-count", "0")
    expect(badge).to_have_text("")
    assert unread(api) == 0

    # each entry opens its case
    page.locator(f"#inbox-mine a[href='/cases/{second}']").click()
    expect(page).to_have_url(re.compile(f"/cases/{second}$"))
    expect(page.locator("h1")).to_contain_text(second)


def test_the_settings_page_saves_a_channel_choice_and_a_followed_grid(platform, grid_map, context, screenshots):
    api = platform.as_user("handler-justice-2")
    page = context().new_page()
    sign_in(page, platform.url, "handler-justice-2")
    expect(page).to_have_url(re.compile("/worklist$"))
    page.get_by_role("link", name="通知设置").click()
    expect(page.locator("h1")).to_have_text("通知设置")

    # 督办 by inbox only, not by SMS
    row = page.locator("#preferences tr[data-kind='case.supervised']")
    row.get_by_role("checkbox", name=re.compile("自定义")).check()
    row.get_by_role("checkbox", name="督办: 站内").check()
    expect(row.get_by_role("checkbox", name="督办: 短信")).not_to_be_checked()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#preferences .alert-ok")).to_have_text("已保存。")
    assert api.get("/api/v1/notifications/preferences").json()["channels"] == {"case.supervised": ["inbox"]}

    # kept: drawn again as saved
    page.reload()
    row = page.locator("#preferences tr[data-kind='case.supervised']")
    expect(row.get_by_role("checkbox", name="督办: 站内")).to_be_checked()
    expect(row.get_by_role("checkbox", name="督办: 短信")).not_to_be_checked()
    expect(page.locator("#preferences tr[data-kind='case.dispatched'] input[value='inbox']")).to_be_disabled()

    # watch a grid, chosen by its name
    grid = feature(grid_map, OFFICER_GRID)["properties"]
    page.get_by_label("关注对象").select_option("grid")
    page.get_by_label("编号或名称").select_option(OFFICER_GRID)
    page.get_by_role("button", name="关注", exact=True).click()
    expect(page.locator("#subscriptions li", has_text=grid["name"])).to_have_count(1)
    watched = api.get("/api/v1/notifications/subscriptions").json()["items"]
    assert [(s["kind"], s["target"]) for s in watched] == [("grid", OFFICER_GRID)]
    shot(page, screenshots, "console-settings")
    page.locator("#subscriptions li", has_text=grid["name"]).get_by_role("button", name="取消关注").click()
    expect(page.locator("#subscriptions li.empty")).to_have_count(1)
    assert api.get("/api/v1/notifications/subscriptions").json()["items"] == []


OVERFLOW = "document.documentElement.scrollWidth"


def test_an_officers_pages_fit_a_360_px_phone_and_show_names(platform, grid_map, context, screenshots):
    loop = Loop(platform, centre_of(feature(grid_map, OFFICER_GRID)), "justice")
    long_words = "楼道堆物" * 60 + " " + "x" * 120  # a long description, and a long unbroken word
    case_id = loop.report(long_words)
    for step in ("registered", "dispatched", "accepted", "resolved"):
        loop._enter(case_id, step)
    grid = feature(grid_map, OFFICER_GRID)["properties"]
    community = feature(grid_map, grid["parent"])["properties"]
    street = feature(grid_map, community["parent"])["properties"]

    phone = context(PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sign_in(page, platform.url, OFFICER)
    expect(page).to_have_url(re.compile("/field$"))
    for path, ready, name in (
        ("/field", "#report-form", "field"),
        ("/field/reports", "#my-reports li", "reports"),
        ("/field/tasks", "#tasks li", "tasks"),
        (f"/cases/{case_id}", ".facts", "case"),
        ("/inbox", "#inbox-mine li", "inbox"),
        ("/settings", "#preferences", "settings"),
    ):
        page.goto(f"{platform.url}{path}")
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_timeout(300)  # the map and photos settle
        width = page.evaluate(OVERFLOW)
        shot(page, screenshots, f"console-360-{name}")
        assert width <= PHONE["width"], f"{path} scrolls sideways: {width}px"

    # the photo picker speaks the app's language, not the browser's ("Choose Files" on an English phone)
    page.goto(f"{platform.url}/field")
    picker = page.locator("#report-form .file-picker")
    expect(picker.get_by_role("button", name="选择照片")).to_be_visible()
    expect(picker).to_contain_text("未选择")
    hidden = picker.locator("input[type=file]").bounding_box()  # the browser's own control takes no room
    assert hidden["width"] <= 1 and hidden["height"] <= 1, hidden

    # the case page the officer checks the fix on: names, not codes; no empty sections; the check form fits
    page.goto(f"{platform.url}/cases/{case_id}")
    facts = page.locator(".facts")
    expect(facts).to_contain_text(street["name"])
    expect(facts).to_contain_text(community["name"])
    expect(facts).to_contain_text(grid["name"])
    assert not re.search(r"\d{9,}", facts.inner_text()), facts.inner_text()
    expect(page.get_by_role("heading", name="现场照片")).to_have_count(0)  # reported without photos
    expect(page.get_by_role("heading", name="处置反馈")).to_have_count(1)
    expect(page.locator("details[data-action='verify']")).to_have_count(1)
    page.locator("details[data-action='verify'] summary").click()
    assert page.evaluate(OVERFLOW) <= PHONE["width"]
    shot(page, screenshots, "console-360-case-verify")

    # my reports: names in the row, the long description shortened to a few lines
    page.goto(f"{platform.url}/field/reports")
    row = page.locator("#my-reports li", has_text="楼道堆物").first
    expect(row.locator(".case-facts")).to_contain_text(grid["name"])
    height = row.locator(".case-desc").evaluate("el => el.getBoundingClientRect().height")
    line = row.locator(".case-desc").evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert height <= 3 * line + 2, (height, line)


def test_the_top_bar_before_and_after_signing_in(platform, context, screenshots):
    page = context(WIDE).new_page()
    page.goto(f"{platform.url}/login")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    expect(page.locator("#sign-out")).to_be_hidden()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    expect(page.locator("#inbox-link")).to_be_hidden()
    shot(page, screenshots, "console-login")

    sign_in(page, platform.url, "operator1")
    expect(page).to_have_url(re.compile("/command$"))
    expect(page.locator("#who")).not_to_be_empty()
    # the name and 退出 each on one line
    for selector in ("#who", "#sign-out"):
        box = page.locator(selector).bounding_box()
        line = page.locator(selector).evaluate("el => parseFloat(getComputedStyle(el).fontSize) * 1.9")
        assert box["height"] <= line + 24, (selector, box)  # a button's padding aside: not one character per line
        assert box["width"] > box["height"], (selector, box)
    shot(page, screenshots, "console-topbar-1440")


def _clusters(page):
    return page.locator("#district-map .cluster").evaluate_all(
        "els => els.map(e => [e.dataset.light, Number(e.dataset.count)]).sort()"
    )


def test_the_map_draws_every_open_case_filters_them_and_colours_clusters_by_the_worst_light(
    platform, grid_map, far_grid, context, screenshots
):
    near = Loop(platform, centre_of(feature(grid_map, OFFICER_GRID)), "justice")
    # one case runs late: dispatched, then the clock passes its stage deadline
    late = near.case_at("dispatched")
    due = datetime.fromisoformat(near.operator.get(f"/api/v1/cases/{late}").json()["stage_deadline"])
    platform.set_time(due + timedelta(minutes=5))
    near = Loop(platform, near.location, "justice")  # signed in again at the new time
    wait_for(
        lambda: near.operator.get(f"/api/v1/cases/{late}").json()["light"] == "red",
        timeout=30,
        message="the late case is red",
    )
    # fresh cases beside it, and others in another street
    fresh_near = [near.report(f"旁边的新案件 {n}") for n in range(3)]
    far = Loop(platform, centre_of(far_grid), "justice")
    fresh_far = [far.report(f"远处的新案件 {n}") for n in range(4)]
    operator = near.operator
    open_cases = every_item(
        operator, "/api/v1/cases", {"status": "reported,registered,dispatched,accepted,resolved,verified"}
    )
    assert {late, *fresh_near, *fresh_far} <= {c["case_id"] for c in open_cases}
    assert len(open_cases) > 2 * PAGE_SIZE  # more than two pages of what the map asks for

    page = context(WIDE).new_page()
    sign_in(page, platform.url, "operator1")
    expect(page).to_have_url(re.compile("/command$"))
    page.goto(f"{platform.url}/command?page_size={PAGE_SIZE}")
    count = page.locator("#map-count")
    expect(count).to_have_attribute("data-count", str(len(open_cases)), timeout=TIMEOUT)  # every page read

    # the late case's cluster is red, whatever else it holds (cases of one grid stand on one point here)
    near_count = sum(1 for c in open_cases if c["grid"] == OFFICER_GRID)
    far_count = sum(1 for c in open_cases if c["grid"] == far_grid["properties"]["code"])
    assert all(c["light"] != "red" for c in open_cases if c["grid"] != OFFICER_GRID)
    expect(page.locator(f"#district-map .cluster[data-light='red'][data-count='{near_count}']")).to_have_count(1)
    assert ["red", near_count] in _clusters(page), _clusters(page)
    expect(page.locator("#district-map .map-label-street").first).to_be_visible()  # street names drawn
    shot(page, screenshots, "console-map-clusters")

    # filters: by light, by street, by status, by department
    page.locator("#filter-light").select_option("red")
    expect(count).to_have_attribute("data-count", str(sum(1 for c in open_cases if c["light"] == "red")))
    page.locator("#filter-light").select_option("")
    far_street = feature(grid_map, feature(grid_map, far_grid["properties"]["parent"])["properties"]["parent"])
    page.locator("#filter-street").select_option(far_street["properties"]["code"])
    expect(count).to_have_attribute("data-count", str(far_count))
    expect(page.locator("#district-map .cluster[data-light='red']")).to_have_count(0)
    page.locator("#filter-community").select_option(far_grid["properties"]["parent"])
    expect(count).to_have_attribute("data-count", str(far_count))
    page.locator("#filter-street").select_option("")
    page.locator("#filter-status").select_option("dispatched")
    expect(count).to_have_attribute("data-count", str(sum(1 for c in open_cases if c["status"] == "dispatched")))
    page.locator("#filter-status").select_option("")
    page.locator("#filter-department").select_option("justice")
    expect(count).to_have_attribute("data-count", str(sum(1 for c in open_cases if c["department"] == "justice")))
    page.locator("#filter-department").select_option("")

    # the hot-spots layer
    page.get_by_label(re.compile("热点图层")).check()
    expect(page.locator(".alert-error")).to_have_count(0)
    shot(page, screenshots, "console-map-heat")

    # the queue names places, not codes
    row = page.locator(f"#queue li[data-case-id='{fresh_near[0]}']")
    expect(row.locator(".case-facts")).to_contain_text(feature(grid_map, OFFICER_GRID)["properties"]["name"])


def test_the_worklist_the_overdue_board_and_the_queue_show_every_page(platform, grid_map, context, screenshots):
    loop = Loop(platform, centre_of(feature(grid_map, OFFICER_GRID)), "justice")
    dispatched = [loop.case_at("dispatched") for _ in range(2 * PAGE_SIZE + 1)]
    waiting = [loop.report(f"待立案 {n}") for n in range(2 * PAGE_SIZE + 1)]
    deadline = max(
        datetime.fromisoformat(loop.operator.get(f"/api/v1/cases/{c}").json()["deadline"]) for c in dispatched
    )
    platform.set_time(deadline + timedelta(minutes=5))  # every one of them runs late
    loop = Loop(platform, loop.location, "justice")
    lists = [
        (
            "handler-justice-1",
            "/worklist",
            "#worklist",
            every_item(loop.handler, "/api/v1/cases/worklist", {}),
            dispatched,
        ),
        (
            "operator1",
            "/overdue",
            "#overdue-list",
            every_item(loop.operator, "/api/v1/cases", {"overdue": "true", "sort": "deadline"}),
            dispatched,
        ),
        ("operator1", "/command", "#queue", every_item(loop.operator, "/api/v1/cases/queue", {}), waiting),
    ]
    for username, path, selector, items, filed in lists:
        ids = [c["case_id"] for c in items]
        assert len(ids) > 2 * PAGE_SIZE and len(set(ids)) == len(ids) and set(filed) <= set(ids), (path, ids)
        page = context(WIDE).new_page()
        sign_in(page, platform.url, username)
        expect(page).to_have_url(re.compile("/(command|worklist)$"))
        page.goto(f"{platform.url}{path}?page_size={PAGE_SIZE}")
        rows = page.locator(f"{selector} li[data-case-id]")
        expect(rows).to_have_count(len(ids), timeout=TIMEOUT)  # every page read, not the first
        assert sorted(rows.evaluate_all("els => els.map(e => e.dataset.caseId)")) == sorted(ids)
        expect(page.locator(".list-end")).to_have_count(0)  # the whole list: nothing said to be left out
        shot(page, screenshots, f"console-every-page-{path.strip('/')}")
        page.close()
