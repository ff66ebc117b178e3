"""The API's edges on the running platform (issue 14): what a fuzzer sent and got a 500 or a wrong answer for."""

import json
import uuid

import pytest
import requests

from tests.e2e.conftest import OFFICER_GRID
from tests.support.infra import wait_for


@pytest.fixture(scope="module")
def report(grid_centre):
    return {
        "category": "sanitation",
        "description": "井盖松动 a loose manhole cover",
        "location": grid_centre(OFFICER_GRID),
    }


def raw_post(client, path: str, data: bytes, content_type: str = "application/json") -> requests.Response:
    return client.session.post(client.url + path, data=data, headers={"Content-Type": content_type}, timeout=30)


# -- bodies that were a 500 -----------------------------------------------------------------------------


def test_a_body_nested_past_the_recursion_limit_is_a_400_even_before_sign_in(platform):
    deep = b'{"username": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = requests.post(
        f"{platform.url}/api/v1/auth/token", data=deep, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "VALIDATION_ERROR" and "_body" in answer.json()["fields"]


def test_unpaired_surrogates_in_text_or_field_names_are_a_400_naming_the_field_and_store_nothing(
    officer, report, store
):
    before = store("reporting").reports.count_documents({})
    body = json.dumps({**report, "description": "\ud800 bad"}).encode()
    answer = raw_post(officer, "/api/v1/reports", body)
    assert answer.status_code == 400, answer.text
    assert "description" in answer.json()["fields"]

    named = raw_post(officer, "/api/v1/reports", b'{"\\udc00": 1, "category": "sanitation"}')
    assert named.status_code == 400 and named.headers["Content-Type"].startswith("application/json")
    assert list(named.json()["fields"]) == ["\\udc00"]  # the name, escaped so the answer can carry it
    assert store("reporting").reports.count_documents({}) == before


@pytest.mark.parametrize(
    "change, field",
    [
        ({"description": "   "}, "description"),
        ({"description": "a\u0000b"}, "description"),
    ],
)
def test_loose_text_is_a_400_naming_the_field(officer, report, change, field):
    answer = officer.post("/api/v1/reports", {**report, **change, "idempotency_key": str(uuid.uuid4())})
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["fields"]


def test_a_number_sent_as_text_is_a_400_naming_it(officer, report):
    location = {**report["location"], "lat": str(report["location"]["lat"])}
    answer = officer.post("/api/v1/reports", {**report, "location": location})
    assert answer.status_code == 400, answer.text
    assert "lat" in answer.json()["fields"]["location"]


def test_json_sent_as_text_plain_is_a_400_that_says_what_to_send(officer, report):
    answer = raw_post(officer, "/api/v1/reports", json.dumps(report).encode(), "text/plain")
    assert answer.status_code == 400
    assert "application/json" in answer.json()["fields"]["_body"][0]


# -- an action without a body; details keep their types ---------------------------------------------------


def test_an_action_sent_with_no_body_is_taken_and_a_stale_version_names_the_current_one_as_a_number(
    platform, officer, report
):
    accepted = officer.post("/api/v1/reports", {**report, "idempotency_key": str(uuid.uuid4())})
    assert accepted.status_code == 202, accepted.text
    case_id = accepted.json()["case_id"]
    case = wait_for(
        lambda: (c := officer.get(f"/api/v1/cases/{case_id}").json()).get("status") == "dispatched" and c,
        timeout=30,
        message="case dispatched",
    )
    handler = platform.as_user(f"handler-{case['department']}-1")

    stale = handler.post(f"/api/v1/cases/{case_id}/accept", {"version": case["version"] + 50})
    assert stale.status_code == 409
    assert stale.json()["details"] == {"version": case["version"]}  # a number, as sent, not "2"

    answer = handler.session.post(f"{handler.url}/api/v1/cases/{case_id}/accept", timeout=30)  # no body at all
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"


# -- stats and policies ----------------------------------------------------------------------------------


def test_stats_for_a_key_nobody_knows_are_a_404(platform):
    operator = platform.as_user("operator1")
    assert operator.get("/api/v1/stats/category", params={"key": "sanitation"}).status_code == 200
    answer = operator.get("/api/v1/stats/category", params={"key": "no_such_category"})
    assert answer.status_code == 404 and "no_such_category" in answer.json()["message"]
    assert operator.get("/api/v1/stats/grid", params={"key": "999999999999999"}).status_code == 404


def test_a_new_policy_is_201_a_new_version_200_and_an_administrator_deletes_it(platform):
    admin = platform.as_user("admin")
    policy_id = f"edge_{uuid.uuid4().hex[:8]}"
    path = f"/api/v1/escalation-policies/{policy_id}"
    body = {
        "name": "edges",
        "rungs": [{"name": "warning", "at": {"fraction": 0.5}, "targets": [{"kind": "responsible"}]}],
    }
    created = admin.put(path, body)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    again = admin.put(path, body)
    assert again.status_code == 200 and again.json()["version"] == 2

    assert platform.as_user("operator1").request("DELETE", path).status_code == 403
    assert admin.request("DELETE", "/api/v1/escalation-policies/default").status_code == 409
    deleted = admin.request("DELETE", path)
    assert deleted.status_code == 200, deleted.text
    assert policy_id not in [p["policy_id"] for p in admin.get("/api/v1/escalation-policies").json()]
    assert admin.request("DELETE", path).status_code == 404


# -- headers ---------------------------------------------------------------------------------------------------


def test_the_app_and_the_docs_carry_a_content_security_policy_and_api_answers_are_nosniff(platform, officer):
    for page in ("/", "/cases/C01ABC", "/docs"):
        answer = requests.get(platform.url + page, timeout=30)
        assert answer.status_code == 200
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-eval" not in policy
    for answer in (
        officer.get("/api/v1/cases"),
        requests.get(f"{platform.url}/api/v1/cases", timeout=30),
        requests.get(f"{platform.url}/api/v1/nothing-here", timeout=30),
        requests.get(f"{platform.url}/healthz", timeout=30),
    ):
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url
