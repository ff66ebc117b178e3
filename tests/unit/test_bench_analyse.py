import json

from bench import analyse, report

CEILINGS = {
    "broker_publish_per_s": 1000.0,
    "broker_consume_per_s": 5000.0,
    "store_insert_per_s": 1000.0,
    "store_update_per_s": 500.0,
}


def _trace(due, answered, inbox=None, entries=1):
    trace = {"due": due, "answered": answered, "inbox_entries": entries if inbox else 0}
    if inbox:
        trace.update(
            received=due + 0.01, registered=due + 0.03, assigned=due + 0.05, dispatched=due + 0.07, inbox=inbox
        )
    return trace


def _delta(accepted):
    return {
        "reporting": {
            "workers": {
                "submit_report": {"count": accepted, "seconds": accepted * 0.004},
                "metrics": {"count": 3, "seconds": 0.3},
            },
            "store": {
                "insert": {"count": accepted, "documents": accepted, "seconds": 0.1},
                "update": {"count": 1, "documents": accepted, "seconds": 0.1},
            },
        },
        "notifications": {
            "workers": {"on_case_dispatched": {"count": accepted, "seconds": accepted * 0.002}},
            "store": {
                "insert": {"count": accepted, "documents": accepted, "seconds": 0.1},
                "find": {"count": accepted, "seconds": 0.1},
            },
        },
    }


def _step(offered=10, accepted=10, lost=0, p99_slow=False):
    requests = [
        {"status": 202, "correlation_id": f"c{i}", "due": i, "sent": i + 0.001, "done": i + 0.02, "error": None}
        for i in range(accepted)
    ]
    traces = {
        r["correlation_id"]: _trace(r["due"], r["done"], None if i < lost else r["due"] + 0.1)
        for i, r in enumerate(requests)
    }
    if p99_slow:
        traces["c0"]["inbox"] = traces["c0"]["due"] + 2.0
    load = {"seconds": 1.0, "requests": requests}
    cpu = {"cores": {"store": 0.5, "cases": 0.2}, "ms_per_report": {"store": 5.0}}
    return analyse.summarise_step(offered, load, traces, _delta(accepted), cpu, CEILINGS, cores=2)


def test_a_step_counts_accepted_lost_and_duplicated_reports_and_names_the_slowest():
    step = _step()
    assert (step["accepted"], step["accepted_per_s"], step["lost"], step["duplicated"]) == (10, 10.0, 0, 0)
    assert step["e2e_ms"]["p99"] == 100.0
    assert step["stages_ms"]["cases→notifications"]["p50"] == 30.0
    assert step["service_ms"] == {
        "reporting.submit_report": {"count": 10, "mean_ms": 4.0},
        "notifications.on_case_dispatched": {"count": 10, "mean_ms": 2.0},
    }
    assert step["slowest_service"] == "reporting.submit_report"
    assert step["slowest_hop"] == "cases→notifications"
    assert step["busiest_process"] == "store"
    assert step["verdict"] == "ok"


def test_writes_per_report_count_commands_and_the_documents_they_changed():
    figures = _step()["per_report"]
    assert figures["store_writes"] == 2.1  # 20 inserts + 1 batched update for 10 reports
    assert figures["store_documents_written"] == 3.0
    assert figures["store_reads"] == 1.0
    assert figures["events"] == 1.0


def test_the_cpu_spent_per_report_bounds_the_rate_of_the_machine_and_of_the_store():
    assert _step()["bounds"] == {
        "cpu_ms_per_report": 5.0,
        "machine_per_s": 400.0,
        "store_ms_per_report": 5.0,
        "store_per_s": 200.0,
    }


def test_ratios_are_the_share_of_each_raw_ceiling_used():
    ratios = _step(offered=100, accepted=100)["ratios"]
    # 100 reports/s x 2 inserts / 1000 + 100 x 0.01 updates / 500
    assert ratios["store_writes"] == 0.202
    assert ratios["broker_publish"] == 0.1


def test_a_lost_report_or_a_slow_tail_breaks_the_step_down():
    assert _step(lost=1)["verdict"] == "breakdown"
    assert _step(accepted=200, offered=200, p99_slow=True)["verdict"] == "ok"  # one slow report in 200 is past p99
    assert _step(accepted=50, offered=50, p99_slow=True)["verdict"] == "breakdown"
    assert _step(offered=20, accepted=10)["verdict"] == "breakdown"  # half the offered rate got in


def test_the_sustained_figure_is_the_best_step_within_target():
    steps = [_step(offered=10, accepted=10), _step(offered=20, accepted=20), _step(offered=30, accepted=30, lost=1)]
    assert analyse.sustained(steps) == {"offered_per_s": 20, "accepted_per_s": 20.0, "e2e_p99_ms": 100.0, "lost": 0}
    assert analyse.sustained([steps[2]]) is None


def test_results_are_written_as_json_and_a_markdown_table(tmp_path):
    results = {
        "run": {"mode": "quick", "replicas": 1, "started_at": "2026-11-22T18:00:00+00:00", "commit": "abc1234"},
        "machine": {
            "cores": 2,
            "cpu": "test cpu",
            "memory_gib": 24.0,
            "load_average_at_start": [0.1, 0.2, 0.3],
            "reference_work_ms": 27.5,
        },
        "versions": {"python": "3.11.7", "nameko": "2.14.1"},
        "ceilings": CEILINGS,
        "steps": [_step(offered=10, accepted=10), _step(offered=20, accepted=20)],
        "final": {"accepted": 30, "waited_s": 0.5, "delivered": 30, "lost": 0, "duplicated": 0},
    }
    results["sustained"] = analyse.sustained(results["steps"])
    json_path, md_path = report.write(results, tmp_path, "latest")
    assert json.loads(json_path.read_text())["steps"][1]["offered_per_s"] == 20
    text = md_path.read_text()
    assert "| 20 | 20 | 100 | 100 | 100 | 100 |" in text
    assert "Sustained within target (p99 ≤ 250 ms, nothing lost): 20 reports/s" in text
    assert "store insert 1000/s" in text and "2 cores (test cpu)" in text
    assert "reference work 27.5 ms of one core" in text
    assert "30 of 30 accepted reports reached their department's inbox; **lost 0, duplicated 0**" in text


def test_with_a_store_per_service_the_busiest_store_bounds_the_rate():
    cpu = {"ms_per_report": {"cases": 10.0, "store-cases": 20.0, "store-notifications": 50.0, "gateway": 5.0}}
    assert analyse.bounds(cpu, 2) == {
        "cpu_ms_per_report": 85.0,
        "machine_per_s": 23.5,
        "store_ms_per_report": 70.0,
        "store_per_s": 20.0,
    }


def test_the_machine_is_described_by_how_fast_one_core_does_the_reference_work(monkeypatch):
    # five repeats taking 30, 90, 40, 35 and 50 ms of CPU: the median, in ms, whatever one slow repeat took
    ticks = iter([0.0, 0.030, 1.0, 1.090, 2.0, 2.040, 3.0, 3.035, 4.0, 4.050])
    monkeypatch.setattr(report.time, "process_time", lambda: next(ticks))
    assert report.reference_work_ms() == 40.0
    assert report.reference_phrase({"reference_work_ms": 40.0}) == "reference work 40 ms of one core"
    assert report.reference_phrase({}) == "reference work not measured"  # a run from before it was measured
