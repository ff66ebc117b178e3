"""The single broker beside the cluster: parts of the platform, rates paired, the table."""

from bench import compare, report
from bench.__main__ import parse_args, passes
from tests.unit.test_bench_analyse import CEILINGS, _step


def _results(broker: str, steps: list[dict], broker_ms: float) -> dict:
    for step in steps:
        step["cpu"] = {
            "cores": {"other work": 0.1 if broker == "single" else 0.7},
            "ms_per_report": {
                "store-cases": 10.0,
                "store-notifications": 20.0,
                "cases": 5.0,
                "notifications-2": 4.0,
                "gateway": 3.0,
                f"broker ({'3 nodes' if broker == 'cluster' else 'shared'})": broker_ms,
                "load generator": 1.0,
            },
        }
    return {
        "run": {
            "mode": "quick",
            "replicas": 1,
            "stores": "per-service",
            "broker": broker,
            "broker_nodes": 3 if broker == "cluster" else 1,
            "started_at": f"{broker}-time",
            "commit": "abc1234",
            "step_seconds": 5,
            "rates": [10, 20],
        },
        "ceilings": {**CEILINGS, "broker_publish_per_s": 900.0 if broker == "single" else 300.0},
        "steps": steps,
        "sustained": {"offered_per_s": 10, "accepted_per_s": 10.0, "e2e_p99_ms": 100.0, "lost": 0},
        "final": {"accepted": 30, "waited_s": 0.5, "delivered": 30, "lost": 0, "duplicated": 0},
        "broker": {"queue_leaders": {"rq1@localhost": 40}} if broker == "cluster" else {},
    }


def test_every_process_belongs_to_one_part_of_the_platform():
    assert compare.part("store") == compare.part("store-notifications") == "stores"
    assert compare.part("cases") == compare.part("cases-2") == compare.part("directory") == "services"
    assert compare.part("gateway") == compare.part("gateway-1") == "gateway"
    assert compare.part("broker (shared)") == compare.part("broker (3 nodes)") == "broker"
    assert compare.part("load generator") == "load"
    assert compare.part("other work") is None and compare.part(compare.MACHINE) is None


def test_cpu_per_report_adds_up_by_part():
    figures = compare.cpu_by_part(
        {
            "store-cases": 10.0,
            "store-indicators": 5.5,
            "cases": 4.0,
            "cases-2": 4.0,
            "gateway": 3.0,
            "broker (3 nodes)": 20.0,
            "load generator": 1.0,
        }
    )
    assert figures == {"stores": 15.5, "services": 8.0, "gateway": 3.0, "broker": 20.0, "load": 1.0, "total": 47.5}


def test_the_passes_are_paired_by_rate_and_a_rate_one_pass_never_reached_is_empty():
    single = _results("single", [_step(offered=10, accepted=10), _step(offered=20, accepted=20)], 12.0)
    cluster = _results("cluster", [_step(offered=10, accepted=10, lost=1)], 30.0)
    compared = compare.compare(single, cluster)
    assert [s["offered_per_s"] for s in compared["steps"]] == [10, 20]
    first, second = compared["steps"]
    assert first["single"]["cpu_ms_per_report"]["broker"] == 12.0
    assert first["cluster"]["cpu_ms_per_report"]["broker"] == 30.0
    assert first["cluster"]["lost"] == 1 and first["cluster"]["verdict"] == "breakdown"
    assert second["cluster"] is None
    assert compared["ceilings"]["broker_publish_per_s"] == {"single": 900.0, "cluster": 300.0}
    assert compared["run"]["started_at"] == {"single": "single-time", "cluster": "cluster-time"}
    assert compared["final"]["cluster"]["lost"] == 0


def test_the_comparison_reads_single_then_cluster_in_each_cell(tmp_path):
    single = _results("single", [_step(offered=10, accepted=10), _step(offered=20, accepted=20)], 12.0)
    cluster = _results("cluster", [_step(offered=10, accepted=10)], 30.0)
    compared = compare.compare(single, cluster)
    _, md_path = report.write(compared, tmp_path, "quick-r1-comparison", render=compare.to_markdown)
    text = md_path.read_text()
    assert "the single broker → a 3-node cluster" in text
    assert "confirmed publish 900 → 300/s (×0.33)" in text
    assert "| 10 | 10 → 10 | 100 → 100 | 100 → 100 |" in text
    assert "| 20 | 20 → – |" in text and "ok → –" in text
    # stores, services, gateway, broker, load, total, then what the cluster added
    assert "| 10 | 30 → 30 | 9 → 9 | 3 → 3 | 12 → 30 | 1 → 1 | 55 → 73 | +18.0 | +18.0 | 0.1 → 0.7 |" in text
    assert "Quorum queue leaders on the cluster: rq1@localhost 40." in text
    assert "cluster 30 of 30 delivered, lost 0, duplicated 0" in text


def test_results_files_are_named_after_mode_replicas_stores_and_broker():
    assert report.results_name("full", 1, "per-service", "single") == "full-r1"
    assert report.results_name("quick", 2, "per-service", "cluster") == "quick-r2-cluster"
    assert report.results_name("full", 1, "one", "cluster") == "full-r1-one-store-cluster"


def test_both_brokers_run_the_single_one_first_and_single_is_the_default():
    assert passes("both") == ("single", "cluster")
    assert passes("cluster") == ("cluster",)
    assert parse_args([]).broker == "single"
    assert parse_args(["--quick", "--broker", "both"]).broker == "both"


def test_a_cluster_pass_says_so_in_its_heading_and_an_older_result_reads_as_before():
    results = _results("cluster", [_step()], 30.0)
    results.update(machine={"cores": 2, "cpu": "x", "memory_gib": 1.0, "load_average_at_start": [0, 0, 0]}, versions={})
    results["ceilings"]["broker_queue_type"] = "quorum"
    text = report.to_markdown(results)
    assert "on a 3-node RabbitMQ cluster" in text
    assert "Raw ceilings (same run, on the cluster): broker publish to a quorum queue 300/s" in text
    for key in ("broker", "broker_nodes"):
        del results["run"][key]
    assert "RabbitMQ cluster" not in report.to_markdown(results).splitlines()[0]
