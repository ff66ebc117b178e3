"""Deadlines on the working calendar and the escalation ladder, across real services with two replicas each.

Time is moved, never waited for: every process reads the same controllable clock.
"""

import os
import signal
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.lifecycle import Loop
from tests.support.infra import wait_for
from tests.support.platform import running_platform

BEIJING = ZoneInfo("Asia/Shanghai")
# Thirteen processes start on two cores before the first test: allow for it.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def platform(rabbit_admin, tmp_path_factory):
    with running_platform(
        rabbit_admin,
        tmp_path_factory.mktemp("clocked"),
        "cgc",
        # a replica killed holding the escalation lease hands it on within 6 s
        {"ESCALATION_SCAN_SECONDS": "0.3", "SCAN_LEASE_SECONDS": "6", "LEASE_SKEW_SECONDS": "2"},
        start_timeout=240,
        replicas=2,
    ) as running:
        yield running


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def loop_for(platform):
    operator = platform.as_user("operator1")
    grid = operator.get(f"/api/v1/directory/grids/{OFFICER_GRID}").json()
    ring = grid["polygon"]["coordinates"][0][:-1]
    centre = {"lon": sum(p[0] for p in ring) / len(ring), "lat": sum(p[1] for p in ring) / len(ring)}
    return Loop(platform, centre, "justice")


def test_a_case_dispatched_on_friday_evening_is_due_after_the_weekend(platform):
    platform.set_time(at("2026-11-27 17:30"))  # a Friday
    loop = loop_for(platform)
    case_id = loop.case_at("dispatched")  # disputes: sign for within 1 working hour
    case = loop.operator.get(f"/api/v1/cases/{case_id}").json()
    assert case["stage"] == "sign_for"
    deadline = datetime.fromisoformat(case["stage_deadline"])
    assert abs(deadline - at("2026-11-30 09:00")) < timedelta(minutes=1)  # the clock ran on a little meanwhile
    assert case["light"] == "green"


def test_a_case_dispatched_before_national_day_is_due_on_the_adjusted_working_saturday(platform):
    platform.set_time(at("2026-09-30 17:30"))  # holidays from 1 October; Saturday 10 October is a workday
    loop = loop_for(platform)
    case_id = loop.case_at("dispatched")
    deadline = datetime.fromisoformat(loop.operator.get(f"/api/v1/cases/{case_id}").json()["stage_deadline"])
    assert deadline.astimezone(BEIJING).date().isoformat() == "2026-10-08"  # first workday after the holiday


def _escalations(loop, case_id):
    history = loop.operator.get(f"/api/v1/cases/{case_id}/timeline").json()
    return [h for h in history if h["action"] == "escalate"]


def test_every_default_rung_fires_once_with_two_replicas_and_a_restart_between_rungs(platform):
    platform.set_time(at("2026-11-23 09:00"))  # a Monday
    loop = loop_for(platform)
    case_id = loop.case_at("accepted")  # disputes: 72 working hours to dispose
    case = loop.operator.get(f"/api/v1/cases/{case_id}").json()
    assert case["escalation"]["fired"] == []
    fired_names = []
    for rung, name in enumerate(["warning", "overdue", "command_centre", "supervision"], 1):
        loop = loop_for(platform)
        due = datetime.fromisoformat(loop.operator.get(f"/api/v1/cases/{case_id}").json()["escalation"]["next_due_at"])
        platform.set_time(due + timedelta(minutes=1))
        loop = loop_for(platform)
        wait_for(
            lambda n=rung, current=loop: len(_escalations(current, case_id)) == n, timeout=30, message=f"rung {rung}"
        )
        fired_names.append(name)
        if rung == 2:
            # the department head hears that the department runs late
            wait_for(
                lambda: [
                    n
                    for n in platform.as_user("head-justice").get("/api/v1/notifications").json()["items"]
                    if n["case_id"] == case_id and n["kind"] == "case.escalated"
                ],
                timeout=30,
                message="the head told",
            )
            os.kill(platform.pid("cases-1"), signal.SIGKILL)  # a replica dies between rungs: the ladder goes on
    loop = loop_for(platform)
    entries = _escalations(loop, case_id)
    assert [e["note_params"]["rung_name"] for e in entries] == fired_names
    assert [e["note_key"] for e in entries] == ["note.escalated"] * 4 and all(e["note"] for e in entries)
    case = loop.operator.get(f"/api/v1/cases/{case_id}").json()
    assert case["supervised"] is True and case["light"] == "red"
    assert [f["rung"] for f in case["escalation"]["fired"]] == [1, 2, 3, 4]
    platform.set_time(due + timedelta(days=30))  # much later: nothing fires twice
    loop = loop_for(platform)
    wait_for(lambda: platform.get("/readyz").status_code == 200, timeout=60)
    assert len(_escalations(loop, case_id)) == 4
    supervised = loop.supervisor.get("/api/v1/cases", params={"supervised": "true", "limit": 200}).json()["items"]
    assert case_id in [c["case_id"] for c in supervised]


def test_a_suspended_case_does_not_escalate_and_resumes_with_the_time_it_had(platform):
    platform.set_time(at("2026-11-23 09:00"))
    loop = loop_for(platform)
    case_id = loop.case_at("accepted", suspended=True)
    platform.set_time(at("2027-01-05 09:00"))  # weeks later: still parked, nothing fired
    loop = loop_for(platform)
    assert _escalations(loop, case_id) == []
    resumed = loop.act(loop.operator, case_id, "resume")
    assert datetime.fromisoformat(resumed["stage_deadline"]) > at("2027-01-05 09:00")
    assert resumed["light"] == "green"


def test_the_indicators_count_what_happened(platform):
    loop = loop_for(platform)
    table = wait_for(
        lambda: (
            (
                t := loop.supervisor.get(
                    "/api/v1/stats/department", params={"period": "quarter", "date": "2026-11-25"}
                ).json()
            )["rows"]
            and t
        ),
        timeout=20,
        message="indicators",
    )
    justice = next(r for r in table["rows"] if r["key"] == "justice")
    assert justice["due"] >= 1 and justice["name"] == "司法所"
    csv = loop.supervisor.get(
        "/api/v1/stats/department", params={"period": "quarter", "date": "2026-11-25", "format": "csv"}
    )
    assert csv.headers["Content-Type"].startswith("text/csv") and "on_time_closure_rate" in csv.text
    head = platform.as_user("head-justice").get("/api/v1/stats/department", params={"period": "quarter"}).json()
    assert {r["key"] for r in head["rows"]} <= {"justice"}
    assert platform.as_user(OFFICER).get("/api/v1/stats/department").status_code == 403
