"""The directory over HTTP: the demo district, the map import and export, changes reaching every service."""

import json
import os
import subprocess
import sys

from tests.e2e.conftest import OFFICER, OFFICER_GRID
from tests.support.infra import wait_for
from tests.support.platform import DEMO_PASSWORD, ROOT


def test_the_demo_district_has_the_size_of_xincheng(platform):
    areas = platform.as_user("operator1").get("/api/v1/directory/areas").json()
    levels = [a["level"] for a in areas["areas"]]
    assert (levels.count("district"), levels.count("street"), levels.count("community")) == (1, 9, 101)
    assert len(areas["grids"]) == 802


def test_signing_in(platform):
    good = platform.sign_in(OFFICER)
    assert good.status_code == 200
    assert good.json()["grids"] == [OFFICER_GRID]
    bad = platform.sign_in(OFFICER, "wrong-password")
    assert bad.status_code == 401 and bad.json()["error"] == "UNAUTHENTICATED"
    me = platform.as_user(OFFICER).get("/api/v1/me").json()
    assert me["roles"] == ["grid_officer"] and me["grids"] == [OFFICER_GRID]
    assert "password" not in json.dumps(me)


def test_locating_a_point(platform, grid_centre):
    answer = platform.as_user("operator1").get("/api/v1/directory/locate", params=grid_centre(OFFICER_GRID)).json()
    assert answer == {"grid": OFFICER_GRID, "community": OFFICER_GRID[:12], "street": OFFICER_GRID[:9]}


def test_a_bad_map_is_refused_with_every_fault_and_nothing_imported(platform):
    admin = platform.as_user("admin")
    before = admin.get("/api/v1/directory/areas").json()["map_version"]
    document = admin.get("/api/v1/directory/grid-map").json()
    grids = [f for f in document["features"] if f["properties"]["level"] == "grid"]
    grids[0]["geometry"]["coordinates"][0].pop()  # unclosed ring
    grids[1]["properties"]["officers"] = []  # no officer
    grids[2]["properties"]["parent"] = "610102099099"  # unknown parent
    grids[3]["properties"]["code"] = grids[4]["properties"]["code"]  # duplicate code
    xs, ys = zip(*grids[5]["geometry"]["coordinates"][0], strict=True)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    grids[5]["geometry"]["coordinates"] = [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]  # a bow tie
    grids[6]["geometry"] = grids[7]["geometry"]  # two grids on one spot: overlap
    answer = admin.put("/api/v1/directory/grid-map", document)
    assert answer.status_code == 422, answer.text
    found = {f["code"] for f in answer.json()["details"]["faults"]}
    assert {"UNCLOSED_RING", "NO_OFFICER", "UNKNOWN_PARENT", "DUPLICATE_CODE", "SELF_INTERSECTION", "OVERLAP"} <= found
    assert admin.get("/api/v1/directory/areas").json()["map_version"] == before


def test_a_category_change_reaches_the_services_that_copy_it(platform, grid_centre):
    admin, officer, operator = (platform.as_user(u) for u in ("admin", OFFICER, "operator1"))
    category = admin.get("/api/v1/directory/categories/greening").json()
    assert category["priority"] != "urgent"
    assert admin.put("/api/v1/directory/categories/greening", {**category, "priority": "urgent"}).status_code == 200

    def reported_case_priority():
        answer = officer.post(
            "/api/v1/reports",
            {"category": "greening", "description": "树倒了 fallen tree", "location": grid_centre(OFFICER_GRID)},
        )
        case_id = answer.json()["case_id"]
        case = wait_for(
            lambda: (r := operator.get(f"/api/v1/cases/{case_id}")).status_code == 200 and r.json(), timeout=10
        )
        return case["priority"] == "urgent"

    wait_for(reported_case_priority, timeout=20, interval=0.5, message="cases' copy of the category updated")
    admin.put("/api/v1/directory/categories/greening", category)


def test_the_map_round_trips_through_the_command_line(platform, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CIVICGRID_PASSWORD": DEMO_PASSWORD}
    path = tmp_path / "map.geojson"

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "services.directory.cli", *args, "--url", platform.url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    exported = cli("export-map", str(path))
    assert exported.returncode == 0, exported.stderr
    assert "exported 913 features" in exported.stdout
    imported = cli("import-map", str(path))
    assert imported.returncode == 0, imported.stderr
    assert "802 grids" in imported.stdout

    broken = json.loads(path.read_text())
    broken["features"][-1]["properties"]["officers"] = []
    path.write_text(json.dumps(broken))
    refused = cli("import-map", str(path))
    assert refused.returncode == 1
    assert "NO_OFFICER" in refused.stderr
