import pytest
from nameko.testing.services import worker_factory

from services.dispatch.service import DispatchService
from shared.auth import Identity
from shared.errors import Forbidden
from tests.service.fakes import FakeCaller, FakeDispatch, FixedClock, reference_with
from tests.support import district
from tests.support.samples import sample_event

OPERATOR = Identity("operator1", frozenset({"operator"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
OFFICER = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))


def make(identity=OPERATOR, **kinds):
    kinds = kinds or {"departments": {"items": district.DEPARTMENTS}}
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


def test_dispatch_no_longer_routes_the_cases_service_does_as_it_opens_a_case():
    from services.dispatch.service import EVENT_HANDLERS

    assert "case.reported" not in EVENT_HANDLERS["cases"] and "routing_rules" not in DispatchService.reference.kinds
    assert not hasattr(make(), "on_case_reported")


def test_a_case_born_dispatched_is_one_assignment_by_its_rule(service):
    from tests.support.samples import BORN_REPORT, REGISTRATION

    born = sample_event("case.dispatched", registration=REGISTRATION, report=BORN_REPORT)
    service.on_case_dispatched(born)
    service.on_case_dispatched(born)  # redelivered
    assert [(a["source_event_id"], a["decided_by"]) for a in service.assignments_for_case("C1")] == [
        (born.event_id, "rule")
    ]
    assert service.workload() == {"sanitation": 1}


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
