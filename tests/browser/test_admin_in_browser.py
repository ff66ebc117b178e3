"""Administration in the app (issue 18, part 2), as an administrator would do it: people, departments, routing rules,
escalation policies, categories with typed extra fields, dead deliveries replayed, webhooks with their secret shown
once and a test delivery, and the grid map checked (every fault listed and drawn) before anything is replaced, then
exported and imported. A form the API refuses shows the API's error in the person's language; someone who is not an
administrator gets none of these pages, and the API refuses them anyway.

The module runs its own platform: it changes people, reference data and the grid map, which the other browser tests
must not see."""

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services.notifications.signing import verify
from tests.browser.test_closed_loop_in_browser import DESKTOP, TIMEOUT, shot, sign_in, watch_policy
from tests.e2e.conftest import OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.infra import free_port, wait_for
from tests.support.platform import running_platform

pytestmark = pytest.mark.timeout(420)

# A department's system, in a process of its own (a server in this process would wait on the same hub as the
# browser's sync calls): answers 204 and writes each request's headers and body to a file.
RECEIVER = """
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
log = open(sys.argv[2], "a")
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        log.write(json.dumps({"headers": dict(self.headers), "body": body.decode()}) + "\\n"); log.flush()
        self.send_response(204); self.end_headers()
    def log_message(self, *args): pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


@pytest.fixture(scope="module")
def platform(rabbit_admin, tmp_path_factory):
    # one attempt per delivery: a webhook that cannot be reached is a dead delivery at once, to replay
    env = {"DELIVERY_MAX_ATTEMPTS": "1", "DELIVERY_RETRY_BASE_SECONDS": "0.2", "DIGEST_THRESHOLD": "1000000"}
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("admin"), "cgadm", env, start_timeout=240) as running:
        yield running


@pytest.fixture
def admin_page(browser, platform):
    """A signed-in administrator's page; whatever it did, the Content-Security-Policy refused none of it."""
    refused = []
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    watch_policy(context, refused)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations before a delete, a new secret, a new map
    sign_in(page, platform.url, "admin")
    expect(page).to_have_url(re.compile("/admin$"))
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy refused what the admin pages do: {refused}"


def new_item(page, tab, button, form):
    """Open a tab and the form of a new item there."""
    page.get_by_role("link", name=tab).click()
    page.locator(button).click()
    return page.locator(form)


def saved(page, form="form"):
    expect(page.locator(f"{form} .alert-ok")).to_be_visible()


def test_an_administrator_creates_changes_deactivates_and_resets_a_person(platform, admin_page, screenshots):
    page, api = admin_page, platform.as_user("admin")
    tag = uuid.uuid4().hex[:6]
    expect(page.locator("h1")).to_have_text("人员")
    expect(page.locator("#people tbody tr").first).to_be_visible()
    page.locator("#new-person").click()
    form = page.locator("#person-new")
    form.get_by_label("人员编号").fill(f"u-{tag}")
    form.get_by_label("用户名").fill(f"handler-{tag}")
    form.get_by_label("姓名").fill(f"新处置员{tag}")
    form.get_by_label("处置人员").check()
    # as the API does: a handler belongs to a department — caught before sending
    form.locator("button[type=submit]").click()
    assert page.evaluate("document.querySelector('#person-new [name=department]').validity.valid") is False
    form.get_by_label("责任部门").select_option("justice")
    form.get_by_label("初始密码").fill("a-long-enough-password")
    form.locator("button[type=submit]").click()
    saved(page, "#person-new")
    person = api.get(f"/api/v1/directory/users/u-{tag}").json()
    assert (person["roles"], person["department"], person["active"]) == (["handler"], "justice", True)

    # its roles change, then it is deactivated and gets a new password
    page.get_by_label("查找").fill(tag)
    expect(page.locator("#people tbody tr")).to_have_count(1)
    page.get_by_role("button", name=f"编辑 handler-{tag}").click()
    page.locator("#person-edit").get_by_label("部门负责人").check()
    page.locator("#person-edit button[type=submit]").click()
    saved(page, "#person-edit")
    assert sorted(api.get(f"/api/v1/directory/users/u-{tag}").json()["roles"]) == ["department_head", "handler"]
    page.locator("#person-password").get_by_label("初始密码").fill("another-long-password")
    page.locator("#person-password button[type=submit]").click()
    saved(page, "#person-password")
    assert (
        platform.session.post(
            f"{platform.url}/api/v1/auth/token",
            json={"username": f"handler-{tag}", "password": "another-long-password"},
        ).status_code
        == 200
    )
    page.get_by_label("查找").fill(tag)
    page.get_by_role("button", name=f"停用 handler-{tag}").click()
    expect(page.locator("#people-status .alert-ok")).to_contain_text("已停用")
    assert api.get(f"/api/v1/directory/users/u-{tag}").json()["active"] is False
    expect(page.locator("#people tbody tr").first).to_contain_text("已停用")
    shot(page, screenshots, "admin-01-people")


def test_a_form_the_api_refuses_shows_its_error_in_the_persons_language(platform, admin_page, screenshots):
    page = admin_page
    # the last administrator cannot be deactivated: the API's reason, in Chinese, then in English
    page.get_by_label("查找").fill("admin")
    page.get_by_role("button", name="停用 admin", exact=True).click()
    expect(page.locator(".alert-error")).to_contain_text("系统须至少保留一名在用的系统管理员")
    shot(page, screenshots, "admin-02-refused-zh")
    page.locator("#lang-switch").select_option("en")
    expect(page.locator("h1")).to_have_text("People")
    page.get_by_label("Find").fill("admin")
    page.get_by_role("button", name="Deactivate admin", exact=True).click()
    expect(page.locator(".alert-error")).to_contain_text("At least one active administrator must remain")
    assert platform.as_user("admin").get("/api/v1/me").json()["active"] is True
    shot(page, screenshots, "admin-03-refused-en")
    # a username another person has: the API's 409, in English too
    page.locator("#new-person").click()
    form = page.locator("#person-new")
    form.get_by_label("Person id").fill(f"u-{uuid.uuid4().hex[:6]}")
    form.get_by_label("Username").fill("operator1")
    form.get_by_label("Name", exact=True).fill("Someone")
    form.get_by_label("operator", exact=True).check()
    form.get_by_label("First password").fill("a-long-enough-password")
    form.locator("button[type=submit]").click()
    expect(form.locator(".alert-error")).to_be_visible()
    assert "HTTP" not in form.locator(".alert-error").inner_text()  # the API's own words, not a status code
    page.locator("#lang-switch").select_option("zh-CN")


def test_departments_routing_rules_policies_and_categories_with_typed_fields(platform, admin_page, screenshots):
    page, api = admin_page, platform.as_user("admin")
    tag = uuid.uuid4().hex[:6]
    dept = f"parks{tag}"
    form = new_item(page, "部门", "#new-departments", "#department-form")
    form.get_by_label("编码").fill(dept)
    form.get_by_label("中文名称").fill(f"园林局{tag}")
    form.get_by_label("英文名称").fill(f"Parks {tag}")
    form.get_by_label("电子邮件").fill("not-an-address")
    form.locator("button[type=submit]").click()  # the browser checks the address as the API would
    assert page.evaluate("document.querySelector('#department-form [name=email]').validity.valid") is False
    form.get_by_label("电子邮件").fill(f"parks{tag}@example.org")
    form.locator("button[type=submit]").click()
    expect(page.locator("#departments")).to_contain_text(f"园林局{tag}")
    assert api.get(f"/api/v1/directory/departments/{dept}").json()["email"] == f"parks{tag}@example.org"
    shot(page, screenshots, "admin-04-departments")

    # an escalation policy of two rungs
    form = new_item(page, "升级策略", "#new-policy", "#policy-form")
    form.get_by_label("策略编码").fill(f"p{tag}")
    form.get_by_label("策略名称").fill(f"园林 {tag}")
    form.locator(".rung").nth(0).get_by_label("步骤名称").fill("warning")
    form.get_by_role("button", name="添加步骤").click()
    second = form.locator(".rung").nth(1)
    second.get_by_label("步骤名称").fill("overdue")
    second.get_by_label("数值").fill("50")  # before the first rung's 80 %: refused as the cases service would
    form.locator("button[type=submit]").click()
    assert page.evaluate("document.querySelectorAll('#policy-form .rung [name=at]')[1].validity.valid") is False
    second.get_by_label("触发时间").select_option("hours")
    second.get_by_label("数值").fill("2")
    second.get_by_label("部门负责人", exact=True).check()
    second.get_by_label("列入督办").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#policies")).to_contain_text(f"p{tag}")
    policy = next(p for p in api.get("/api/v1/escalation-policies").json() if p["policy_id"] == f"p{tag}")
    assert [r["name"] for r in policy["rungs"]] == ["warning", "overdue"]
    assert policy["rungs"][1]["at"] == {"after_deadline_hours": 2.0} and policy["rungs"][1]["supervise"] is True
    shot(page, screenshots, "admin-05-escalation")

    # a category of the new department, with the new policy and a typed extra field of its own
    form = new_item(page, "事件类别", "#new-categories", "#category-form")
    form.get_by_label("编码", exact=True).fill(f"trees{tag}")
    form.get_by_label("中文名称", exact=True).fill(f"树木倒伏{tag}")
    form.get_by_label("英文名称", exact=True).fill(f"Fallen tree {tag}")
    form.get_by_label("部件/事件").select_option("component")
    form.get_by_label("责任部门").select_option(dept)
    form.get_by_label("升级策略").select_option(f"p{tag}")
    for stage, hours in (("立案派遣", "1"), ("签收", "2"), ("处置", "24"), ("核查", "4")):
        form.get_by_label(stage, exact=True).first.fill(hours)
    form.locator("#add-attribute").click()
    attribute = form.locator(".attribute").first
    attribute.get_by_label("字段编码").fill("tree_size")
    attribute.get_by_label("英文说明").fill("How big the tree is")
    attribute.get_by_label("中文说明").fill("树木大小")
    attribute.get_by_label("类型").select_option("singlevaluelist")
    attribute.get_by_label("必填").check()
    attribute.get_by_label("可选值").fill("small = Small = 小\nbig = Big = 大")
    form.locator("button[type=submit]").click()
    expect(page.locator("#categories")).to_contain_text(f"树木倒伏{tag}")
    category = api.get(f"/api/v1/directory/categories/trees{tag}").json()
    assert (category["department"], category["escalation_policy"], category["kind"]) == (dept, f"p{tag}", "component")
    assert category["limits_hours"] == {"dispatch": 1.0, "sign_for": 2.0, "disposal": 24.0, "verification": 4.0}
    [field] = category["attributes"]
    assert (field["datatype"], field["required"], [v["key"] for v in field["values"]]) == (
        "singlevaluelist",
        True,
        ["small", "big"],
    )
    shot(page, screenshots, "admin-06-categories")

    # a routing rule sending the category to the department, automatically
    form = new_item(page, "派遣规则", "#new-routing-rules", "#rule-form")
    form.get_by_label("规则编号").fill(f"r{tag}")
    form.get_by_label("类别").select_option(f"trees{tag}")
    form.get_by_label("责任部门").select_option(dept)
    form.get_by_label("自动派遣（无需派遣员）").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#routing-rules")).to_contain_text(f"r{tag}")
    rule = api.get(f"/api/v1/directory/routing-rules/r{tag}").json()
    assert (rule["category"], rule["department"], rule["automatic"]) == (f"trees{tag}", dept, True)
    shot(page, screenshots, "admin-07-routing")

    # the policy a category names cannot be deleted: the API's reason, naming the category
    page.get_by_role("link", name="升级策略").click()
    page.get_by_role("button", name=f"删除 p{tag}").click()
    expect(page.locator(".alert-error")).to_contain_text(f"trees{tag}")


def test_webhooks_show_the_secret_once_and_send_a_test(platform, admin_page, screenshots, tmp_path):
    page, api = admin_page, platform.as_user("admin")
    port, log = free_port(), tmp_path / "received.jsonl"
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port), str(log)])
    try:
        page.get_by_role("link", name="Webhook").click()
        page.locator("#new-webhook").click()
        form = page.locator("#webhook-form")
        form.get_by_label("责任部门").select_option("sanitation")
        form.get_by_label("回调地址").fill(f"http://127.0.0.1:{port}/hook")
        form.locator("button[type=submit]").click()
        secret = page.locator("#webhook-secret .secret").inner_text()
        assert secret.startswith("whsec_")
        shot(page, screenshots, "admin-08-webhook-secret")
        row = page.locator("#webhooks tr", has_text=f"127.0.0.1:{port}")
        expect(row).to_contain_text(secret[-4:])
        page.get_by_role("button", name="发送测试 sanitation").click()
        expect(page.locator(".alert-ok")).to_contain_text("测试消息已送达")
        [request] = wait_for(
            lambda: log.is_file() and [json.loads(line) for line in log.read_text().splitlines()],
            timeout=10,
            message="the test message arrived",
        )
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["x-civicgrid-event"] == "webhook.test"
        assert verify(
            secret,
            request["body"].encode(),
            headers["x-civicgrid-timestamp"],
            headers["x-civicgrid-signature"],
            now=float(headers["x-civicgrid-timestamp"]),
        )
        shot(page, screenshots, "admin-09-webhook-test")
        # shown once: a new visit shows only its last characters
        page.reload()
        expect(page.locator("#webhooks")).to_contain_text(secret[-4:])
        assert secret not in page.content()
        assert all("secret" not in w for w in api.get("/api/v1/notifications/webhooks").json()["items"])
    finally:
        receiver.terminate()
        receiver.wait(10)
    # an endpoint nobody answers: the test says so, in the person's language
    page.get_by_role("button", name="发送测试 sanitation").click()
    expect(page.locator(".alert-error")).to_contain_text("测试消息未送达")


def centre_of(grid: dict) -> dict:
    polygon = grid["polygon"]
    ring = (polygon["coordinates"][0] if polygon["type"] == "Polygon" else polygon["coordinates"][0][0])[:-1]
    return {"lon": sum(p[0] for p in ring) / len(ring), "lat": sum(p[1] for p in ring) / len(ring)}


def test_a_dead_delivery_is_looked_at_and_replayed(platform, admin_page, screenshots):
    page, api = admin_page, platform.as_user("admin")
    # the justice department's system is down: the webhook of a dispatched case dies at its one attempt
    assert api.put("/api/v1/notifications/webhooks/justice", {"url": "http://127.0.0.1:9/down"}).status_code in (
        200,
        201,
    )
    grid = api.get(f"/api/v1/directory/grids/{OFFICER_GRID}").json()
    case_id = Loop(platform, centre_of(grid), "justice").case_at("dispatched")
    dead = wait_for(
        lambda: (
            [d for d in api.get("/api/v1/admin/deliveries/dead").json()["items"] if d["case_id"] == case_id] or None
        ),
        timeout=30,
        message="a dead delivery",
    )
    page.get_by_role("link", name="失败消息").click()
    expect(page.locator("#dead-deliveries")).to_contain_text(case_id)
    expect(page.locator("#dead-letters")).to_be_visible()
    shot(page, screenshots, "admin-10-failures")
    page.get_by_role("button", name=f"重新投递 {dead[0]['delivery_id']}").click()
    expect(page.locator(".alert-ok")).to_contain_text("已重新投递")
    wait_for(
        lambda: any(
            d["delivery_id"] == dead[0]["delivery_id"] and d.get("replayed_at")
            for d in api.get(f"/api/v1/cases/{case_id}/deliveries").json()["items"]
        ),
        timeout=15,
        message="the delivery was replayed",
    )


def test_a_grid_map_is_checked_with_every_fault_on_the_map_before_anything_is_replaced(
    platform, admin_page, screenshots, tmp_path
):
    page, api = admin_page, platform.as_user("admin")
    before = api.get("/api/v1/directory/areas").json()["map_version"]
    page.get_by_role("link", name="网格地图").click()
    expect(page.locator("#map-now")).to_be_visible()
    with page.expect_download() as download:
        page.locator("#export-map").click()
    exported = Path(tmp_path / "exported.geojson")
    download.value.save_as(exported)
    good = json.loads(exported.read_text())
    assert len([f for f in good["features"] if f["properties"]["level"] == "grid"]) == 802

    # a broken copy: a grid without an officer, another with a code used twice
    broken = json.loads(exported.read_text())
    grids = [i for i, f in enumerate(broken["features"]) if f["properties"]["level"] == "grid"]
    broken["features"][grids[0]]["properties"]["officers"] = []
    broken["features"][grids[5]]["properties"]["code"] = broken["features"][grids[6]]["properties"]["code"]
    (tmp_path / "broken.geojson").write_text(json.dumps(broken))
    page.get_by_label("GeoJSON 文件").set_input_files(str(tmp_path / "broken.geojson"))
    page.locator("#check-map").click()
    expect(page.locator("#faults li")).to_have_count(2, timeout=60_000)  # 802 grids checked on a loaded machine
    expect(page.locator("#faults")).to_contain_text("网格没有网格员")
    expect(page.locator("#faults")).to_contain_text("编码重复")
    expect(page.locator("#replace-map")).to_have_count(0)  # nothing to replace with
    # each fault is on the map, red, and the list takes you there
    page.locator("#faults li button").first.click()
    expect(page.locator("#import-map .leaflet-tooltip")).to_contain_text("网格没有网格员")
    assert api.get("/api/v1/directory/areas").json()["map_version"] == before
    shot(page, screenshots, "admin-11-map-faults")

    # the exported map has none: it may replace the map in place, as a new version
    page.get_by_label("GeoJSON 文件").set_input_files(str(exported))
    page.locator("#check-map").click()
    expect(page.locator("#map-check .alert-ok")).to_contain_text("802", timeout=60_000)
    page.locator("#replace-map").click()
    expect(page.locator("#map-check .alert-ok")).to_contain_text(f"第 {before + 1} 版", timeout=60_000)
    expect(page.locator("#map-summary")).to_contain_text(f"第 {before + 1} 版")
    assert api.get("/api/v1/directory/areas").json()["map_version"] == before + 1
    shot(page, screenshots, "admin-12-map-imported")


def test_someone_not_an_administrator_gets_no_admin_page_and_the_api_refuses_anyway(platform, browser, screenshots):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    try:
        for username, landing in (("operator1", "/command"), ("head-justice", "/worklist")):
            page = context.new_page()
            sign_in(page, platform.url, username)
            expect(page).to_have_url(re.compile(f"{landing}$"))
            expect(page.locator("#nav")).not_to_contain_text("系统管理")
            for path in ("/admin", "/admin/people", "/admin/map"):
                page.goto(f"{platform.url}{path}")
                expect(page).to_have_url(re.compile(f"{landing}$"))
            expect(page.locator("main h1")).to_be_visible()  # their own page drew, not an admin one
            expect(page.locator(".admin-tabs")).to_have_count(0)
            shot(page, screenshots, f"admin-13-not-for-{username}")
            page.evaluate("sessionStorage.clear()")
            page.close()
    finally:
        context.close()
    for username in ("operator1", "head-justice"):
        api = platform.as_user(username)
        assert api.get("/api/v1/directory/users").status_code == 403
        assert api.put("/api/v1/directory/departments/justice", {"name_zh": "x", "name_en": "x"}).status_code == 403
        assert (
            api.post("/api/v1/directory/grid-map/check", {"type": "FeatureCollection", "features": []}).status_code
            == 403
        )
        assert api.post("/api/v1/notifications/webhooks/justice/test").status_code == 403
        assert api.get("/api/v1/admin/deliveries/dead").status_code == 403
