"""The load process sends on schedule, whatever the server does (open loop)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from bench.load import automatic_categories, due_offsets, field_officers, report_body
from services.directory.domain.demo import generate_district
from shared.api.reports import ReportSubmissionSchema
from tests.support.http_stub import JsonHandler, serving

ROOT = Path(__file__).resolve().parents[2]


def test_requests_are_due_evenly_at_the_rate():
    assert due_offsets(4, 1) == [0.0, 0.25, 0.5, 0.75]
    assert len(due_offsets(100, 2.5)) == 250


@pytest.fixture(scope="module")
def district():
    return generate_district()


def test_the_load_uses_only_categories_routing_dispatches_by_itself(district):
    categories = automatic_categories(district)
    assert "sanitation" in categories and "dispute" not in categories and "elderly_alone" not in categories
    by_code = {c["code"]: c for c in district["categories"]}
    assert all(not any(a["required"] for a in by_code[c]["attributes"]) for c in categories)


def test_officers_are_spread_over_the_district_and_report_inside_their_own_grid(district):
    officers = field_officers(district, 40)
    assert len(officers) == 40 and len({o["grid"] for o in officers}) == 40
    streets = {o["grid"][:9] for o in officers}
    assert len(streets) == 9  # every street carries load
    polygons = {g["code"]: shape(g["polygon"]) for g in district["grids"]}
    for officer in officers:
        assert officer["username"] == f"officer-{officer['grid']}"
        assert all(polygons[officer["grid"]].contains(Point(p["lon"], p["lat"])) for p in officer["points"])


def test_every_report_is_a_valid_submission_with_its_own_key(district):
    officers, categories = field_officers(district, 5), automatic_categories(district)
    bodies = [report_body("t", i, officers[i % 5], categories) for i in range(40)]
    assert all(ReportSubmissionSchema().validate(b) == {} for b in bodies)
    assert len({b["idempotency_key"] for b in bodies}) == 40


class _SlowGateway(JsonHandler):
    protocol_version = "HTTP/1.1"
    delay = 1.0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        assert self.headers["Authorization"] == "Bearer T"
        time.sleep(self.delay)
        self.answer(202, {"report_id": "R1", "case_id": "C1", "duplicate": False})


def test_requests_go_out_on_schedule_without_waiting_for_answers(tmp_path):
    out, plan = tmp_path / "load.json", tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "categories": ["sanitation"],
                "officers": [
                    {
                        "username": "officer-1",
                        "grid": "610102001001001",
                        "points": [{"lat": 34.25, "lon": 108.93}],
                        "token": "T",
                    }
                ],
            }
        )
    )
    with serving(_SlowGateway) as url:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.load",
                "--url",
                url,
                "--rate",
                "50",
                "--seconds",
                "0.2",
                "--tag",
                "t",
                "--plan",
                str(plan),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            check=True,
            timeout=60,
        )
    result = json.loads(out.read_text())
    records = result["requests"]
    assert [r["status"] for r in records] == [202] * 10
    assert max(r["sent"] for r in records) < min(r["done"] for r in records), "all sent before any answer"
    assert [r["correlation_id"] for r in records] == [f"t-{i}" for i in range(10)]
    assert all(r["report_id"] == "R1" and r["due"] <= r["done"] for r in records)
