"""A grid officer's report, end to end over HTTP, on processes started as `make run` starts them."""

import time
import uuid
from datetime import datetime

import pytest

from services.indicators.service import LINGER_SECONDS
from tests.e2e.conftest import OFFICER_GRID
from tests.support.infra import wait_for


@pytest.fixture(scope="module")
def report(grid_centre):
    return {
        "category": "sanitation",
        "description": "小区门口垃圾堆积 rubbish piled at the gate",
        "location": grid_centre(OFFICER_GRID),
    }


def inbox_entries(platform, department, case_id):
    answer = platform.as_user("operator1").get("/api/v1/notifications", params={"department": department})
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json()["items"] if e["case_id"] == case_id]


def test_a_report_reaches_the_departments_inbox_with_its_case_tracked(platform, officer, report):
    answer = officer.post("/api/v1/reports", {**report, "idempotency_key": str(uuid.uuid4())})
    assert answer.status_code == 202, answer.text
    ids = answer.json()
    assert set(ids) == {"report_id", "case_id", "duplicate", "possible_duplicates"} and ids["duplicate"] is False

    case = wait_for(
        lambda: (c := officer.get(f"/api/v1/cases/{ids['case_id']}").json()).get("department") and c,
        timeout=10,
        message="case dispatched",
    )
    (entry,) = wait_for(
        lambda: inbox_entries(platform, case["department"], ids["case_id"]), timeout=10, message="inbox entry"
    )
    assert "环境卫生" in entry["title"]["zh-CN"]
    assert case["status"] == "dispatched"
    assert (case["category"], case["grid"]) == ("sanitation", OFFICER_GRID)
    assert case["grid_mismatch"] is False and case["street"] == OFFICER_GRID[:9]
    assert case["deadline"] is not None
    assert [(h["action"], h["to"]) for h in case["history"]] == [
        ("report", "reported"),
        ("register", "registered"),
        ("dispatch", "dispatched"),
    ]
    assert case["history"][0]["actor"]["user_id"] == officer.get("/api/v1/me").json()["user_id"]
    assert {h["correlation_id"] for h in case["history"]} == {answer.headers["X-Correlation-ID"]}
    reported_at = datetime.fromisoformat(case["history"][0]["at"])
    in_inbox_at = datetime.fromisoformat(entry["created_at"])
    assert (in_inbox_at - reported_at).total_seconds() < 1.0, "a report reaches its department within a second"


def _district(platform):
    answer = platform.as_user("operator1").get("/api/v1/stats/district", params={"period": "quarter"})
    assert answer.status_code == 200, answer.text
    row = next((r for r in answer.json()["rows"] if r["key"] == "all"), {})
    return {f: row.get(f, 0) for f in ("reported", "dispatched", "open")}


def _settled_district(platform):
    """The district's figures once the earlier tests' cases are all counted (the indicators batch their events): two
    reads that agree, further apart than a batch lingers for company (``INDICATORS_LINGER_SECONDS``) — two reads
    closer than that agreed while an earlier test's events were still lingering, and counted after."""
    apart = float(platform.env.get("INDICATORS_LINGER_SECONDS") or LINGER_SECONDS) + 0.5
    last = _district(platform)
    for _ in range(12):
        time.sleep(apart)
        now = _district(platform)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the district's figures kept moving: {last}")


def test_a_routed_report_is_counted_and_its_reporter_told_of_the_registration(platform, officer, report):
    # One routing decision registers and dispatches the case and is announced by one event: the figures, the
    # reporter's 立案 notice and the department's entry are what the two events gave.
    before = _settled_district(platform)
    answer = officer.post("/api/v1/reports", {**report, "idempotency_key": str(uuid.uuid4())})
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    mine = wait_for(
        lambda: [e for e in officer.get("/api/v1/notifications").json()["items"] if e["case_id"] == case_id],
        timeout=10,
        message="the reporter told",
    )
    assert [e["kind"] for e in mine] == ["case.registered"]
    department = officer.get(f"/api/v1/cases/{case_id}").json()["department"]
    (entry,) = wait_for(lambda: inbox_entries(platform, department, case_id), timeout=10, message="department")
    assert entry["kind"] == "case.dispatched"
    after = wait_for(
        lambda: (d := _district(platform))["dispatched"] > before["dispatched"] and d, timeout=10, message="counted"
    )
    assert {f: after[f] - before[f] for f in after} == {"reported": 1, "dispatched": 1, "open": 1}


def test_a_report_without_a_grid_finds_it_by_its_coordinates(officer, report):
    answer = officer.post("/api/v1/reports", report)
    case = wait_for(
        lambda: (r := officer.get(f"/api/v1/cases/{answer.json()['case_id']}")).status_code == 200 and r.json(),
        timeout=10,
        message="case opened",
    )
    assert case["grid"] == OFFICER_GRID


def test_a_point_outside_every_grid_is_a_422_saying_so(officer, report):
    answer = officer.post("/api/v1/reports", {**report, "location": {"lat": 39.9, "lon": 116.4}})
    assert answer.status_code == 422
    assert answer.json()["error"] == "OUTSIDE_GRIDS"


def test_a_grid_that_disagrees_with_the_coordinates_is_flagged(platform, officer, report, grid_centre):
    other = "610102009001001"
    answer = officer.post("/api/v1/reports", {**report, "grid": other})
    assert answer.status_code == 202, answer.text
    operator = platform.as_user("operator1")
    case = wait_for(
        lambda: (r := operator.get(f"/api/v1/cases/{answer.json()['case_id']}")).status_code == 200 and r.json(),
        timeout=10,
    )
    assert (case["grid"], case["grid_mismatch"], case["located_grid"]) == (other, True, OFFICER_GRID)


def test_bad_input_is_a_400_naming_each_field_and_stores_nothing(officer, store):
    before = store("reporting").reports.count_documents({})
    answer = officer.post(
        "/api/v1/reports", {"category": "sanitation", "location": {"lat": 91, "lon": "east"}, "$where": "1"}
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert set(body["fields"]) == {"description", "location", "$where"}
    assert set(body["fields"]["location"]) == {"lat", "lon"}
    assert store("reporting").reports.count_documents({}) == before


def test_a_body_that_is_not_json_is_a_400(officer):
    answer = officer.session.post(officer.url + "/api/v1/reports", data=b"{not json", timeout=10)
    assert answer.status_code == 400
    assert "_body" in answer.json()["fields"]


def test_an_unknown_category_is_a_422_naming_it(officer, report, store):
    before = store("reporting").reports.count_documents({})
    answer = officer.post("/api/v1/reports", {**report, "category": "ufo_sighting"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "UNKNOWN_CATEGORY"
    assert "ufo_sighting" in answer.json()["message"]
    assert store("reporting").reports.count_documents({}) == before


def test_a_retried_submission_never_makes_a_second_case(platform, officer, report, store):
    key = str(uuid.uuid4())
    first = officer.post("/api/v1/reports", {**report, "idempotency_key": key}).json()
    retry = officer.post("/api/v1/reports", {**report, "idempotency_key": key})
    assert retry.status_code == 202
    assert (retry.json()["case_id"], retry.json()["duplicate"]) == (first["case_id"], True)
    shared_entry = {"case_id": first["case_id"], "kind": "case.dispatched", "department": {"$exists": True}}
    wait_for(lambda: store("notifications").inbox.count_documents(shared_entry), timeout=10)
    assert store("notifications").inbox.count_documents(shared_entry) == 1
    assert store("reporting").reports.count_documents({"idempotency_key": key}) == 1
    assert store("cases").cases.count_documents({"_id": first["case_id"]}) == 1


def test_a_key_reused_for_a_different_report_is_a_409(officer, report):
    key = str(uuid.uuid4())
    assert officer.post("/api/v1/reports", {**report, "idempotency_key": key}).status_code == 202
    answer = officer.post("/api/v1/reports", {**report, "idempotency_key": key, "description": "another thing"})
    assert answer.status_code == 409
    assert answer.json()["error"] == "CONFLICT"


def test_an_unknown_case_is_a_404_with_a_json_body(platform):
    answer = platform.as_user("operator1").get("/api/v1/cases/C00000000000000000000000000")
    assert answer.status_code == 404
    assert answer.json()["error"] == "NOT_FOUND"


def test_unknown_paths_and_methods_answer_in_json(platform):
    assert platform.get("/api/v1/nothing-here").json()["error"] == "NOT_FOUND"
    answer = platform.session.delete(platform.url + "/api/v1/reports", timeout=10)
    assert answer.status_code == 405 and answer.json()["error"] == "METHOD_NOT_ALLOWED"


def test_health_and_readiness(platform):
    assert platform.get("/healthz").json() == {"status": "ok"}
    ready = platform.get("/readyz")
    assert ready.status_code == 200
    assert all(ready.json()["checks"].values())
    assert ready.json()["reference_complete"] is True


def test_the_api_is_documented(platform):
    spec = platform.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/reports" in spec["paths"]
    page = platform.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert platform.get("/docs/static/swagger-ui-bundle.js").status_code == 200
