"""A change to someone's account counts at once, in every service, for the tokens they already hold;
the last administrator stays; sign-in is limited per client as well as per username."""

import time

import pytest
import requests

from tests.support.infra import wait_for
from tests.support.platform import DEMO_PASSWORD, UserClient

# run alone, this file starts the session's platform (up to 120 s on a loaded machine) inside its first test
pytestmark = pytest.mark.timeout(300)

GRID = "610102001001003"  # a grid no other e2e file works in: this file deactivates its officer


@pytest.fixture
def officer(platform, grid_centre):
    """A grid officer signed in, with a case of their grid open, put back as they were afterwards."""
    admin = platform.as_user("admin")
    user_id = admin.get(f"/api/v1/directory/grids/{GRID}").json()["officers"][0]
    record = admin.get(f"/api/v1/directory/users/{user_id}").json()
    answer = platform.sign_in(record["username"])
    assert answer.status_code == 200, answer.text
    session = requests.Session()  # its own token, not the suite's shared sign-in: this one outlives the change
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    client = UserClient(platform.url, session)
    report = client.post(
        "/api/v1/reports",
        {
            "category": "dispute",
            "description": "邻里纠纷 a dispute",
            "location": grid_centre(GRID),
            "attributes": {"dispute_kind": "neighbour"},
        },
    )
    assert report.status_code == 202, report.text
    case_id = report.json()["case_id"]
    wait_for(lambda: client.get(f"/api/v1/cases/{case_id}").status_code == 200, timeout=15, message="case opened")
    yield {"client": client, "record": record, "case_id": case_id, "location": grid_centre(GRID)}
    restored = admin.put(f"/api/v1/directory/users/{user_id}", record)
    assert restored.status_code == 200, restored.text


def change(platform, record: dict, **changes) -> None:
    answer = platform.as_user("admin").put(f"/api/v1/directory/users/{record['user_id']}", {**record, **changes})
    assert answer.status_code == 200, answer.text


def attempts(officer) -> dict[str, int]:
    """What the officer's token gets: reading (cases, notifications, directory), commenting, reporting."""
    client, case_id = officer["client"], officer["case_id"]
    return {
        "read case": client.get(f"/api/v1/cases/{case_id}").status_code,
        "read timeline": client.get(f"/api/v1/cases/{case_id}/timeline").status_code,
        "read inbox": client.get("/api/v1/notifications/unread-count").status_code,
        "read map": client.get(f"/api/v1/directory/grids/{GRID}").status_code,
        "comment": client.post(f"/api/v1/cases/{case_id}/comment", {"text": "还在吵 still at it"}).status_code,
        "report": client.post(
            "/api/v1/reports",
            {
                "category": "dispute",
                "description": "又一起 another",
                "location": officer["location"],
                "attributes": {"dispute_kind": "neighbour"},
            },
        ).status_code,
    }


def test_a_deactivated_officers_valid_token_is_refused_at_once_everywhere(platform, officer):
    before = attempts(officer)
    assert before == {
        "read case": 200,
        "read timeline": 200,
        "read inbox": 200,
        "read map": 200,
        "comment": 200,
        "report": 202,
    }
    change(platform, officer["record"], active=False)
    # "at once": as soon as each service's copy has the change — milliseconds on the bus
    wait_for(lambda: set(attempts(officer).values()) == {401}, timeout=5, message="every service refuses")
    refused = officer["client"].get(f"/api/v1/cases/{officer['case_id']}")
    assert refused.json()["error"] == "UNAUTHENTICATED" and "deactivated" in refused.json()["message"]
    # nor can the person sign in for a new token
    assert platform.sign_in(officer["record"]["username"]).status_code == 401
    # active again: a new sign-in works, the token held before the deactivation stays refused
    change(platform, officer["record"], active=True)
    answer = platform.sign_in(officer["record"]["username"])
    assert answer.status_code == 200, answer.text
    fresh = requests.Session()
    fresh.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    renewed = {**officer, "client": UserClient(platform.url, fresh)}
    wait_for(lambda: attempts(renewed)["read case"] == 200, timeout=5, message="the new token works")
    assert set(attempts(officer).values()) == {401}


def test_a_password_reset_by_an_administrator_ends_the_sign_ins_made_before(platform, officer):
    client = officer["client"]
    assert client.get(f"/api/v1/cases/{officer['case_id']}").status_code == 200
    password = f"/api/v1/directory/users/{officer['record']['user_id']}/password"
    reset = platform.as_user("admin").post(password, {"password": "a-new-password-1"})
    assert reset.status_code == 200, reset.text
    try:
        wait_for(lambda: set(attempts(officer).values()) == {401}, timeout=5, message="every service refuses")
        assert "ended" in officer["client"].get(f"/api/v1/cases/{officer['case_id']}").json()["message"]
        assert platform.sign_in(officer["record"]["username"], "a-new-password-1").status_code == 200
    finally:
        assert platform.as_user("admin").post(password, {"password": DEMO_PASSWORD}).status_code == 200


def test_a_deactivated_officers_open_live_stream_ends_and_does_not_reopen(platform, officer):
    client = officer["client"]
    stream = client.session.get(f"{client.url}/api/v1/stream", stream=True, timeout=(5, 30))
    assert stream.status_code == 200
    change(platform, officer["record"], active=False)
    changed = time.monotonic()
    for _ in stream.iter_lines():  # a keepalive every second (SSE_KEEPALIVE_SECONDS) until the gateway ends it
        assert time.monotonic() - changed < 10, "the stream stayed open after the account was deactivated"
    stream.close()

    def reopened():
        again = client.session.get(f"{client.url}/api/v1/stream", stream=True, timeout=(5, 30))
        if again.status_code == 200:  # the notifications service's copy lagged the gateway: it ends at once
            lines = list(again.iter_lines())
            assert len(lines) <= 3, lines  # retry (and reset): no case, no keepalive
        return again

    # the browser comes back after the stream's retry delay; by then the change has reached every copy
    (again,) = wait_for(lambda: [r for r in [reopened()] if r.status_code == 401], timeout=5, message="refused")
    assert again.json()["error"] == "UNAUTHENTICATED"


def test_a_role_change_counts_for_the_token_already_held(platform, officer):
    client = officer["client"]

    def rights() -> dict:
        """What the token gets in cases, indicators, reporting and the directory (nothing is changed:
        an empty report is a 400 to whoever may report and a 403 to whoever may not)."""
        return {
            "queue": client.get("/api/v1/cases/queue").status_code,
            "hotspots": client.get("/api/v1/stats/hotspots").status_code,
            "report": client.post("/api/v1/reports", {}).status_code,
            "roles": client.get("/api/v1/me").json()["roles"],
        }

    assert rights() == {"queue": 403, "hotspots": 403, "report": 400, "roles": ["grid_officer"]}
    change(platform, officer["record"], roles=["supervisor"])
    # each service as soon as its copy has the change: a supervisor watches queues and hotspots, files no reports
    wait_for(
        lambda: rights() == {"queue": 200, "hotspots": 200, "report": 403, "roles": ["supervisor"]},
        timeout=5,
        message="every service sees the new role",
    )


def test_the_last_active_administrator_can_be_neither_deactivated_nor_demoted(platform):
    admin = platform.as_user("admin")
    admins = [u for u in admin.get("/api/v1/directory/users", params={"role": "admin"}).json() if u["active"]]
    assert [u["username"] for u in admins] == ["admin"]
    me = admins[0]
    for changes in ({"active": False}, {"roles": ["supervisor"]}):
        answer = admin.put(f"/api/v1/directory/users/{me['user_id']}", {**me, **changes})
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert body["error"] == "LAST_ADMINISTRATOR" and "administrator" in body["message"]
        assert body["reason"] == "user.last_administrator"  # the app words it in zh-CN or en
        assert body["details"]["rule"] == "an_active_administrator_remains"
    assert admin.get("/api/v1/me").json()["roles"] == ["admin"]  # nothing changed
    # with a second administrator, the first may step down — and the rule then guards the second
    second = {
        "user_id": "second-admin",
        "username": "second-admin",
        "name": "第二管理员",
        "roles": ["admin"],
        "department": None,
        "language": "zh-CN",
        "active": True,
        "password": DEMO_PASSWORD,
    }
    assert admin.put("/api/v1/directory/users/second-admin", second).status_code == 200
    assert admin.put(f"/api/v1/directory/users/{me['user_id']}", {**me, "roles": ["supervisor"]}).status_code == 200
    other = platform.as_user("second-admin")
    public = {k: v for k, v in second.items() if k != "password"}
    try:
        wait_for(
            lambda: admin.get("/api/v1/directory/users").status_code == 403,
            timeout=5,
            message="the demoted administrator lost the right at once",
        )
        assert other.put("/api/v1/directory/users/second-admin", {**public, "active": False}).status_code == 409
    finally:
        assert other.put(f"/api/v1/directory/users/{me['user_id']}", me).status_code == 200
    wait_for(lambda: admin.get("/api/v1/directory/users").status_code == 200, timeout=5, message="admin again")
    assert admin.put("/api/v1/directory/users/second-admin", {**public, "active": False}).status_code == 200


def test_one_client_cannot_try_username_after_username(platform):
    limit = 20  # SIGN_IN_CLIENT_MAX_FAILURES; the platform trusts one proxy (GATEWAY_TRUSTED_PROXIES=1)

    def sign_in(username, password, address):
        return platform.session.post(
            f"{platform.url}/api/v1/auth/token",
            timeout=30,
            json={"username": username, "password": password},
            headers={"X-Forwarded-For": address},
        )

    for i in range(limit):  # a different username each time: the per-username limit never trips
        assert sign_in(f"guess-{i}", "password1234", "203.0.113.7").status_code == 401
    locked = sign_in("operator1", DEMO_PASSWORD, "203.0.113.7")
    assert locked.status_code == 429 and locked.json()["error"] == "TOO_MANY_REQUESTS"
    # the address the proxy saw counts, not what the client wrote before it
    assert sign_in("operator1", DEMO_PASSWORD, "198.51.100.1, 203.0.113.7").status_code == 429
    # another client, and the username itself, are not locked
    assert sign_in("operator1", DEMO_PASSWORD, "203.0.113.8").status_code == 200
