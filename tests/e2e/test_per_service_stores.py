"""The embedded default is one store per service (each its own process, so the store's work spreads over the
machine's cores, and each service has its own server, as in a deployment): a report still goes from the officer to
the department, and each service's data is on its own store only. ``CIVICGRID_DB_STORES=one`` keeps one store for
all, as a data directory from that layout is kept."""

import os
import signal
import uuid

import pytest

from services.directory.domain.demo import generate_district
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


def _report(platform, text: str = "垃圾堆积 rubbish") -> str:
    from shapely.geometry import shape

    grid = next(g for g in generate_district()["grids"] if g["code"] == OFFICER_GRID)
    point = shape(grid["polygon"]).representative_point()
    answer = platform.as_user(OFFICER).post(
        "/api/v1/reports",
        {
            "category": "sanitation",
            "description": text,
            "location": {"lat": point.y, "lon": point.x},
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["case_id"]


def _arrives(platform, case_id: str) -> None:
    try:
        case = wait_for(
            lambda: (c := platform.as_user(OFFICER).get(f"/api/v1/cases/{case_id}").json()).get("department") and c,
            timeout=90,
            message=f"case {case_id} dispatched",
        )
        wait_for(
            lambda: inbox_entries(platform, case["department"], case_id),
            timeout=60,
            message=f"inbox entry of {case_id}",
        )
    except AssertionError as exc:  # say what the platform said, for a failure on a loaded CI box
        logs = platform.workdir / "var" / "log"
        tails = "\n".join(
            f"--- {name}\n{(logs / name).read_text(errors='replace')[-2000:]}"
            for name in ("cases.log", "store-cases.log", "reporting.log")
            if (logs / name).exists()
        )
        raise AssertionError(f"{exc}\n{platform.launcher_output()[-2000:]}\n{tails}") from exc


def test_each_service_keeps_its_data_on_its_own_store_and_a_report_still_arrives(split):
    status = split.status()
    uris = status["mongo_uris"]
    assert set(uris) == set(SERVICES) and len(set(uris.values())) == len(SERVICES)
    assert set(status["store_pids"]) == {f"store-{name}" for name in SERVICES}

    case_id = _report(split)
    _arrives(split, case_id)

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


def test_one_store_for_all_when_asked(rabbit_admin, tmp_path_factory):
    # (a data directory of that layout keeps it: tests/unit/test_launcher_settings.py)
    with running_platform(rabbit_admin, tmp_path_factory.mktemp("one"), "cgo", {"CIVICGRID_DB_STORES": "one"}) as one:
        status = one.status()
        assert len(set(status["mongo_uris"].values())) == 1 and list(status["store_pids"]) == ["store"]
        answer = one.as_user("operator1").get("/api/v1/cases/queue")
        assert answer.status_code == 200, answer.text


def test_a_store_killed_is_started_again_on_its_data_and_nothing_accepted_is_lost(rabbit_admin, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("kept")
    with running_platform(rabbit_admin, workdir, "cgk", {"CIVICGRID_DB_PATH": str(workdir / "db")}) as kept:
        before = [_report(kept, f"killed store, before {n}") for n in range(3)]
        old_pid = kept.status()["store_pids"]["store-cases"]
        os.kill(old_pid, signal.SIGKILL)
        wait_for(
            lambda: kept.status()["store_pids"]["store-cases"] != old_pid,
            timeout=60,
            message="the cases store started again",
        )
        assert "store-cases exited with -9; restarting it" in kept.launcher_output()
        after = [_report(kept, f"killed store, after {n}") for n in range(3)]
        for case_id in before + after:
            _arrives(kept, case_id)
