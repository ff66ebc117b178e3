"""The indicators' store: ``services.indicators.storage.IndicatorRepository`` and
``tests.service.fakes.FakeIndicators``."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from services.indicators.domain import add_up
from services.indicators.storage import IndicatorRepository, IndicatorStore
from tests.service.fakes import FakeIndicators
from tests.support.samples import NOW, sample_event

TZ = ZoneInfo("Asia/Shanghai")
DAY = NOW.astimezone(TZ).date().isoformat()
DEADLINE = NOW + timedelta(days=1)


@pytest.fixture
def store(backend, database):
    return FakeIndicators() if backend == "fake" else IndicatorRepository(database("indicators", IndicatorStore), None)


def lifecycle(case_id="C1", grid="610102001001001"):
    facts = {"case_id": case_id, "grid": grid}
    return [
        sample_event("case.reported", version=1, **facts),
        sample_event("case.dispatched", version=3, deadline=DEADLINE, stage_deadline=DEADLINE, **facts),
        sample_event("case.closed", version=7, deadline=DEADLINE, **facts),
    ]


def test_each_event_is_taken_once_however_often_it_comes(store):
    reported, dispatched, closed = lifecycle()
    assert store.record_many([reported, dispatched], TZ) == 2
    assert store.record_many([dispatched, closed], TZ) == 1
    assert not store.record(closed, TZ)


def test_a_cases_events_move_its_days_counters_in_any_order_and_histograms_are_nested(store):
    reported, dispatched, closed = lifecycle()
    store.record_many([closed, reported], TZ)
    store.record(dispatched, TZ)
    store.record_many(lifecycle("C2", grid="610102001001002")[:2], TZ)
    deadline_day = DEADLINE.astimezone(TZ).date().isoformat()
    district = add_up(store.counters("district", DAY, deadline_day))["all"]
    assert (district["reported"], district["dispatched"], district["closed"], district["closed_on_time"]) == (
        2,
        2,
        1,
        1,
    )
    grid = add_up(store.counters("grid", DAY, deadline_day, "610102001001002"))
    assert list(grid) == ["610102001001002"] and grid["610102001001002"].get("closed", 0) == 0
    assert store.counters("district", "2000-01-01", "2000-01-02") == []
    assert not [field for doc in store.counters("district", DAY, deadline_day) for field in doc if "." in field]


def test_open_cases_are_listed_with_their_place_and_stage_deadline(store):
    store.record_many(lifecycle()[:2], TZ)
    store.record_many(lifecycle("C2")[:1] + lifecycle("C3"), TZ)
    found = {c["_id"]: c for c in store.open_cases("grid")}
    assert set(found) == {"C1", "C2"}
    assert found["C1"]["grid"] == "610102001001001" and found["C1"]["stage_deadline"] == DEADLINE
    assert "grid" not in store.open_cases("district")[0]


def test_a_routed_dispatch_is_taken_once_as_the_registration_and_the_dispatch_it_announces(store):
    from tests.support.samples import REGISTRATION

    facts = {"case_id": "C1", "grid": "610102001001001", "source": "public"}
    reported = sample_event("case.reported", version=1, **facts)
    routed = sample_event(
        "case.dispatched", version=2, deadline=DEADLINE, stage_deadline=DEADLINE, registration=REGISTRATION, **facts
    )
    assert store.record_many([reported, routed, routed], TZ) == 2
    assert not store.record(routed, TZ)
    district = add_up(store.counters("district", DAY, DEADLINE.astimezone(TZ).date().isoformat()))["all"]
    assert (district["reported"], district["dispatched"], district["public_answered_in_time"]) == (1, 1, 1)
