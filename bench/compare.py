"""What replication costs: one run's single-broker pass beside its cluster pass (``--broker both``).

Both passes of a run share the profile, the rates, the replicas and the machine, minutes
apart, so their difference is the broker's: one node with one-member quorum queues, or
three nodes whose quorum queues replicate every message to all three (publisher confirms
wait for a majority to have it on disk). Per rate both passes reached: accepted rate,
latency, what was lost or duplicated, and the CPU each report cost by part of the
platform; the raw broker ceilings of each; the rate each sustained; the final accounts.
"""

from bench.collect import MACHINE

PARTS = ("stores", "services", "gateway", "broker", "load")
LOAD = "load generator"
SIDES = ("single", "cluster")


def part(process: str) -> str | None:
    """Which part of the platform a process of the CPU figures belongs to; None for none (the machine)."""
    if process in (MACHINE, "other work"):
        return None
    if process == LOAD:
        return "load"
    if process.startswith("broker"):
        return "broker"
    if process == "store" or process.startswith("store-"):
        return "stores"
    service, _, replica = process.rpartition("-")
    if process == "gateway" or (service == "gateway" and replica.isdigit()):
        return "gateway"
    return "services"


def cpu_by_part(ms_per_report: dict[str, float]) -> dict[str, float]:
    """CPU ms per report of each part, and their ``total`` (the step's CPU ms/report)."""
    sums = dict.fromkeys(PARTS, 0.0)
    for process, ms in ms_per_report.items():
        if (found := part(process)) is not None:
            sums[found] += ms
    sums["total"] = sum(sums[p] for p in PARTS)
    return {name: round(ms, 1) for name, ms in sums.items()}


def _side(step: dict | None) -> dict | None:
    if step is None:
        return None
    return {
        "accepted_per_s": step["accepted_per_s"],
        "e2e_p50_ms": step["e2e_ms"]["p50"],
        "e2e_p99_ms": step["e2e_ms"]["p99"],
        "http_p99_ms": step["http_ms"]["p99"],
        "lost": step["lost"],
        "duplicated": step["duplicated"],
        "errors": sum(step["errors"].values()),
        "verdict": step["verdict"],
        "cpu_ms_per_report": cpu_by_part(step["cpu"]["ms_per_report"]),
        # What the rest of the machine kept busy meanwhile: unequal between the passes, it is noise, not replication.
        "other_work_cores": step["cpu"]["cores"].get("other work"),
    }


def compare(single: dict, cluster: dict) -> dict:
    """The comparison of two passes' results (as ``bench.__main__`` writes them), one row per offered
    rate either pass tried; a pass that broke down earlier has ``None`` at the rates it did not try."""
    passes = {"single": single, "cluster": cluster}
    by_rate = {side: {s["offered_per_s"]: s for s in results["steps"]} for side, results in passes.items()}
    rates = sorted(set(by_rate["single"]) | set(by_rate["cluster"]))
    run = single["run"]
    return {
        "run": {key: run.get(key) for key in ("mode", "replicas", "stores", "step_seconds", "rates", "commit")}
        | {
            "started_at": {side: passes[side]["run"]["started_at"] for side in SIDES},
            "cluster_nodes": cluster["run"].get("broker_nodes"),
        },
        "ceilings": {
            key: {side: passes[side]["ceilings"].get(key) for side in SIDES}
            for key in ("broker_publish_per_s", "broker_consume_per_s")
        },
        "steps": [
            {"offered_per_s": rate, **{side: _side(by_rate[side].get(rate)) for side in SIDES}} for rate in rates
        ],
        "sustained": {side: passes[side].get("sustained") for side in SIDES},
        "final": {side: passes[side].get("final") for side in SIDES},
        "queue_leaders": cluster.get("broker", {}).get("queue_leaders"),
    }


def _figure(value) -> str:
    if value is None:
        return "–"
    return value if isinstance(value, str) else f"{value:g}"


def _pair(step: dict, key: str, part_name: str | None = None) -> str:
    """``single → cluster`` for one figure of a step's row."""
    values = []
    for side in SIDES:
        figures = step[side]
        if figures is None:
            values.append(None)
        else:
            values.append(figures[key][part_name] if part_name else figures.get(key))
    return " → ".join(_figure(v) for v in values)


def _delta(step: dict, part_name: str) -> str:
    if step["single"] is None or step["cluster"] is None:
        return "–"
    diff = step["cluster"]["cpu_ms_per_report"][part_name] - step["single"]["cpu_ms_per_report"][part_name]
    return f"{diff:+.1f}"


def _ratio(single, cluster) -> str:
    return f" (×{cluster / single:.2f})" if single and cluster is not None else ""


def _sustained(best: dict | None) -> str:
    return f"{best['accepted_per_s']:g}/s (p99 {best['e2e_p99_ms']:g} ms)" if best else "none"


def _final(final: dict | None) -> str:
    if not final:
        return "not counted"
    return (
        f"{final['delivered']} of {final['accepted']} delivered, lost {final['lost']}, duplicated {final['duplicated']}"
    )


def to_markdown(comparison: dict) -> str:
    run, c = comparison["run"], comparison["ceilings"]
    nodes = run.get("cluster_nodes") or 3
    lines = [
        f"### {run['mode']} run, {run['replicas']} replica(s) of each service"
        f"{', one store for all services' if run.get('stores') == 'one' else ', a store per service'}: "
        f"the single broker → a {nodes}-node cluster — {run['started_at']['single']}",
        "",
        f"Commit {run['commit']}; both passes in one run, the cluster's started at "
        f"{run['started_at']['cluster']}. Each cell reads *single broker → {nodes}-node cluster*.",
        "",
        "Raw broker ceilings (one client, persistent messages to a quorum queue): confirmed publish "
        f"{_figure(c['broker_publish_per_s']['single'])} → {_figure(c['broker_publish_per_s']['cluster'])}/s"
        f"{_ratio(c['broker_publish_per_s']['single'], c['broker_publish_per_s']['cluster'])}, consume with acks "
        f"{_figure(c['broker_consume_per_s']['single'])} → {_figure(c['broker_consume_per_s']['cluster'])}/s"
        f"{_ratio(c['broker_consume_per_s']['single'], c['broker_consume_per_s']['cluster'])}.",
        "",
        "| offered/s | accepted/s | e2e p50 (ms) | e2e p99 (ms) | HTTP p99 (ms) | lost | dup | verdict |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for step in comparison["steps"]:
        lines.append(
            f"| {step['offered_per_s']:g} | {_pair(step, 'accepted_per_s')} | {_pair(step, 'e2e_p50_ms')} "
            f"| {_pair(step, 'e2e_p99_ms')} | {_pair(step, 'http_p99_ms')} | {_pair(step, 'lost')} "
            f"| {_pair(step, 'duplicated')} | {_pair(step, 'verdict')} |"
        )
    lines += [
        "",
        "CPU ms per report by part (all replicas and stores of a part together; *broker*: every node of it, "
        "with its helper processes), what the cluster added, and the cores the rest of the machine kept busy "
        "meanwhile (where the two passes differ, so does the noise in their figures):",
        "",
        "| offered/s | stores | services | gateway | broker | load generator | total | Δ broker | Δ total "
        "| other work (cores) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in comparison["steps"]:
        lines.append(
            f"| {step['offered_per_s']:g} | "
            + " | ".join(_pair(step, "cpu_ms_per_report", p) for p in (*PARTS, "total"))
            + f" | {_delta(step, 'broker')} | {_delta(step, 'total')} | {_pair(step, 'other_work_cores')} |"
        )
    sustained, final = comparison["sustained"], comparison["final"]
    lines += [
        "",
        f"Sustained within target (p99 ≤ 250 ms, nothing lost): {_sustained(sustained['single'])} → "
        f"{_sustained(sustained['cluster'])}. Final account: single broker {_final(final['single'])}; "
        f"cluster {_final(final['cluster'])}.",
    ]
    leaders = comparison.get("queue_leaders")
    if leaders:
        lines += [
            "",
            "Quorum queue leaders on the cluster: "
            + ", ".join(f"{node} {count}" for node, count in leaders.items())
            + ".",
        ]
    lines.append("")
    return "\n".join(lines)
