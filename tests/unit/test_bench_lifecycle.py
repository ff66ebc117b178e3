"""The lifecycle bench's figures and plan (bench/lifecycle.py, bench/lifecycle_figures.py), and what its load process
sends (against a local HTTP server)."""

import json
import time

import pytest

from bench import lifecycle, lifecycle_figures
from services.directory.domain.demo import generate_district
from tests.support.http_stub import JsonHandler, serving


def _result(closed=3, failed=1):
    outcomes = [
        {"i": i, "started": 100.0 + i, "done": 102.0 + i, "closed": True, "case_id": f"C{i}"} for i in range(closed)
    ]
    outcomes += [
        {"i": closed + i, "started": 100.0, "done": 160.0, "closed": False, "error": "wait: 504"} for i in range(failed)
    ]
    requests = [
        {"case": o["i"], "action": action, "status": 200, "started": 100.0, "ms": ms}
        for o in outcomes
        for action, ms in (("report", 50.0), ("accept", 100.0), ("wait", 10.0))
    ]
    requests.append({"case": 0, "action": "wait", "status": 504, "started": 100.0, "ms": 10000.0})
    return {
        "people": 2,
        "cases": closed + failed,
        "started": 100.0,
        "finished": 110.0,
        "cpu_seconds": 0.5,
        "outcomes": outcomes,
        "requests": requests,
    }


def test_figures_count_closed_cases_actions_and_cpu_per_case():
    account = {"expected": 4, "closed_seen": 3, "reported_counted": 4, "open_change": 1, "matches": False}
    loop = lifecycle_figures.summarise(
        _result(), {"cases": 10.0, "gateway": 1.0}, {"cases": 10.3, "gateway": 1.6}, account
    )
    assert loop["closed"] == 3 and loop["wall_s"] == 10.0
    assert loop["cases_per_s"] == 0.3
    assert loop["actions_per_s"] == 0.8  # 8 actions in 10 s; the looks while waiting are not actions
    assert loop["looks_per_case"] == 1.2
    assert loop["by_action"]["wait"]["errors"] == 1 and loop["by_action"]["report"]["errors"] == 0
    assert loop["cpu_ms_per_case"] == {"cases": 100.0, "gateway": 200.0}
    assert loop["cpu_ms_per_case_total"] == 300.0
    assert loop["day_minutes"] == round(3300 / 0.3 / 60, 1)
    assert loop["failed"][0]["error"] == "wait: 504"
    text = lifecycle_figures.to_markdown(
        {
            "lifecycle": loop,
            "machine": {"cpus": 2},
            "run": {"commit": "abc", "started_at": "now", "broker": "single", "replicas": 1},
        }
    )
    assert "0.3 cases/s" in text and "MISMATCH" in text and "case 3: wait: 504" in text


def test_counts_per_case_are_each_services_messages_store_commands_and_documents_over_the_cases_closed():
    delta = {
        "notifications": {
            "workers": {"on_case_reported": {"count": 4, "seconds": 0.2}, "on_case_closed": {"count": 2}},
            "store": {"insert": {"count": 3, "documents": 12}, "find": {"count": 5}},
        },
        "directory": {"workers": {}, "store": {}},
    }
    counts = lifecycle_figures.counts_per_case(delta, 2)
    assert counts["notifications"] == {
        "messages": 3.0,
        "store_commands": 4.0,
        "documents_written": 6.0,
        "by_command": {"find": {"count": 2.5, "documents": 0.0}, "insert": {"count": 1.5, "documents": 6.0}},
    }
    assert counts["directory"]["store_commands"] == 0
    assert lifecycle_figures.counts_per_case(delta, 0) == {}


def test_the_plan_mixes_what_routing_dispatches_with_what_the_operators_must():
    district = generate_district()
    categories = lifecycle.plan_categories(district)
    by_code = {c["code"]: c for c in district["categories"]}
    assert {c["automatic"] for c in categories} == {True, False}
    for chosen in categories:
        assert not any(a["required"] for a in by_code[chosen["code"]]["attributes"])
        assert chosen["department"] in {d["code"] for d in district["departments"]}


def test_profile_takes_a_rate_for_intake_and_none_for_the_lifecycle():
    from bench.__main__ import parse_args

    assert parse_args(["--profile", "45"]).profile == 45
    assert parse_args(["--lifecycle", "--profile"]).profile is not None
    assert parse_args(["--lifecycle"]).profile is None


def test_recorders_stopped_early_are_ended_and_waited_for(tmp_path):
    import subprocess
    import sys

    from bench import profile

    # one that ends on SIGINT, as py-spy does, and one that does not (a run started in the background ignores it):
    # each is ended within the grace, not after its 60 s
    ends = "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); time.sleep(60)"
    ignores = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)"
    recorders = {name: subprocess.Popen([sys.executable, "-c", code]) for name, code in (("a", ends), ("b", ignores))}
    time.sleep(1)  # both have set their handler
    started = time.monotonic()
    assert profile.finish({n: (p, tmp_path / "none.txt") for n, p in recorders.items()}, stop=True, grace=2) == {}
    assert all(p.returncode is not None for p in recorders.values())
    assert time.monotonic() - started < 20


def test_the_load_sends_json_and_uploads_with_the_persons_token_and_records_each_request():
    # a real HTTP server on a free port: what the gateway would receive from the lifecycle's load process
    seen = []

    class Gateway(JsonHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Authorization"], self.headers["Content-Type"], body))
            self.answer(201 if self.path.endswith("attachments") else 202, {"case_id": "C1"})

    with serving(Gateway) as url:
        api = lifecycle.Api(url + "/", people=2)
        person = {"token": "T-officer"}
        assert api.call(person, "POST", "/api/v1/reports", "report", 7, body={"grid": "G1"}, expect=(202,)) == {
            "case_id": "C1"
        }
        api.call(person, "POST", "/api/v1/reports/attachments", "upload", 7, upload=True, expect=(201,))
        with pytest.raises(lifecycle.Failed, match="report: 202"):  # an unexpected status stops the case
            api.call(person, "POST", "/api/v1/reports", "report", 8, body={}, expect=(200,))
    (path, auth, kind, body), (_, _, upload_kind, upload) = seen[:2]
    assert (path, auth, kind, json.loads(body)) == (
        "/api/v1/reports",
        "Bearer T-officer",
        "application/json",
        {"grid": "G1"},
    )
    assert upload_kind.startswith("multipart/form-data") and b'filename="photo.png"' in upload and b"\x89PNG" in upload
    assert [(r["case"], r["action"], r["status"]) for r in api.records] == [
        (7, "report", 202),
        (7, "upload", 201),
        (8, "report", 202),
    ]
