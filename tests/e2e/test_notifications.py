"""Notifications through the platform as `make run` starts it: inboxes, e-mail, the live stream."""

import pytest

from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.infra import wait_for
from tests.support.notify import sse_events


@pytest.fixture(scope="module")
def dispatched(platform, grid_centre):
    """A rubbish report in the officer's grid, dispatched by rule, and the department it went to."""
    officer = platform.as_user(OFFICER)
    answer = officer.post(
        "/api/v1/reports",
        {"category": "sanitation", "description": "通知 notifications", "location": grid_centre(OFFICER_GRID)},
    )
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    operator = platform.as_user("operator1")
    case = wait_for(
        lambda: (c := operator.get(f"/api/v1/cases/{case_id}").json()).get("department") and c,
        timeout=30,
        message="dispatched by rule",
    )
    return case_id, case["department"]


def mine(client, case_id, kind):
    items = client.get("/api/v1/notifications?limit=200").json()["items"]
    return [i for i in items if i["case_id"] == case_id and i["kind"] == kind]


def test_a_dispatched_case_reaches_the_departments_inbox_its_people_and_their_mail(platform, dispatched, smtp):
    case_id, department = dispatched
    handler = platform.as_user(f"handler-{department}-1")
    (entry,) = wait_for(lambda: mine(handler, case_id, "case.dispatched"), timeout=20, message="personal inbox")
    assert entry["read"] is False and case_id in entry["title"]["zh-CN"]
    shared = handler.get(f"/api/v1/notifications?department={department}").json()["items"]
    assert [e for e in shared if e["case_id"] == case_id]
    mail = wait_for(
        lambda: [m for m in smtp.to(f"handler-{department}-1@civicgrid.example") if case_id in m["Subject"]],
        timeout=20,
        message="e-mail",
    )
    assert len(mail) == 1 and f"{platform.url}/cases/{case_id}" in mail[0].get_body(("plain",)).get_content()
    unread = handler.get("/api/v1/notifications/unread-count").json()["unread"]
    assert handler.post(f"/api/v1/notifications/{entry['notification_id']}/read").status_code == 200
    assert handler.get("/api/v1/notifications/unread-count").json()["unread"] == unread - 1
    sent = platform.as_user("operator1").get(f"/api/v1/cases/{case_id}/deliveries").json()["items"]
    assert {(d["recipient"]["id"], d["state"]) for d in sent if d["channel"] == "email"} >= {
        (handler.get("/api/v1/me").json()["user_id"], "delivered")
    }


def test_the_grid_officer_is_asked_to_verify_a_resolved_case(platform, dispatched, grid_centre):
    _, department = dispatched
    case_id = Loop(platform, grid_centre(OFFICER_GRID), department).case_at("resolved")
    officer = platform.as_user(OFFICER)
    (entry,) = wait_for(lambda: mine(officer, case_id, "case.resolved"), timeout=20, message="asked to verify")
    assert entry["title"]["zh-CN"].startswith("请核查") and entry["title"]["en"].startswith("Please verify")


def test_a_follower_hears_of_a_comment(platform, dispatched):
    case_id, department = dispatched
    supervisor = platform.as_user("supervisor")
    answer = supervisor.post("/api/v1/notifications/subscriptions", {"kind": "case", "target": case_id})
    assert answer.status_code == 201, answer.text
    platform.as_user(f"handler-{department}-1").post(f"/api/v1/cases/{case_id}/comment", {"text": "明早处理"})
    (entry,) = wait_for(lambda: mine(supervisor, case_id, "case.commented"), timeout=20, message="followed")
    assert "明早处理" in entry["body"]["zh-CN"]


def _stream(client, last_event_id=None):
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    return client.session.get(f"{client.url}/api/v1/stream", headers=headers, stream=True, timeout=(5, 30))


def _until(events, predicate):
    for event in events:
        if predicate(event):
            return event
    raise AssertionError("the stream ended")


def test_a_live_stream_resumes_after_a_reconnect_with_the_last_event_id(platform, grid_centre):
    operator = platform.as_user("operator1")
    first = _stream(operator)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/event-stream")
    answer = platform.as_user(OFFICER).post(
        "/api/v1/reports", {"category": "sanitation", "description": "直播 live", "location": grid_centre(OFFICER_GRID)}
    )
    case_id = answer.json()["case_id"]
    # The feed numbers events in the order they were stored, which need not be the order they happened
    # (each event type has its own queue): the first one seen is whichever was stored first.
    seen = _until(sse_events(first), lambda e: e["data"]["case"]["case_id"] == case_id)
    first.close()  # the browser loses its connection here
    wait_for(
        lambda: operator.get(f"/api/v1/cases/{case_id}").json()["status"] == "dispatched",
        timeout=30,
        message="dispatched by rule while disconnected",
    )
    expected = {"case.reported", "case.registered", "case.dispatched"} - {seen["event"]}
    again = _stream(operator, last_event_id=seen["id"])
    missed = []
    for event in sse_events(again):
        if event["data"]["case"]["case_id"] == case_id:
            missed.append(event)
        if {e["event"] for e in missed} >= expected:
            break
    again.close()
    assert {e["event"] for e in missed} == expected and len(missed) == len(expected)  # each once, none lost
    assert all(int(e["id"]) > int(seen["id"]) for e in missed)


def test_a_stream_shows_only_cases_its_person_may_see(platform, grid_centre):
    other = platform.as_user("officer-610102001001002")
    stream = _stream(other)
    answer = platform.as_user(OFFICER).post(
        "/api/v1/reports",
        {"category": "sanitation", "description": "别人的网格 not yours", "location": grid_centre(OFFICER_GRID)},
    )
    case_id = answer.json()["case_id"]
    mine_too = platform.as_user("officer-610102001001002").post(
        "/api/v1/reports",
        {"category": "sanitation", "description": "我的网格 mine", "location": grid_centre("610102001001002")},
    )
    own_case = mine_too.json()["case_id"]
    seen = []
    for event in sse_events(stream):
        seen.append(event["data"]["case"]["case_id"])
        if event["data"]["case"]["case_id"] == own_case:
            break
    stream.close()
    assert case_id not in seen
