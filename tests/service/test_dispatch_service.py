import pytest
from nameko.testing.services import worker_factory

from services.dispatch.service import DispatchService
from shared.auth import Identity
from shared.errors import Forbidden, ServiceUnavailable
from tests.service.fakes import FakeCaller, FakeDispatch, FixedClock, reference_with
from tests.support import district
from tests.support.samples import sample_event

OPERATOR = Identity("operator1", frozenset({"operator"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
OFFICER = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))


def make(identity=OPERATOR, **kinds):
    kinds = kinds or {
        "routing_rules": {"items": district.ROUTING_RULES},
        "departments": {"items": district.DEPARTMENTS},
    }
    return worker_factory(
        DispatchService,
        store=FakeDispatch(),
        clock=FixedClock(),
        caller=FakeCaller(identity),
        reference=reference_with(**kinds),
    )


@pytest.fixture
def service():
    return make()


def test_a_reported_case_is_routed_once_by_its_categorys_rule_whatever_the_redeliveries(service):
    reported = sample_event("case.reported")
    service.on_case_reported(reported)
    service.on_case_reported(reported)
    (decided,) = service.store.events
    assert decided.type == "routing.decided" and decided.causation_id == reported.event_id
    assert {k: decided.payload[k] for k in ("case_id", "department", "rule_id", "automatic")} == {
        "case_id": "C1",
        "department": "sanitation",
        "rule_id": "sanitation",
        "automatic": True,
    }


def test_the_most_specific_rule_wins(service):
    service.on_case_reported(sample_event("case.reported", street="610102002", community="610102002001"))
    assert service.store.events[0].payload["department"] == "urban_management"


def test_the_publics_report_waits_for_an_operator_unless_the_rule_lets_it_through(service):
    service.on_case_reported(sample_event("case.reported", source="public"))
    assert service.store.events[0].payload["automatic"] is False


def test_a_case_handled_on_the_spot_or_without_a_rule_is_left_to_people(service):
    service.on_case_reported(sample_event("case.reported", status="closed"))
    service.on_case_reported(sample_event("case.reported", case_id="C2", category="noise"))
    assert service.store.events == []


def test_without_its_copy_of_the_rules_a_report_waits_to_be_routed():
    service = make(departments={"items": district.DEPARTMENTS})
    with pytest.raises(ServiceUnavailable):  # the consumer retries; nothing is decided on no rules
        service.on_case_reported(sample_event("case.reported"))
    assert service.store.events == []


def test_each_dispatch_is_one_assignment_and_the_workload_follows_the_case(service):
    dispatched = sample_event("case.dispatched")
    service.on_case_dispatched(dispatched)
    service.on_case_dispatched(dispatched)  # redelivered
    assert [a["source_event_id"] for a in service.assignments_for_case("C1")] == [dispatched.event_id]
    assert service.workload() == {"sanitation": 1}
    service.on_case_resolved(sample_event("case.resolved", version=5))
    assert service.workload() == {}
    service.on_case_reworked(sample_event("case.reworked", status="accepted", version=7))
    assert [a["rework"] for a in service.assignments_for_case("C1")] == [False, True]
    assert service.workload() == {"sanitation": 1}
    service.on_case_returned(sample_event("case.returned", version=6))  # older than the rework: changes nothing
    service.on_case_cancelled(sample_event("case.cancelled", version=8))
    assert service.workload() == {}


def test_an_assignment_reads_with_its_id_named_for_what_it_is(service):
    service.on_case_dispatched(sample_event("case.dispatched"))
    (assignment,) = service.assignments_for_case("C1")
    assert assignment["assignment_id"].startswith("A") and "_id" not in assignment
    assert (assignment["department"], assignment["decided_by"], assignment["rule_id"]) == (
        "sanitation",
        "rule",
        "sanitation",
    )


def test_only_the_command_centre_reads_assignments():
    service = make(HANDLER)
    with pytest.raises(Forbidden):
        service.assignments_for_case("C1")


def test_a_department_sees_its_own_workload_and_one_without_a_department_none():
    service = make(HANDLER)
    service.on_case_dispatched(sample_event("case.dispatched"))
    service.on_case_dispatched(sample_event("case.dispatched", case_id="C2", department="municipal"))
    assert service.workload() == {"sanitation": 1}
    service.caller = FakeCaller(Identity("h2", frozenset({"handler"}), department="justice"))
    assert service.workload() == {"justice": 0}
    service.caller = FakeCaller(OFFICER)
    with pytest.raises(Forbidden):
        service.workload()
