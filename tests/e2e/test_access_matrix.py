"""Every endpoint × every role: who gets in, who is turned away — over HTTP, on the real platform.

A new endpoint without a row here fails ``test_every_endpoint_has_a_row``.
"""

import uuid

import pytest

from gateway.http import ApiEndpoint
from gateway.service import GatewayService
from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.files import image_bytes
from tests.support.infra import wait_for
from tests.support.platform import DEMO_PASSWORD

ROLE_USERS = {
    "grid_officer": OFFICER,
    "grid_leader": "leader-610102001001",
    "operator": "operator1",
    "handler": "handler-{dept}-1",
    "department_head": "head-{dept}",
    "supervisor": "supervisor",
    "admin": "admin",
}
ROLES = tuple(ROLE_USERS)
EVERYONE = set(ROLES)
PUBLIC = "public"


def allowed(*roles):
    return set(roles)


CASE_READERS = allowed("grid_officer", "grid_leader", "operator", "handler", "department_head", "supervisor")
OPERATOR_ONLY = allowed("operator")
DEPARTMENT = allowed("handler", "department_head")
GRID = allowed("grid_officer", "grid_leader")
COMMAND_OR_SUPERVISION = allowed("operator", "supervisor")

# action: (the stage a fresh case is brought to, what else it needs, body, who may)
ACTIONS = {
    "register": ("reported", {}, {}, OPERATOR_ONLY),
    "reject": ("reported", {}, {"reason": "not a problem"}, OPERATOR_ONLY),
    "merge": ("reported", {}, {"target_case_id": "{case_id}"}, OPERATOR_ONLY),
    "dispatch": ("registered", {}, {"department": "{dept}"}, OPERATOR_ONLY),
    "accept": ("dispatched", {}, {}, DEPARTMENT),
    "return": ("dispatched", {}, {"reason": "not ours"}, DEPARTMENT),
    "request_extension": ("accepted", {}, {"reason": "needs a crane", "hours": 24}, DEPARTMENT),
    "approve_extension": ("accepted", {"extension_pending": True}, {}, allowed("supervisor")),
    "deny_extension": ("accepted", {"extension_pending": True}, {}, allowed("supervisor")),
    "suspend": ("dispatched", {}, {"reason": "owner away"}, COMMAND_OR_SUPERVISION),
    "resume": ("dispatched", {"suspended": True}, {}, COMMAND_OR_SUPERVISION),
    "supervise": ("accepted", {}, {"note": "finish by Friday"}, COMMAND_OR_SUPERVISION),
    "resolve": ("accepted", {}, {"note": "mediated", "attachments": ["{photo}"]}, DEPARTMENT),
    "verify": ("resolved", {}, {"passed": True, "note": "quiet now"}, GRID),
    "close": ("verified", {}, {}, OPERATOR_ONLY),
    "reopen": ("closed", {}, {"reason": "at it again"}, allowed("grid_officer", "grid_leader", "operator")),
    "cancel": ("registered", {}, {"reason": "prank call"}, COMMAND_OR_SUPERVISION),
    "comment": ("dispatched", {}, {"text": "on my way"}, CASE_READERS),
}


# (method, url rule, path to call, body, roles allowed, status when allowed, status when refused)
ROWS = [
    ("GET", "/healthz", "/healthz", None, PUBLIC, 200),
    ("GET", "/readyz", "/readyz", None, PUBLIC, 200),
    ("GET", "/openapi.json", "/openapi.json", None, PUBLIC, 200),
    ("GET", "/docs", "/docs", None, PUBLIC, 200),
    ("GET", "/docs/static/<name>", "/docs/static/swagger-ui.css", None, PUBLIC, 200),
    ("POST", "/api/v1/auth/token", "/api/v1/auth/token", "{signin}", PUBLIC, 200),
    ("GET", "/api/v1/me", "/api/v1/me", None, EVERYONE, 200),
    ("POST", "/api/v1/reports", "/api/v1/reports", "{report}", allowed("grid_officer", "grid_leader", "operator"), 202),
    ("GET", "/api/v1/cases/<case_id>", "/api/v1/cases/{case_id}", None, CASE_READERS, 200),
    ("GET", "/api/v1/cases/<case_id>/timeline", "/api/v1/cases/{case_id}/timeline", None, CASE_READERS, 200),
    ("GET", "/api/v1/cases", "/api/v1/cases?status=dispatched", None, CASE_READERS, 200),
    ("GET", "/api/v1/cases/queue", "/api/v1/cases/queue", None, allowed("operator", "supervisor"), 200),
    (
        "GET",
        "/api/v1/cases/worklist",
        "/api/v1/cases/worklist?department={dept}",
        None,
        allowed("operator", "supervisor", "handler", "department_head"),
        200,
    ),
    (
        "GET",
        "/api/v1/cases/workload",
        "/api/v1/cases/workload",
        None,
        allowed("operator", "supervisor", "handler", "department_head"),
        200,
    ),
    (
        "POST",
        "/api/v1/cases/<case_id>/attachments",
        "/api/v1/cases/{case_id}/attachments",
        "{upload}",
        CASE_READERS,
        201,
    ),
    ("GET", "/api/v1/attachments/<attachment_id>", "/api/v1/attachments/{attachment_id}", None, CASE_READERS, 200),
    (
        "POST",
        "/api/v1/reports/attachments",
        "/api/v1/reports/attachments",
        "{upload}",
        allowed("grid_officer", "grid_leader", "operator"),
        201,
    ),
    (
        "GET",
        "/api/v1/stats/<dimension>",
        "/api/v1/stats/department?period=quarter",
        None,
        allowed("operator", "supervisor", "department_head"),
        200,
    ),
    ("GET", "/api/v1/stats/hotspots", "/api/v1/stats/hotspots", None, allowed("operator", "supervisor"), 200),
    (
        "GET",
        "/api/v1/escalation-policies",
        "/api/v1/escalation-policies",
        None,
        allowed("operator", "supervisor", "admin"),
        200,
    ),
    (
        "PUT",
        "/api/v1/escalation-policies/<policy_id>",
        "/api/v1/escalation-policies/{new_item}",
        "{policy}",
        allowed("admin"),
        201,
    ),
    (
        "DELETE",
        "/api/v1/escalation-policies/<policy_id>",
        "/api/v1/escalation-policies/P-none",
        None,
        allowed("admin"),
        404,
    ),
    (
        "GET",
        "/api/v1/notifications",
        "/api/v1/notifications?department={dept}",
        None,
        allowed("handler", "department_head", "operator", "supervisor"),
        200,
    ),
    ("GET", "/api/v1/notifications/unread-count", "/api/v1/notifications/unread-count", None, EVERYONE, 200),
    (
        "POST",
        "/api/v1/notifications/<notification_id>/read",
        "/api/v1/notifications/N-not-yours/read",
        None,
        EVERYONE,
        404,
    ),
    ("POST", "/api/v1/notifications/read-all", "/api/v1/notifications/read-all", None, EVERYONE, 200),
    ("GET", "/api/v1/notifications/subscriptions", "/api/v1/notifications/subscriptions", None, CASE_READERS, 200),
    (
        "POST",
        "/api/v1/notifications/subscriptions",
        "/api/v1/notifications/subscriptions",
        "{subscription}",
        CASE_READERS,
        201,
    ),
    (
        "DELETE",
        "/api/v1/notifications/subscriptions/<subscription_id>",
        "/api/v1/notifications/subscriptions/{subscription_id}",
        None,
        CASE_READERS,
        200,
    ),
    ("GET", "/api/v1/notifications/preferences", "/api/v1/notifications/preferences", None, EVERYONE, 200),
    ("PUT", "/api/v1/notifications/preferences", "/api/v1/notifications/preferences", "{preferences}", EVERYONE, 200),
    ("GET", "/api/v1/notifications/webhooks", "/api/v1/notifications/webhooks", None, allowed("admin"), 200),
    (
        "PUT",
        "/api/v1/notifications/webhooks/<department>",
        "/api/v1/notifications/webhooks/{dept}",
        "{webhook}",
        allowed("admin"),
        200,
    ),
    (
        "POST",
        "/api/v1/notifications/webhooks/<department>/secret",
        "/api/v1/notifications/webhooks/{dept}/secret",
        None,
        allowed("admin"),
        200,
    ),
    (
        "POST",
        "/api/v1/notifications/webhooks/<department>/test",
        "/api/v1/notifications/webhooks/{dept}/test",
        None,
        allowed("admin"),
        200,
    ),
    (
        "DELETE",
        "/api/v1/notifications/webhooks/<department>",
        "/api/v1/notifications/webhooks/{dept}",
        None,
        allowed("admin"),
        200,
    ),
    (
        "GET",
        "/api/v1/cases/<case_id>/deliveries",
        "/api/v1/cases/{case_id}/deliveries",
        None,
        allowed("operator", "supervisor", "admin"),
        200,
    ),
    (
        "GET",
        "/api/v1/notifications/deliveries",
        "/api/v1/notifications/deliveries?recipient=department:{dept}",
        None,
        allowed("handler", "department_head", "operator", "supervisor", "admin"),
        200,
    ),
    ("GET", "/api/v1/admin/deliveries/dead", "/api/v1/admin/deliveries/dead", None, allowed("admin"), 200),
    (
        "POST",
        "/api/v1/admin/deliveries/<delivery_id>/replay",
        "/api/v1/admin/deliveries/D-not-dead/replay",
        None,
        allowed("admin"),
        404,
    ),
    ("GET", "/api/v1/stream", "/api/v1/stream", None, CASE_READERS, 200),
    ("GET", "/api/v1/directory/areas", "/api/v1/directory/areas", None, EVERYONE, 200),
    ("GET", "/api/v1/directory/grid-map", "/api/v1/directory/grid-map", None, EVERYONE, 200),
    ("PUT", "/api/v1/directory/grid-map", "/api/v1/directory/grid-map", "{grid_map}", allowed("admin"), 200),
    (
        "POST",
        "/api/v1/directory/grid-map/check",
        "/api/v1/directory/grid-map/check",
        "{grid_map}",
        allowed("admin"),
        200,
    ),
    ("GET", "/api/v1/directory/grids/<code>", f"/api/v1/directory/grids/{OFFICER_GRID}", None, EVERYONE, 200),
    ("GET", "/api/v1/directory/locate", "/api/v1/directory/locate?lat=34.27&lon=108.96", None, EVERYONE, 200),
    ("GET", "/api/v1/directory/users", "/api/v1/directory/users", None, allowed("admin"), 200),
    (
        "GET",
        "/api/v1/directory/users/<user_id>",
        "/api/v1/directory/users/{supervisor_id}",
        None,
        allowed("admin", "supervisor"),
        200,
    ),
    ("PUT", "/api/v1/directory/users/<user_id>", "/api/v1/directory/users/{new_user}", "{user}", allowed("admin"), 200),
    (
        "POST",
        "/api/v1/directory/users/<user_id>/password",
        "/api/v1/directory/users/{new_user}/password",
        "{password}",
        allowed("admin"),
        200,
    ),
    ("GET", "/api/v1/directory/departments", "/api/v1/directory/departments", None, EVERYONE, 200),
    ("GET", "/api/v1/directory/departments/<key>", "/api/v1/directory/departments/{dept}", None, EVERYONE, 200),
    (
        "PUT",
        "/api/v1/directory/departments/<key>",
        "/api/v1/directory/departments/{new_item}",
        "{department}",
        allowed("admin"),
        200,
    ),
    (
        "DELETE",
        "/api/v1/directory/departments/<key>",
        "/api/v1/directory/departments/{new_item}",
        None,
        allowed("admin"),
        200,
    ),
    ("GET", "/api/v1/directory/categories", "/api/v1/directory/categories", None, EVERYONE, 200),
    ("GET", "/api/v1/directory/categories/<key>", "/api/v1/directory/categories/sanitation", None, EVERYONE, 200),
    (
        "PUT",
        "/api/v1/directory/categories/<key>",
        "/api/v1/directory/categories/{new_item}",
        "{category}",
        allowed("admin"),
        200,
    ),
    (
        "DELETE",
        "/api/v1/directory/categories/<key>",
        "/api/v1/directory/categories/{new_item}",
        None,
        allowed("admin"),
        200,
    ),
    (
        "GET",
        "/api/v1/directory/routing-rules",
        "/api/v1/directory/routing-rules",
        None,
        allowed("operator", "supervisor", "admin"),
        200,
    ),
    (
        "GET",
        "/api/v1/directory/routing-rules/<key>",
        "/api/v1/directory/routing-rules/{rule}",
        None,
        allowed("operator", "supervisor", "admin"),
        200,
    ),
    (
        "PUT",
        "/api/v1/directory/routing-rules/<key>",
        "/api/v1/directory/routing-rules/{new_item}",
        "{rule_body}",
        allowed("admin"),
        200,
    ),
    (
        "DELETE",
        "/api/v1/directory/routing-rules/<key>",
        "/api/v1/directory/routing-rules/{new_item}",
        None,
        allowed("admin"),
        200,
    ),
    ("GET", "/api/v1/admin/dead-letters", "/api/v1/admin/dead-letters", None, allowed("admin"), 200),
    ("GET", "/api/v1/admin/metrics", "/api/v1/admin/metrics", None, allowed("admin"), 200),
    (
        "POST",
        "/api/v1/admin/dead-letters/<service>/<message_id>/replay",
        "/api/v1/admin/dead-letters/cases/no-such-letter/replay",
        None,
        allowed("admin"),
        404,
    ),
    # Open311: public as in every city that runs it; filing needs an app's api_key (tests/e2e/test_open311.py)
    ("GET", "/open311/v2/discovery.<fmt>", "/open311/v2/discovery.json", None, PUBLIC, 200),
    ("GET", "/open311/v2/services.<fmt>", "/open311/v2/services.xml", None, PUBLIC, 200),
    ("GET", "/open311/v2/services/<service_code>.<fmt>", "/open311/v2/services/street_light.json", None, PUBLIC, 200),
    ("POST", "/open311/v2/requests.<fmt>", "/open311/v2/requests.json", "{open311_request}", PUBLIC, 201),
    ("GET", "/open311/v2/requests.<fmt>", "/open311/v2/requests.json", None, PUBLIC, 200),
    (
        "GET",
        "/open311/v2/requests/<service_request_id>.<fmt>",
        "/open311/v2/requests/{public_id}.xml",
        None,
        PUBLIC,
        200,
    ),
    ("GET", "/open311/v2/tokens/<token>.<fmt>", "/open311/v2/tokens/T1.json", None, PUBLIC, 404),
    ("GET", "/open311/v2/<path:rest>", "/open311/v2/nothing.json", None, PUBLIC, 404),
    # 回访: no sign-in, the link's token is the authority (tests/e2e/test_open311_public.py); an unknown one is a 404
    ("GET", "/api/v1/public/ratings/<token>", "/api/v1/public/ratings/R0.no-such-rating-link-here", None, PUBLIC, 404),
    (
        "POST",
        "/api/v1/public/ratings/<token>",
        "/api/v1/public/ratings/R0.no-such-rating-link-here",
        "{rating}",
        PUBLIC,
        404,
    ),
    ("GET", "/rate/<token>", "/rate/R0.no-such-rating-link-here", None, PUBLIC, 404),
    ("POST", "/rate/<token>", "/rate/R0.no-such-rating-link-here", "{rating}", PUBLIC, 404),
    (
        "GET",
        "/api/v1/cases/<case_id>/reporter-contact",
        "/api/v1/cases/{public_id}/reporter-contact",
        None,
        OPERATOR_ONLY,
        200,
    ),
    ("GET", "/api/v1/admin/open311/keys", "/api/v1/admin/open311/keys", None, allowed("admin"), 200),
    ("POST", "/api/v1/admin/open311/keys", "/api/v1/admin/open311/keys", "{open311_key}", allowed("admin"), 201),
    ("DELETE", "/api/v1/admin/open311/keys/<key_id>", "/api/v1/admin/open311/keys/K-none", None, allowed("admin"), 404),
] + [
    ("POST", f"/api/v1/cases/<case_id>/{action}", f"/api/v1/cases/{{fresh}}/{action}", f"{{action:{action}}}", who, 200)
    for action, (_, _, _, who) in ACTIONS.items()
]


def test_every_endpoint_has_a_row():
    endpoints = {
        (method, ep.url)
        for name in dir(GatewayService)
        for ep in getattr(getattr(GatewayService, name), "nameko_entrypoints", ())
        if isinstance(ep, ApiEndpoint)
        for method in ep.method.split(",")
    }
    assert endpoints == {(row[0], row[1]) for row in ROWS}


@pytest.fixture(scope="module")
def world(platform, grid_centre):
    """A case in the officer's grid, and the department it went to."""
    officer = platform.as_user(OFFICER)
    report = {"category": "sanitation", "description": "权限矩阵 access matrix", "location": grid_centre(OFFICER_GRID)}
    answer = officer.post("/api/v1/reports", report)
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    operator = platform.as_user("operator1")
    case = wait_for(
        lambda: (c := operator.get(f"/api/v1/cases/{case_id}").json()).get("department") and c,
        timeout=30,
        message="case dispatched",
    )
    rule = operator.get("/api/v1/directory/routing-rules").json()[0]["rule_id"]
    grid_map = platform.as_user("admin").get("/api/v1/directory/grid-map").json()
    supervisor_id = platform.as_user("supervisor").get("/api/v1/me").json()["user_id"]
    loop = Loop(platform, grid_centre(OFFICER_GRID), case["department"])
    attachment_id = loop.upload(operator, case_id)
    spot = grid_centre(OFFICER_GRID)
    open311_request = {
        "api_key": (platform.workdir / "var" / "demo-open311-key").read_text().strip(),
        "service_code": "sanitation",
        "lat": spot["lat"],
        "long": spot["lon"],
        "description": "权限矩阵 access matrix",
    }
    filed = platform.session.post(f"{platform.url}/open311/v2/requests.json", json=open311_request, timeout=30)
    assert filed.status_code == 201, filed.text
    public_id = filed.json()[0]["service_request_id"]
    wait_for(lambda: operator.get(f"/api/v1/cases/{public_id}").status_code == 200, timeout=30, message="opened")
    return {
        "case_id": case_id,
        "dept": case["department"],
        "report": report,
        "rule": rule,
        "grid_map": grid_map,
        "supervisor_id": supervisor_id,
        "loop": loop,
        "attachment_id": attachment_id,
        "open311_request": open311_request,
        "public_id": public_id,
    }


def _values(world, role):
    token = uuid.uuid4().hex[:8]
    return {
        **world,
        "role": role,
        "subscription_id": "S-not-yours",
        "new_user": f"matrix-{role}-{token}",
        "new_item": f"matrix_{role}_{token}",
    }


def _body(template, values, role):
    if template is None:
        return None
    key = template.strip("{}")
    if key.startswith("action:"):
        _, _, body, _ = ACTIONS[key.split(":", 1)[1]]
        return {
            k: (
                [x.format(**values) for x in v]
                if isinstance(v, list)
                else v.format(**values)
                if isinstance(v, str)
                else v
            )
            for k, v in body.items()
        }
    return {
        "signin": {"username": "supervisor", "password": DEMO_PASSWORD},
        "report": values["report"],
        "grid_map": values["grid_map"],
        "user": {
            "username": values["new_user"],
            "name": "矩阵测试",
            "roles": ["operator"],
            "password": "matrix-password-1",
        },
        "password": {"password": "matrix-password-2"},
        "department": {"name_zh": "测试部门", "name_en": "Test department"},
        "category": {
            "name_zh": "测试",
            "name_en": "Test",
            "kind": "event",
            "department": values["dept"],
            "priority": "low",
            "limits_hours": {"dispatch": 1, "sign_for": 1, "disposal": 24, "verification": 4},
        },
        "rule_body": {"category": "sanitation", "department": values["dept"], "automatic": False},
        "policy": {
            "name": "矩阵",
            "rungs": [
                {
                    "name": "late",
                    "at": {"after_deadline_hours": 0},
                    "targets": [{"kind": "supervisor"}],
                    "supervise": True,
                }
            ],
        },
        "subscription": {"kind": "case", "target": values["new_item"]},
        "preferences": {"channels": {"case.commented": ["inbox"]}},
        "webhook": {"url": "http://127.0.0.1:9/matrix-hook", "description": "access matrix"},
        "open311_request": {**values["open311_request"], "description": f"矩阵 {role} {uuid.uuid4().hex[:8]}"},
        "open311_key": {"app": f"matrix {role}", "rate_limit_per_minute": 5},
        "rating": {"rating": "satisfied"},
    }[key]


def _call(client, row, values, role):
    method, _, path, body, _, _ = row
    if body == "{upload}":
        return client.session.post(
            client.url + path.format(**values), timeout=30, files={"file": ("photo.jpg", image_bytes("JPEG"))}
        )
    if path == "/api/v1/stream":  # never ends by itself: the status is all this test needs
        answer = client.session.get(client.url + path, stream=True, timeout=30)
        if answer.status_code == 200:
            answer.close()
        return answer
    return client.request(method, path.format(**values), _body(body, values, role))


def _prepare(platform, row, values, allowed_role: bool):
    """A write that needs something to act on gets it made first: by the administrator, or round the loop.

    Someone turned away never reaches the state check, so the refused get the shared case.
    """
    admin = platform.as_user("admin")
    path = row[2]
    if "{fresh}" in path and not allowed_role:
        values.update(fresh=values["case_id"], photo="F" + "0" * 26)
    elif "{fresh}" in path:
        action = path.rsplit("/", 1)[1]
        stage, extra, _, _ = ACTIONS[action]
        loop = values["loop"]
        values["fresh"] = loop.case_at(stage, **extra)
        if action == "resolve":
            values["photo"] = loop.upload(loop.handler, values["fresh"])
    if "{subscription_id}" in path and allowed_role:
        client = platform.as_user(ROLE_USERS[values["role"]].format(dept=values["dept"]))
        made = client.post("/api/v1/notifications/subscriptions", _body("{subscription}", values, values["role"]))
        values["subscription_id"] = made.json()["subscription_id"]
    if path.startswith("/api/v1/notifications/webhooks/") and allowed_role:
        admin.put(f"/api/v1/notifications/webhooks/{values['dept']}", _body("{webhook}", values, "admin"))
    if "{new_user}" in path and row[0] == "POST":
        admin.put(f"/api/v1/directory/users/{values['new_user']}", _body("{user}", values, "admin"))
    if "{new_item}" in path and row[0] == "DELETE":
        kind = path.split("/")[4]
        template = {"departments": "{department}", "categories": "{category}", "routing-rules": "{rule_body}"}[kind]
        admin.put(f"/api/v1/directory/{kind}/{values['new_item']}", _body(template, values, "admin"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]} {r[1]}" for r in ROWS])
def test_each_role_gets_exactly_its_rights(platform, world, row, role):
    roles, ok_status = row[4], row[5]
    values = _values(world, role)
    _prepare(platform, row, values, roles == PUBLIC or role in roles)
    username = ROLE_USERS[role].format(dept=world["dept"])
    answer = _call(platform.as_user(username), row, values, role)
    if roles == PUBLIC or role in roles:
        assert answer.status_code == ok_status, answer.text
    else:
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "FORBIDDEN"
        assert world["case_id"] not in answer.text


@pytest.mark.parametrize("row", [r for r in ROWS if r[4] != PUBLIC], ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "bad token"])
def test_without_a_valid_token_every_private_endpoint_is_a_401(platform, world, row, token):
    values = {**_values(world, "anonymous"), "fresh": world["case_id"], "photo": "F" + "0" * 26}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    method, _, path, body, _, _ = row
    kwargs = (
        {"files": {"file": ("p.jpg", image_bytes("JPEG"))}}
        if body == "{upload}"
        else {"json": _body(body, values, "anonymous")}
    )
    answer = platform.session.request(
        method, platform.url + path.format(**values), headers=headers, timeout=30, **kwargs
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "UNAUTHENTICATED"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
