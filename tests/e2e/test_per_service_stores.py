"""The embedded default is one store per service (each its own process, so the store's work spreads over the
machine's cores, and each service has its own server, as in a deployment): a report still goes from the officer to
the department, and each service's data is on its own store only. ``CIVICGRID_DB_STORES=one`` keeps one store for
all, as a data directory from that layout is kept."""

import uuid

import pytest

from deploy.launcher import single_store_data
from services.directory.demo import generate_district
from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.e2e.test_report_flow import inbox_entries
from tests.support.infra import test_client as store_client
from tests.support.infra import wait_for
from tests.support.platform import running_platform

# a platform of its own may start inside a test, on two loaded cores: allow for it
pytestmark = pytest.mark.timeout(300)

SERVICES = ("directory", "reporting", "cases", "dispatch", "notifications", "indicators")


@pytest.fixture(scope="module")
def split(platform):
    return platform  # the default layout


def test_each_service_keeps_its_data_on_its_own_store_and_a_report_still_arrives(split):
    from shapely.geometry import shape

    status = split.status()
    uris = status["mongo_uris"]
    assert set(uris) == set(SERVICES) and len(set(uris.values())) == len(SERVICES)
    assert set(status["store_pids"]) == {f"store-{name}" for name in SERVICES}

    grid = next(g for g in generate_district()["grids"] if g["code"] == OFFICER_GRID)
    point = shape(grid["polygon"]).representative_point()
    answer = split.as_user(OFFICER).post("/api/v1/reports", {
        "category": "sanitation", "description": "垃圾堆积 rubbish", "location": {"lat": point.y, "lon": point.x},
        "idempotency_key": str(uuid.uuid4())})
    assert answer.status_code == 202, answer.text
    case_id = answer.json()["case_id"]
    case = wait_for(lambda: (c := split.as_user(OFFICER).get(f"/api/v1/cases/{case_id}").json()).get("department")
                    and c, timeout=30, message="case dispatched")
    wait_for(lambda: inbox_entries(split, case["department"], case_id), timeout=30, message="inbox entry")

    prefix = split.env["DB_PREFIX"]
    for name, uri in uris.items():
        client = store_client(uri)
        try:
            ours = {db for db in client.list_database_names() if db.startswith(prefix)}
        finally:
            client.close()
        assert ours <= {f"{prefix}{name}"}, (name, ours)  # nobody else's data here
    cases = store_client(uris["cases"])
    try:
        assert cases[f"{prefix}cases"].cases.find_one({"_id": case_id}) is not None
    finally:
        cases.close()


def test_one_store_for_all_when_asked_or_when_the_data_directory_holds_that_layout(rabbit_admin, tmp_path_factory,
                                                                                    tmp_path):
    (tmp_path / "WiredTiger").write_text("WiredTiger\n")
    assert single_store_data(str(tmp_path)) and not single_store_data(str(tmp_path / "fresh"))
    assert not single_store_data(":memory:")
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("one"), "cgo",
                          {"CIVICGRID_DB_STORES": "one"}) as one:
        status = one.status()
        assert len(set(status["mongo_uris"].values())) == 1 and list(status["store_pids"]) == ["store"]
        answer = one.as_user("operator1").get("/api/v1/cases/queue")
        assert answer.status_code == 200, answer.text
