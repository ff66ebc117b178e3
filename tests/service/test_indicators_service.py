from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from services.directory.domain import with_places
from services.indicators.service import IndicatorsService
from shared.auth import Identity
from shared.errors import Forbidden, NotFound, ValidationFailed
from tests.service.fakes import FakeCaller, FakeIndicators, FixedClock, reference_with
from tests.support import district
from tests.support.samples import NOW, sample_event

OPERATOR = Identity("operator1", frozenset({"operator"}))
HEAD = Identity("head-sanitation", frozenset({"department_head"}), department="sanitation")
LEADER = Identity("leader-1", frozenset({"grid_leader"}), grids=frozenset({"610102001001001"}))
HANDLER = Identity("h", frozenset({"handler"}), department="sanitation")
GRID, OTHER_GRID = "610102001001001", "610102001001002"
DEADLINE = NOW + timedelta(days=1)


def make(identity=OPERATOR, now=NOW):
    reference = reference_with(
        departments={"items": district.DEPARTMENTS},
        categories={"items": district.CATEGORIES},
        grid_map={"map_version": 1, "areas": district.AREAS, "grids": with_places(district.AREAS, district.GRIDS)},
    )
    return worker_factory(
        IndicatorsService,
        store=FakeIndicators(),
        clock=FixedClock(now),
        caller=FakeCaller(identity),
        reference=reference,
        config={"INDICATORS_LINGER_SECONDS": 0, "TIMEZONE": "Asia/Shanghai"},
    )


def walk(service, case_id="C1", grid=GRID, until="case.closed", routed=False, **facts):
    """A case's events, reported to ``until``, each delivered twice as a broker may; ``routed``: registered and
    dispatched by a routing rule, announced by one ``case.dispatched`` carrying the registration."""
    registration = {"report_id": "R1", "registered_by": "system", "registered_at": NOW}
    steps = [
        ("case.reported", 1, {}),
        *([] if routed else [("case.registered", 2, {})]),
        (
            "case.dispatched",
            3,
            {"deadline": DEADLINE, "stage_deadline": DEADLINE, **({"registration": registration} if routed else {})},
        ),
        ("case.resolved", 5, {"deadline": DEADLINE}),
        ("case.verified", 6, {"deadline": DEADLINE}),
        ("case.closed", 7, {"deadline": DEADLINE}),
    ]
    for event_type, version, extra in steps:
        event = sample_event(event_type, case_id=case_id, grid=grid, version=version, **extra, **facts)
        handle = getattr(service, "on_" + event_type.replace(".", "_"))  # the entrypoint the broker calls
        handle(event)
        handle(event)
        if event_type == until:
            return


@pytest.fixture
def service():
    return make()


def row(table, key):
    return next(r for r in table["rows"] if r["key"] == key)


def test_every_case_event_counts_once_in_the_districts_figures(service):
    walk(service)
    walk(service, "C2", OTHER_GRID, until="case.dispatched")
    district_row = row(service.indicators("district", {}), "all")
    assert (district_row["reported"], district_row["dispatched"], district_row["closed"]) == (2, 2, 1)
    assert district_row["open"] == 1 and district_row["on_time_closure_rate"] == 0.5


@pytest.mark.parametrize("source", ["field", "public"])
def test_a_routed_case_announced_once_counts_as_its_two_events_did(source):
    apart, once = make(), make()
    walk(apart, source=source)
    walk(once, source=source, routed=True)
    figures = once.indicators("district", {})
    assert figures == apart.indicators("district", {}) and row(figures, "all")["dispatched"] == 1
    if source == "public":  # the registration (立案) answered the public in time
        assert row(figures, "all")["response_rate"] == 1.0


def test_figures_are_kept_per_grid_with_the_grids_name(service):
    walk(service)
    walk(service, "C2", OTHER_GRID, until="case.dispatched")
    table = service.indicators("grid", {"key": OTHER_GRID})
    (only,) = table["rows"]
    assert (only["key"], only["reported"], only["closed"], only["open"]) == (OTHER_GRID, 1, 0, 1)
    assert only["name"] == next(g["name"] for g in district.GRIDS if g["code"] == OTHER_GRID)


def test_an_open_case_past_its_stage_deadline_is_overdue_unless_suspended():
    service = make(now=DEADLINE + timedelta(hours=1))
    walk(service, until="case.dispatched")
    walk(service, "C2", until="case.dispatched", suspended=True)
    district_row = row(service.indicators("district", {"date": NOW.date().isoformat()}), "all")
    assert (district_row["open"], district_row["overdue"]) == (2, 1)


def test_a_key_the_directory_knows_reads_as_zeros_and_one_it_does_not_is_not_found(service):
    assert row(service.indicators("department", {"key": "justice"}), "justice")["reported"] == 0
    with pytest.raises(NotFound):
        service.indicators("department", {"key": "nobody"})
    with pytest.raises(NotFound):
        service.indicators("planet", {})
    with pytest.raises(ValidationFailed) as refused:
        service.indicators("district", {"period": "decade"})
    assert "period" in refused.value.details["fields"]


def test_a_department_head_sees_their_department_and_a_grid_leader_their_grids(service):
    walk(service, department="sanitation")
    walk(service, "C2", OTHER_GRID, department="municipal")
    service.caller = FakeCaller(HEAD)
    assert [r["key"] for r in service.indicators("department", {})["rows"]] == ["sanitation"]
    service.caller = FakeCaller(LEADER)
    assert [r["key"] for r in service.indicators("grid", {})["rows"]] == [GRID]
    for identity, dimension in ((HEAD, "grid"), (LEADER, "department"), (HANDLER, "department")):
        service.caller = FakeCaller(identity)
        with pytest.raises(Forbidden):
            service.indicators(dimension, {})


def test_hot_spots_rank_the_grids_by_cases_reported_for_the_command_centre_only(service):
    walk(service, until="case.reported")
    walk(service, "C2", until="case.reported")
    walk(service, "C3", OTHER_GRID, until="case.reported")
    table = service.hotspots({"limit": 1})
    assert [(r["grid"], r["reported"]) for r in table["rows"]] == [(GRID, 2)]
    service.caller = FakeCaller(HEAD)
    with pytest.raises(Forbidden):
        service.hotspots({})
