"""The closed loop on the real bus and store: every party acts in turn; races are refused, not lost."""

import eventlet
import pytest

from services.cases.service import CasesService
from services.dispatch.service import DispatchService
from services.notifications.service import NotificationsService
from services.reporting.service import ReportingService
from shared.errors import Conflict
from tests.support import district
from tests.support.infra import wait_for


@pytest.fixture
def platform(runner_factory, service_config, seeded_directory, rpc_as):
    runner = runner_factory(service_config, ReportingService, CasesService, DispatchService, NotificationsService)
    runner.start()
    with rpc_as("operator1") as operator:
        wait_for(
            lambda: (
                all(operator.reporting.health()["reference"].values())
                and all(operator.cases.health()["reference"].values())
                and all(operator.dispatch.health()["reference"].values())
                and all(operator.notifications.health()["reference"].values())
            ),
            timeout=20,
            message="copies",
        )
    return rpc_as


def report(rpc, category="dispute", col=0, **extra):
    body = {
        "category": category,
        "description": "邻居吵架 neighbours quarrelling",
        "location": district.centre(col),
        **extra,
    }
    if category == "dispute":
        body.setdefault("attributes", {})
    return rpc.reporting.submit_report(body)["case_id"]


def opened(rpc, case_id):
    return wait_for(lambda: _get(rpc, case_id), message=f"case {case_id} opened")


def _get(rpc, case_id):
    try:
        return rpc.cases.get_case(case_id)
    except Exception:
        return None


def test_a_case_goes_round_the_whole_loop(platform):
    with (
        platform("officer-1") as officer,
        platform("operator1") as operator,
        platform("handler-sanitation-1") as handler,
        platform("supervisor") as supervisor,
    ):
        case_id = report(officer)  # disputes are not dispatched automatically
        opened(operator, case_id)
        operator.cases.act(case_id, "register", {})
        operator.cases.act(case_id, "dispatch", {"department": "sanitation"})
        handler.cases.act(case_id, "accept", {})
        handler.cases.act(case_id, "request_extension", {"reason": "needs a mediator", "hours": 12})
        supervisor.cases.act(case_id, "approve_extension", {})
        photo = handler.cases.upload_attachment(case_id, "fixed.png", _png())["attachment_id"]
        handler.cases.act(case_id, "resolve", {"note": "mediated", "attachments": [photo]})
        officer.cases.act(case_id, "verify", {"passed": False, "note": "still quarrelling"})
        handler.cases.act(case_id, "accept", {})
        handler.cases.act(case_id, "resolve", {"note": "mediated again", "attachments": [photo]})
        officer.cases.act(case_id, "verify", {"passed": True, "note": "quiet now"})
        closed = operator.cases.act(case_id, "close", {})
        assert closed["status"] == "closed"
        assert closed["rework_count"] == 1 and closed["extensions"] == 1
        actions = [h["action"] for h in closed["history"]]
        assert actions == [
            "report",
            "register",
            "dispatch",
            "accept",
            "request_extension",
            "approve_extension",
            "resolve",
            "verify",
            "accept",
            "resolve",
            "verify",
            "close",
        ]
        wait_for(lambda: operator.dispatch.workload().get("sanitation", 0) == 0, message="workload back to 0")


def test_two_people_acting_at_once_one_wins_the_other_is_told(platform):
    with platform("officer-1") as officer, platform("operator1") as operator:
        case_id = report(officer)
        version = opened(operator, case_id)["version"]

    def register(note):
        with platform("operator1") as rpc:
            try:
                return rpc.cases.act(case_id, "register", {"note": note, "version": version})["status"]
            except Conflict:
                return "conflict"

    outcomes = sorted(eventlet.GreenPool().imap(register, ["first", "second"]))
    assert outcomes == ["conflict", "registered"]


def test_a_merged_reports_reporter_follows_the_surviving_case(platform):
    with platform("officer-1") as officer, platform("officer-2") as other, platform("operator1") as operator:
        target = report(officer, col=0)
        duplicate = report(other, col=1)
        opened(operator, target)
        opened(operator, duplicate)
        operator.cases.act(duplicate, "merge", {"target_case_id": target})
        survivor = wait_for(
            lambda: (c := operator.cases.get_case(target)).get("merged_cases") and c,
            message="the survivor took the duplicate in",
        )
        assert set(survivor["reporters"]) >= {opened(operator, duplicate)["reporter"]}
        assert survivor["merged_cases"] == [duplicate]
        assert operator.cases.get_case(duplicate)["merged_into"] == target


def test_a_nearby_open_case_of_the_same_category_is_suggested(platform):
    with platform("officer-1") as officer, platform("operator1") as operator:
        first = report(officer, category="sanitation")
        opened(operator, first)
        answer = wait_for(
            lambda: (
                (
                    a := officer.reporting.submit_report(
                        {"category": "sanitation", "description": "又有垃圾", "location": district.centre(0)}
                    )
                )["possible_duplicates"]
                and a
            ),
            timeout=10,
            message="duplicate suggested",
        )
        assert answer["possible_duplicates"][0]["case_id"] == first
        assert opened(operator, answer["case_id"])["possible_duplicates"] == [
            d["case_id"] for d in answer["possible_duplicates"]
        ]


def _png() -> str:
    import base64

    from tests.support.files import image_bytes

    return base64.b64encode(image_bytes("PNG")).decode()
