"""The closed loop over HTTP, as the people who run it would use it."""

import io

import pytest

from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.files import PDF, image_bytes
from tests.support.infra import wait_for

METRES_PER_DEGREE_LAT = 111_195.08


@pytest.fixture(scope="module")
def loop(platform, grid_centre):
    return Loop(platform, grid_centre(OFFICER_GRID), "justice")


def test_a_dispute_goes_round_the_loop_with_rework_and_photos(loop):
    case_id = loop.case_at("accepted")
    photo = loop.upload(loop.handler, case_id, "JPEG")
    loop.act(loop.handler, case_id, "resolve", {"note": "调解完毕 mediated", "attachments": [photo]})
    reworked = loop.act(loop.officer, case_id, "verify", {"passed": False, "note": "又吵起来了 at it again"})
    assert (reworked["status"], reworked["rework_count"]) == ("dispatched", 1)
    loop.act(loop.handler, case_id, "accept")
    loop.act(loop.handler, case_id, "resolve", {"note": "second mediation", "attachments": [photo]})
    loop.act(loop.officer, case_id, "verify", {"passed": True, "note": "quiet"})
    closed = loop.act(loop.operator, case_id, "close")
    assert closed["status"] == "closed"
    timeline = loop.officer.get(f"/api/v1/cases/{case_id}/timeline").json()
    assert [h["action"] for h in timeline] == [
        "report",
        "register",
        "dispatch",
        "accept",
        "resolve",
        "verify",
        "accept",
        "resolve",
        "verify",
        "close",
    ]
    assert timeline[4]["attachments"] == [photo]
    download = loop.officer.get(f"/api/v1/attachments/{photo}")
    assert download.status_code == 200 and download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_wrong_step_says_what_would_fit(loop):
    case_id = loop.case_at("registered")
    answer = loop.handler.post(f"/api/v1/cases/{case_id}/accept", {})
    assert answer.status_code == 403  # not the department's yet: who may is named
    answer = loop.operator.post(f"/api/v1/cases/{case_id}/close", {})
    assert answer.status_code == 409
    assert answer.json()["error"] == "WRONG_STATE" and "verified" in answer.json()["message"]


def test_a_stale_version_is_a_409(loop):
    case_id = loop.case_at("reported")
    version = loop.operator.get(f"/api/v1/cases/{case_id}").json()["version"]
    loop.act(loop.operator, case_id, "register", {"version": version})
    answer = loop.operator.post(f"/api/v1/cases/{case_id}/dispatch", {"department": "justice", "version": version})
    assert answer.status_code == 409 and answer.json()["error"] == "CONFLICT"


def test_a_returned_case_is_back_in_the_operator_queue(loop):
    case_id = loop.case_at("dispatched")
    loop.act(loop.handler, case_id, "return", {"reason": "不归我们管 not ours"})
    queue = loop.operator.get("/api/v1/cases/queue", params={"limit": 200}).json()["items"]
    entry = next(c for c in queue if c["case_id"] == case_id)
    assert entry["returned"] is True and entry["department"] is None


def test_the_queue_puts_priority_first_then_age(loop):
    queue = loop.operator.get("/api/v1/cases/queue", params={"limit": 200}).json()["items"]
    ranks = [("urgent", "high", "normal", "low").index(c["priority"]) for c in queue]
    assert ranks == sorted(ranks)
    assert {c["status"] for c in queue} <= {"reported", "registered"}


def test_a_department_sees_its_worklist_by_deadline(loop):
    loop.case_at("dispatched")
    work = loop.handler.get("/api/v1/cases/worklist").json()["items"]
    assert work and {c["department"] for c in work} == {"justice"}
    deadlines = [c["deadline"] for c in work]
    assert deadlines == sorted(deadlines)
    mine = wait_for(
        lambda: loop.handler.get("/api/v1/cases/workload").json().get("justice"), timeout=10, message="workload counted"
    )
    assert set(loop.handler.get("/api/v1/cases/workload").json()) == {"justice"} and mine >= 1
    assert "justice" in loop.operator.get("/api/v1/cases/workload").json()


def _walk(client, path: str, params: dict, limit: int) -> list[str]:
    """A list read as every client reads one: page after page through ``next`` to the end."""
    ids, cursor = [], None
    while True:
        answer = client.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert set(page) == {"items", "next"} and len(page["items"]) <= limit  # the one paging contract
        ids += [
            i.get("case_id")
            if "notification_id" not in i and "delivery_id" not in i
            else i.get("notification_id") or i["delivery_id"]
            for i in page["items"]
        ]
        cursor = page["next"]
        if cursor is None:
            return ids


def test_every_list_walks_to_its_end_through_next_each_item_once(loop):
    for stage in ("reported", "reported", "registered", "dispatched", "dispatched", "accepted"):
        loop.case_at(stage)
    case_id = loop.case_at("accepted")
    lists = [
        (loop.operator, "/api/v1/cases", {"category": "dispute"}),
        (loop.operator, "/api/v1/cases", {"category": "dispute", "sort": "oldest"}),
        (loop.operator, "/api/v1/cases", {"sort": "deadline"}),
        (loop.operator, "/api/v1/cases/queue", {}),
        (loop.handler, "/api/v1/cases/worklist", {}),
        (loop.officer, "/api/v1/cases", {"sort": "priority"}),
        (loop.operator, "/api/v1/notifications", {}),
        (loop.handler, "/api/v1/notifications", {"department": "justice"}),
        (loop.operator, f"/api/v1/cases/{case_id}/deliveries", {}),
        (loop.handler, "/api/v1/notifications/deliveries", {}),
    ]
    for client, path, params in lists:

        def same(client=client, path=path, params=params):
            # the lists live on (events still arriving): a walk counts when a whole page read after it agrees
            walked = _walk(client, path, params, 2)
            return walked if walked == _walk(client, path, params, 200) else None

        walked = wait_for(same, timeout=20, message=f"{path} {params} walked as read whole")
        assert walked and len(walked) == len(set(walked)), (path, params, walked)
        assert len(walked) > 2 or "deliveries" in path, (path, params, walked)  # more than one page


def test_a_cursor_of_another_list_or_made_up_is_the_one_error(loop):
    first = loop.operator.get("/api/v1/cases", params={"limit": 1}).json()
    for path, params in (
        ("/api/v1/cases", {"sort": "deadline", "cursor": first["next"]}),
        ("/api/v1/notifications", {"cursor": first["next"]}),
        ("/api/v1/cases/queue", {"cursor": "made-up"}),
    ):
        answer = loop.operator.get(path, params=params)
        assert answer.status_code == 400, (path, answer.text)
        body = answer.json()
        assert body["reason"] == "paging.not_a_cursor" and "cursor" in body["fields"], body


def test_an_officer_sees_only_their_grids_cases(loop, platform):
    other = platform.as_user("officer-610102009001001")
    mine = loop.case_at("reported")
    assert mine not in {c["case_id"] for c in other.get("/api/v1/cases", params={"limit": 200}).json()["items"]}
    assert other.get(f"/api/v1/cases/{mine}").status_code == 403


def test_a_report_handled_on_the_spot_closes_after_a_look(loop):
    upload = loop.officer.session.post(
        f"{loop.officer.url}/api/v1/reports/attachments",
        timeout=30,
        files={"file": ("done.webp", io.BytesIO(image_bytes("WEBP")))},
    )
    assert upload.status_code == 201, upload.text
    answer = loop.officer.post(
        "/api/v1/reports",
        {
            "category": "sanitation",
            "description": "随手清理了垃圾 swept it myself",
            "location": loop.location,
            "handled_on_spot": True,
            "result_note": "swept",
            "attachments": [upload.json()["attachment_id"]],
        },
    )
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    case = wait_for(
        lambda: (r := loop.operator.get(f"/api/v1/cases/{case_id}")).status_code == 200 and r.json(), timeout=15
    )
    assert (case["status"], case["handled_on_spot"]) == ("resolved", True)
    closed = loop.act(loop.operator, case_id, "close")
    assert closed["status"] == "closed"
    # it never had a department to go back to: nobody is offered a reopen that could only fail
    assert "reopen" not in closed["allowed_actions"]
    assert "reopen" not in loop.officer.get(f"/api/v1/cases/{case_id}").json()["allowed_actions"]
    refused = loop.officer.post(f"/api/v1/cases/{case_id}/reopen", {"reason": "dirty again"})
    assert refused.status_code == 409 and "report it anew" in refused.json()["message"]
    photo = loop.operator.get(f"/api/v1/attachments/{upload.json()['attachment_id']}")
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/webp"


def test_handling_on_the_spot_needs_evidence(loop):
    answer = loop.officer.post(
        "/api/v1/reports",
        {
            "category": "sanitation",
            "description": "swept",
            "location": loop.location,
            "handled_on_spot": True,
            "result_note": "swept",
        },
    )
    assert answer.status_code == 400 and "attachments" in answer.json()["fields"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("photo.jpg", b"MZ\x90\x00not a photo"),
        ("scan.pdf", b"<html>not a pdf</html>"),
        ("photo.png", image_bytes("BMP")),
    ],
)
def test_a_file_that_lies_about_its_type_is_refused(loop, name, content):
    case_id = loop.case_at("reported")
    answer = loop.operator.session.post(
        f"{loop.operator.url}/api/v1/cases/{case_id}/attachments",
        timeout=30,
        files={"file": (name, io.BytesIO(content), "image/jpeg")},
    )
    assert answer.status_code == 422 and answer.json()["error"] == "UNSUPPORTED_FILE"


def test_a_pdf_and_a_large_file(loop):
    case_id = loop.case_at("reported")
    ok = loop.operator.session.post(
        f"{loop.operator.url}/api/v1/cases/{case_id}/attachments",
        timeout=30,
        files={"file": ("scan.pdf", io.BytesIO(PDF))},
    )
    assert ok.status_code == 201 and ok.json()["content_type"] == "application/pdf"
    big = loop.operator.session.post(
        f"{loop.operator.url}/api/v1/cases/{case_id}/attachments",
        timeout=60,
        files={"file": ("big.jpg", io.BytesIO(b"\xff" * (10 * 1024 * 1024 + 1)))},
    )
    assert big.status_code == 422 and big.json()["error"] == "FILE_TOO_LARGE"


def _north(location, metres):
    return {"lat": location["lat"] + metres / METRES_PER_DEGREE_LAT, "lon": location["lon"]}


@pytest.mark.parametrize("metres, suggested", [(49, True), (51, False)])
def test_an_open_case_49_metres_away_is_suggested_and_51_is_not(platform, grid_centre, metres, suggested):
    officer, operator = platform.as_user(OFFICER), platform.as_user("operator1")
    here = _north(grid_centre(OFFICER_GRID), 20 * (1 if suggested else -1))  # apart from other tests' cases
    body = {"category": "greening", "description": "树枝折断 broken branch", "location": here}
    first = officer.post("/api/v1/reports", body).json()["case_id"]
    wait_for(lambda: operator.get(f"/api/v1/cases/{first}").status_code == 200, timeout=15)

    def second_report():
        answer = officer.post("/api/v1/reports", {**body, "location": _north(here, metres)}).json()
        return answer if first in [d["case_id"] for d in answer["possible_duplicates"]] or not suggested else None

    answer = wait_for(second_report, timeout=15, interval=0.5, message="reporting's view of the first case")
    assert (first in [d["case_id"] for d in answer["possible_duplicates"]]) is suggested


def test_the_operator_merges_a_duplicate_and_its_reporter_follows_the_survivor(loop, platform):
    target = loop.case_at("dispatched")
    duplicate = loop.case_at("reported")
    merged = loop.act(loop.operator, duplicate, "merge", {"target_case_id": target})
    assert merged["status"] == "merged" and merged["merged_into"] == target
    survivor = wait_for(
        lambda: (c := loop.operator.get(f"/api/v1/cases/{target}").json()).get("merged_cases") and c,
        timeout=15,
        message="the survivor took the duplicate in",
    )
    assert duplicate in survivor["merged_cases"] and len(survivor["report_ids"]) == 2


def test_a_supervisor_puts_a_late_case_under_supervision_and_the_department_hears_of_it(loop, platform):
    case_id = loop.case_at("accepted")
    supervised = loop.act(loop.supervisor, case_id, "supervise", {"note": "周五前办结 finish by Friday"})
    assert supervised["supervised"] is True and supervised["supervisions"] == 1
    assert supervised["supervision"]["note"] == "周五前办结 finish by Friday"
    assert supervised["status"] == "accepted"  # the mark changes no stage
    refused = loop.handler.post(f"/api/v1/cases/{case_id}/supervise", {"note": "me too"})
    assert refused.status_code == 403
    told = wait_for(
        lambda: [
            n
            for n in loop.handler.get("/api/v1/notifications").json()["items"]
            if n["case_id"] == case_id and n["kind"] == "case.supervised"
        ],
        timeout=30,
        message="the handler told",
    )
    assert "周五前办结" in told[0]["body"]["zh-CN"]
    listed = loop.operator.get("/api/v1/cases", params={"supervised": "true", "status": "accepted"}).json()["items"]
    assert case_id in [c["case_id"] for c in listed]


def test_a_resolution_without_its_evidence_is_refused_naming_the_photos(loop):
    case_id = loop.case_at("accepted")
    for body in ({"note": "已处理"}, {"note": "已处理", "attachments": []}):
        answer = loop.handler.post(f"/api/v1/cases/{case_id}/resolve", body)
        assert answer.status_code == 400 and "attachments" in answer.json()["fields"], answer.text
    assert loop.handler.get(f"/api/v1/cases/{case_id}").json()["status"] == "accepted"


def test_a_reporter_sees_what_they_reported_outside_their_own_grid(loop, platform):
    elsewhere = platform.as_user("officer-610102009001001")  # loop.location is in another officer's grid
    me = elsewhere.get("/api/v1/me").json()["user_id"]
    upload = elsewhere.session.post(
        f"{elsewhere.url}/api/v1/reports/attachments",
        timeout=30,
        files={"file": ("drain.jpg", io.BytesIO(image_bytes("JPEG")))},
    )
    assert upload.status_code == 201, upload.text
    report = {
        "category": "dispute",
        "description": "路过看到的纠纷 seen passing by",
        "location": loop.location,
        "attributes": {"dispute_kind": "neighbour"},
        "attachments": [upload.json()["attachment_id"]],
        "idempotency_key": f"passing-by-{me}-{upload.json()['attachment_id']}",
    }
    answer = elsewhere.post("/api/v1/reports", report)
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    case = wait_for(
        lambda: (r := elsewhere.get(f"/api/v1/cases/{case_id}")).status_code == 200 and r.json(),
        timeout=15,
        message="the reporter reads their case",
    )
    assert case["grid"] == OFFICER_GRID and me in case["reporters"]
    assert elsewhere.get(f"/api/v1/cases/{case_id}/timeline").status_code == 200
    photo = elsewhere.get(f"/api/v1/attachments/{upload.json()['attachment_id']}")
    assert photo.status_code == 200
    mine = elsewhere.get("/api/v1/cases", params={"reporter": me, "limit": 200}).json()["items"]
    listed = elsewhere.get("/api/v1/cases", params={"limit": 200}).json()["items"]
    assert case_id in {c["case_id"] for c in mine} and case_id in {c["case_id"] for c in listed}
    # the answer was lost and the phone sends it again: the same case, not a refusal of its photo
    again = elsewhere.post("/api/v1/reports", report)
    assert again.status_code == 202, again.text
    assert (again.json()["case_id"], again.json()["duplicate"]) == (case_id, True)
