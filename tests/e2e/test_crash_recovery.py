"""Kill a service between its write and its publish, or between filing a message and sending it: the event
still goes out, and the message, exactly once."""

import os
import signal

import pytest

from tests.e2e.conftest import OFFICER_GRID
from tests.support.infra import wait_for


@pytest.fixture(scope="module")
def report(grid_centre):
    return {
        "category": "street_light",
        "description": "路灯不亮 street light out",
        "location": grid_centre(OFFICER_GRID),
        "attributes": {"fault": "off_at_night"},
    }


def department_entry(case_id) -> dict:
    """The department's shared-inbox entry of a dispatch: one per case, however often the events came."""
    return {"case_id": case_id, "kind": "case.dispatched", "department": {"$exists": True}}


def test_cases_killed_after_its_write_and_before_its_publish_loses_and_doubles_nothing(
    platform, store, officer, report
):
    old_pid = platform.pid("cases")
    platform.arm_fault("cases", "before_publish")

    answer = officer.post("/api/v1/reports", report)
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]

    platform.wait_restarted("cases", old_pid)
    assert "cases exited with 70" in platform.launcher_output()  # the armed fault, not luck
    wait_for(
        lambda: store("notifications").inbox.count_documents(department_entry(case_id)) == 1,
        timeout=30,
        message="inbox entry after restart",
    )
    case = officer.get(f"/api/v1/cases/{case_id}").json()
    assert case["status"] == "dispatched"
    assert [h["action"] for h in case["history"]] == ["report", "register", "dispatch"]
    wait_for(
        lambda: store("dispatch").assignments.count_documents({"case_id": case_id}) == 1,
        timeout=10,
        message="the assignment recorded",
    )
    assert store("notifications").inbox.count_documents(department_entry(case_id)) == 1
    # published events leave the outbox shortly after, in batches
    wait_for(
        lambda: store("cases").cases.find_one({"_id": case_id})["_outbox"] == [], timeout=10, message="outbox cleared"
    )


def test_a_service_killed_hard_under_load_loses_no_report(platform, store, officer, report):
    case_ids = [
        officer.post("/api/v1/reports", {**report, "description": f"light {i}"}).json()["case_id"] for i in range(20)
    ]
    old_pid = platform.pid("dispatch")
    os.kill(old_pid, signal.SIGKILL)
    case_ids += [
        officer.post("/api/v1/reports", {**report, "description": f"light {i}"}).json()["case_id"]
        for i in range(20, 40)
    ]
    platform.wait_restarted("dispatch", old_pid)

    def all_delivered():
        return store("notifications").inbox.count_documents(department_entry({"$in": case_ids})) == len(case_ids)

    wait_for(all_delivered, timeout=60, message="every report in an inbox")
    # dispatch (the process killed) records each assignment from the same events, on its own time
    wait_for(
        lambda: store("dispatch").assignments.count_documents({"case_id": {"$in": case_ids}}) == len(case_ids),
        timeout=60,
        message="every assignment recorded once",
    )
    assert store("notifications").inbox.count_documents(department_entry({"$in": case_ids})) == len(case_ids)


def test_notifications_killed_after_filing_mail_and_before_sending_it_sends_each_mail_once(
    platform, store, officer, report, smtp
):
    old_pid = platform.pid("notifications")
    platform.arm_fault("notifications", "before_sending")

    answer = officer.post("/api/v1/reports", {**report, "description": "路灯不亮 killed before sending"})
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]

    platform.wait_restarted("notifications", old_pid)
    assert "notifications exited with 70" in platform.launcher_output()

    def mails_of_the_case():
        return list(store("notifications").deliveries.find({"case_id": case_id, "channel": "email"}))

    # filed claimed by the process that died: sent by the courier's scan once the claim's lease (6 s here) lapses
    delivered = wait_for(
        lambda: (m := mails_of_the_case()) and all(d["state"] == "delivered" for d in m) and m,
        timeout=60,
        message="every e-mail of the case delivered",
    )
    assert all(len(d["attempts"]) == 1 for d in delivered)
    sent = [m for m in smtp.messages() if m["X-Civicgrid-Delivery"] in {d["_id"] for d in delivered}]
    assert sorted(m["X-Civicgrid-Delivery"] for m in sent) == sorted(d["_id"] for d in delivered)  # each once
