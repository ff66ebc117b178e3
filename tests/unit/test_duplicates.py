from datetime import timedelta

import pytest

from services.reporting.domain import duplicates
from tests.support.samples import NOW

HERE = {"lat": 34.265, "lon": 108.955}
METRES_PER_DEGREE_LAT = duplicates.EARTH_RADIUS_M * 3.141592653589793 / 180


def north(metres):
    return {"lat": HERE["lat"] + metres / METRES_PER_DEGREE_LAT, "lon": HERE["lon"]}


def case(location, case_id="C1"):
    return {"_id": case_id, "location": location, "status": "registered", "reported_at": NOW}


@pytest.mark.parametrize("metres, suggested", [(49, True), (51, False)])
def test_an_open_case_49_metres_away_is_suggested_and_51_is_not(metres, suggested):
    found = duplicates.nearby(HERE, [case(north(metres))], radius_m=50)
    assert bool(found) is suggested
    if found:
        assert found[0]["distance_m"] == pytest.approx(metres, abs=0.5)


def test_the_search_box_holds_the_whole_circle():
    box = duplicates.search_box(HERE, 50)
    for bearing_point in (north(50), north(-50)):
        assert box["lat"][0] <= bearing_point["lat"] <= box["lat"][1]


def test_closest_first_and_only_a_few():
    found = duplicates.nearby(HERE, [case(north(m), f"C{m}") for m in (30, 10, 20, 40, 5, 45)], 50, limit=3)
    assert [f["case_id"] for f in found] == ["C5", "C10", "C20"]


def test_the_time_window_comes_from_the_category():
    assert duplicates.window_start({"duplicate_window_hours": 24}, NOW) == NOW - timedelta(hours=24)
