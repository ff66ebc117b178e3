import pytest
from nameko.testing.services import worker_factory

from services.directory.domain import with_places
from services.reporting.service import ReportingService
from shared.auth import Identity
from shared.errors import (
    Forbidden,
    Unauthenticated,
    UnknownCategory,
    Unprocessable,
    ValidationFailed,
)
from tests.service.fakes import FakeCaller, FakeReports, FixedClock, reference_with
from tests.support import district

OFFICER = Identity("officer-1", frozenset({"grid_officer"}), grids=frozenset({"610102001001001"}))
OPERATOR = Identity("operator1", frozenset({"operator"}))
HANDLER = Identity("handler-1", frozenset({"handler"}), department="sanitation")
REPORT = {
    "category": "sanitation",
    "description": "垃圾堆积",
    "location": district.centre(0),
    "idempotency_key": "dev-1",
}


def make(identity=OFFICER):
    reference = reference_with(
        categories={"items": district.CATEGORIES},
        grid_map={"map_version": 1, "areas": district.AREAS, "grids": with_places(district.AREAS, district.GRIDS)},
    )
    return worker_factory(
        ReportingService,
        store=FakeReports(),
        clock=FixedClock(),
        caller=FakeCaller(identity),
        reference=reference,
        config={"GRID_MISMATCH_TOLERANCE_M": 30},
    )


@pytest.fixture
def service():
    return make()


def test_a_report_finds_its_grid_by_its_coordinates(service):
    answer = service.submit_report(REPORT, correlation_id="X1")
    (event,) = service.store.events
    assert event.payload["case_id"] == answer["case_id"]
    assert (event.payload["grid"], event.payload["street"]) == ("610102001001001", "610102001")
    assert event.payload["reporter"] == "officer-1"
    assert event.correlation_id == "X1"


def test_a_report_whose_grid_and_coordinates_disagree_is_flagged_not_fixed(service):
    service.submit_report({**REPORT, "grid": "610102002001003"})
    report = next(iter(service.store.reports.values()))
    assert report["grid"] == "610102002001003"
    assert report["grid_mismatch"] is True
    assert report["located_grid"] == "610102001001001"


def test_a_point_outside_every_grid_is_refused_saying_so(service):
    with pytest.raises(Unprocessable, match="outside every grid"):
        service.submit_report({**REPORT, "location": {"lat": 34.0, "lon": 108.0}})
    assert service.store.reports == {}


def test_an_unknown_grid_is_refused(service):
    with pytest.raises(Unprocessable, match="Unknown grid"):
        service.submit_report({**REPORT, "grid": "610102009009009"})


def test_a_retry_answers_with_the_first_ids(service):
    first = service.submit_report(REPORT)
    again = service.submit_report(REPORT)
    assert (again["report_id"], again["duplicate"]) == (first["report_id"], True)
    assert len(service.store.reports) == 1


def test_a_first_report_reads_nothing_to_find_a_retry(service):
    """The store's unique key finds a retry that passes the checks; a first report costs no read for it."""
    service.submit_report({**REPORT, "idempotency_key": "dev-1"})
    again = service.submit_report({**REPORT, "idempotency_key": "dev-1"})
    assert again["duplicate"] is True
    assert service.store.replay_lookups == 0


def test_a_retry_answers_as_the_first_time_whatever_changed_since(service):
    """A replay is answered from the first report before anything is checked again: its photos are now bound to
    that report, and the category or the grid map may have changed meanwhile."""
    report = {**REPORT, "attachments": ["P" + "0" * 26], "idempotency_key": "dev-photos"}
    first = service.submit_report(report)
    service.store.attachments.bound = set(report["attachments"])
    service.reference.load("categories", 2, {"items": [{**c, "active": False} for c in district.CATEGORIES]})
    service.reference.load("grid_map", 2, {"map_version": 2, "areas": district.AREAS, "grids": []})
    service.caller = FakeCaller(Identity("officer-1", frozenset({"handler"}), department="sanitation"))  # moved
    again = service.submit_report(report)
    assert (again["report_id"], again["case_id"], again["duplicate"]) == (first["report_id"], first["case_id"], True)
    assert len(service.store.reports) == 1


def test_a_photo_already_in_a_report_is_refused_for_a_new_one(service):
    service.store.attachments.bound = {"P" + "0" * 26}
    with pytest.raises(ValidationFailed) as refused:
        service.submit_report({**REPORT, "attachments": ["P" + "0" * 26], "idempotency_key": "dev-new"})
    assert "Not a photo you uploaded for a new report" in refused.value.details["fields"]["attachments"][0]
    assert service.store.reports == {}


def test_invalid_input_touches_nothing(service):
    with pytest.raises(ValidationFailed) as refused:
        service.submit_report({**REPORT, "location": {"lat": "north"}, "description": ""})
    assert set(refused.value.details["fields"]) == {"location", "description"}
    assert service.store.reports == {}


@pytest.mark.parametrize("hostile", [{"$gt": ""}, ["a"], 5])
def test_operators_and_odd_types_never_reach_the_store(service, hostile):
    with pytest.raises(ValidationFailed):
        service.submit_report({**REPORT, "reporter": hostile})
    assert service.store.reports == {}


def test_unknown_category_touches_nothing(service):
    with pytest.raises(UnknownCategory):
        service.submit_report({**REPORT, "category": "nope"})
    assert service.store.reports == {}


def test_an_officer_reports_only_as_themselves(service):
    with pytest.raises(Forbidden):
        service.submit_report({**REPORT, "reporter": "officer-2"})


def test_an_operator_may_file_a_residents_call():
    service = make(OPERATOR)
    service.submit_report({**REPORT, "reporter": "resident-13800000000"})
    report = next(iter(service.store.reports.values()))
    assert report["reporter"] == "resident-13800000000"
    assert report["filed_by"]["user_id"] == "operator1"


def test_a_handler_may_not_file_reports():
    with pytest.raises(Forbidden):
        make(HANDLER).submit_report(REPORT)
    # nor learn which fields a report needs: an invalid body is refused for who sends it, not for what it lacks
    with pytest.raises(Forbidden):
        make(HANDLER).submit_report({})


def test_without_a_token_nothing_happens():
    with pytest.raises(Unauthenticated):
        make(None).submit_report(REPORT)


def test_a_public_case_a_rule_registered_and_dispatched_tells_its_reporter_of_the_registration_once(service):
    from tests.support.samples import REGISTRATION, sample_event

    public = {"_id": "R1", "case_id": "C1", "source": "public", "contact": {"email": "r@example.cn"}, "language": "en"}
    service.store.reports["R1"] = {**public, "dedup_key": "k", "fingerprint": "f"}
    routed = sample_event("case.dispatched", source="public", registration=REGISTRATION)
    service.on_case_dispatched(routed)
    service.on_case_dispatched(routed)  # redelivered
    (notice,) = [e for e in service.store.events if e.type == "reporter.notice_due"]
    assert (notice.payload["about"], notice.payload["channels"], notice.causation_id) == (
        "case.registered",
        ["email"],
        f"{routed.event_id}:registered",  # the stage it tells of (shared/events/stages.py)
    )
    assert service.store.case_view("C1")["status"] == "dispatched"
    service.on_case_dispatched(sample_event("case.dispatched", source="public", version=4))  # an operator's again
    assert [e.type for e in service.store.events] == ["reporter.notice_due"]
