"""Every service on the real bus and store, in this process: a report reaches an inbox."""

import base64

import pytest

from services.cases.service import CasesService
from services.dispatch.service import DispatchService
from services.notifications.service import NotificationsService
from services.reporting.service import ReportingService
from shared.errors import Conflict, Forbidden, UnknownCategory, ValidationFailed
from tests.support import district
from tests.support.files import image_bytes
from tests.support.infra import wait_for

REPORT = {
    "category": "drainage",
    "description": "下水道堵塞 blocked drain",
    "location": district.centre(0),
    "attributes": {"severity": "flooding"},
}


@pytest.fixture
def platform(runner_factory, service_config, seeded_directory, rpc_as):
    runner = runner_factory(service_config, ReportingService, CasesService, DispatchService, NotificationsService)
    runner.start()
    with rpc_as("operator1") as operator:
        # every service checks its callers against its copy of the users: all copies first
        wait_for(
            lambda: all(
                all(service.health()["reference"].values())
                for service in (operator.reporting, operator.cases, operator.dispatch, operator.notifications)
            ),
            timeout=20,
            message="copies",
        )
    return rpc_as


def inbox(rpc, department):
    return rpc.notifications.list_inbox({"department": department})["items"]


def test_a_report_lands_in_the_departments_inbox(platform):
    with platform("officer-1") as officer, platform("operator1") as operator:
        accepted = officer.reporting.submit_report(REPORT, correlation_id="corr-1")
        case_id = accepted["case_id"]
        (entry,) = wait_for(
            lambda: [e for e in inbox(operator, "municipal") if e["case_id"] == case_id], message="inbox entry"
        )
        assert entry["correlation_id"] == "corr-1"
        case = operator.cases.get_case(case_id)
        assert (case["status"], case["department"], case["grid"]) == ("dispatched", "municipal", district.GRID_CODES[0])
        assert [h["to"] for h in case["history"]] == ["reported", "registered", "dispatched"]
        (assignment,) = wait_for(lambda: operator.dispatch.assignments_for_case(case_id), message="assignment")
        assert assignment["department"] == "municipal" and assignment["decided_by"] == "rule"


def test_a_routed_report_tells_its_reporter_of_the_registration_and_its_department_once(platform):
    with platform("officer-1") as officer, platform("operator1") as operator:
        case_id = officer.reporting.submit_report(REPORT)["case_id"]
        wait_for(lambda: [e for e in inbox(operator, "municipal") if e["case_id"] == case_id], message="dispatched")
        (told,) = wait_for(
            lambda: [e for e in officer.notifications.list_inbox({})["items"] if e["case_id"] == case_id],
            message="the reporter told",
        )
        assert told["kind"] == "case.registered"  # 立案, from the one event that also dispatched it
        assert [e["kind"] for e in inbox(operator, "municipal") if e["case_id"] == case_id] == ["case.dispatched"]


def test_a_routed_report_is_born_dispatched_announced_once_and_the_command_centre_still_hears_of_it(platform, listen):
    reported, dispatched = listen("cases", "case.reported"), listen("cases", "case.dispatched")
    with platform("officer-1") as officer, platform("operator1") as operator:
        case_id = officer.reporting.submit_report(REPORT)["case_id"]
        wait_for(lambda: [e for e in inbox(operator, "municipal") if e["case_id"] == case_id], message="dispatched")
        case = operator.cases.get_case(case_id)
        assert (case["status"], case["version"]) == ("dispatched", 2)
        # the command centre is told of the report the one event stands for, once
        kinds = wait_for(
            lambda: [e["kind"] for e in operator.notifications.list_inbox({})["items"] if e["case_id"] == case_id],
            message="the command centre told",
        )
        assert kinds == ["case.reported"]
    message = dispatched.get(timeout=5)
    assert message.payload["payload"]["report"]["report_id"] and message.payload["payload"]["registration"]
    message.ack()
    with pytest.raises(dispatched.Empty):
        dispatched.get(timeout=1)
    with pytest.raises(reported.Empty):  # no case.reported of its own
        reported.get(timeout=1)


def test_a_more_specific_rule_routes_a_case_elsewhere(platform):
    with platform("officer-3") as officer, platform("operator1") as operator:
        accepted = officer.reporting.submit_report(
            {"category": "sanitation", "description": "垃圾", "location": district.centre(2)}
        )
        wait_for(
            lambda: [e for e in inbox(operator, "urban_management") if e["case_id"] == accepted["case_id"]],
            message="street 002's rubbish goes to urban management",
        )


def test_a_retry_with_the_same_key_makes_no_second_report(platform):
    with platform("officer-1") as officer, platform("operator1") as operator:
        first = officer.reporting.submit_report({**REPORT, "idempotency_key": "k-1"})
        again = officer.reporting.submit_report({**REPORT, "idempotency_key": "k-1"})
        assert (again["report_id"], again["case_id"], again["duplicate"]) == (
            first["report_id"],
            first["case_id"],
            True,
        )
        wait_for(lambda: [e for e in inbox(operator, "municipal") if e["case_id"] == first["case_id"]])
        assert len([e for e in inbox(operator, "municipal") if e["case_id"] == first["case_id"]]) == 1


def test_a_retry_of_a_report_with_photos_answers_as_the_first_time(platform):
    """The phone's answer was lost and it sends the same report again: its photos now belong to the report the
    server made, and that must not turn the retry into a refusal (the phone would offer to discard a report the
    server holds, and the officer would file it again)."""
    with platform("officer-1") as officer:
        photo = officer.reporting.upload_attachment("drain.jpg", base64.b64encode(image_bytes()).decode())
        report = {**REPORT, "attachments": [photo["attachment_id"]], "idempotency_key": "k-photos"}
        first = officer.reporting.submit_report(report)
        again = officer.reporting.submit_report(report)
        assert (again["report_id"], again["case_id"], again["duplicate"]) == (
            first["report_id"],
            first["case_id"],
            True,
        )
        assert again["possible_duplicates"] == first["possible_duplicates"]


def test_a_reused_key_with_different_content_is_a_conflict(platform):
    with platform("officer-1") as officer:
        officer.reporting.submit_report({**REPORT, "idempotency_key": "k-2"})
        with pytest.raises(Conflict):
            officer.reporting.submit_report({**REPORT, "idempotency_key": "k-2", "description": "other"})


def test_bad_input_is_refused_field_by_field(platform):
    with platform("officer-1") as officer, pytest.raises(ValidationFailed) as refused:
        officer.reporting.submit_report({"category": "drainage", "location": {"lat": 99}, "extra": 1})
    assert set(refused.value.details["fields"]) == {"description", "location", "extra"}


def test_an_unknown_category_is_refused(platform):
    with platform("officer-1") as officer, pytest.raises(UnknownCategory):
        officer.reporting.submit_report({**REPORT, "category": "ufo"})


def test_a_department_reads_only_its_own_inbox(platform):
    with platform("handler-sanitation-1") as handler:
        assert handler.notifications.list_inbox({"department": "sanitation"})["items"] is not None
        with pytest.raises(Forbidden):
            handler.notifications.list_inbox({"department": "municipal"})
