"""What a lifecycle run measured: cases and actions per second round the whole loop, each action's latency,
the CPU per case, and whether every case and every figure came out as it should."""

from bench import report, stats
from bench.analyse import cpu_use
from bench.report import table

DAY_OF_CASES = 3300  # Fuzhou's ~3,300 cases a day (docs/domain.md): how long the platform takes for them


def summarise(result: dict, cpu_before: dict, cpu_after: dict, account: dict) -> dict:
    outcomes = result["outcomes"]
    closed = [o for o in outcomes if o["closed"]]
    wall = result["finished"] - result["started"]
    actions = [r for r in result["requests"] if r["action"] != "wait"]
    looks = [r for r in result["requests"] if r["action"] == "wait"]
    by_action = {}
    for name in dict.fromkeys(r["action"] for r in result["requests"]):
        mine = [r for r in result["requests"] if r["action"] == name]
        errors = sum(1 for r in mine if r["status"] >= 500 or r["status"] == 0)
        by_action[name] = {**stats.summary_ms([r["ms"] / 1000 for r in mine]), "errors": errors}
    cases_per_s = len(closed) / wall if wall else 0.0
    cpu = cpu_use(cpu_before, cpu_after, wall, len(closed))
    total_ms = sum(cpu["ms_per_report"].values())
    return {
        "people": result["people"],
        "cases": result["cases"],
        "closed": len(closed),
        "failed": [o for o in outcomes if not o["closed"]][:10],
        "wall_s": round(wall, 1),
        "cases_per_s": round(cases_per_s, 2),
        "actions_per_s": round(len(actions) / wall, 1) if wall else 0.0,
        "looks_per_case": round(len(looks) / len(outcomes), 1) if outcomes else 0.0,
        "case_s": stats.summary_ms([o["done"] - o["started"] for o in closed]),
        "by_action": by_action,
        "cpu_cores": cpu["cores"],
        "cpu_ms_per_case": {name: ms for name, ms in cpu["ms_per_report"].items()},
        "cpu_ms_per_case_total": round(total_ms, 1),
        "day_minutes": round(DAY_OF_CASES / cases_per_s / 60, 1) if cases_per_s else None,
        "account": account,
    }


def counts_per_case(delta: dict[str, dict], cases: int) -> dict[str, dict]:
    """Per service, from a ``collect.metrics_delta`` over the timed run: messages handled, store commands and the
    documents they wrote, per case closed (the timed run's own; the looks and the untimed cases are outside it)."""
    if not cases:
        return {}
    result = {}
    for service, measured in delta.items():
        store = measured["store"]
        result[service] = {
            "messages": round(sum(w["count"] for w in measured["workers"].values()) / cases, 2),
            "store_commands": round(sum(c["count"] for c in store.values()) / cases, 2),
            "documents_written": round(sum(c.get("documents", 0) for c in store.values()) / cases, 2),
            "by_command": {
                name: {"count": round(c["count"] / cases, 2), "documents": round(c.get("documents", 0) / cases, 2)}
                for name, c in sorted(store.items())
            },
        }
    return result


def to_markdown(results: dict) -> str:
    loop = results["lifecycle"]
    run = results["run"]
    account = loop["account"]
    lines = [
        f"# Lifecycle: {loop['cases']} cases round the whole loop, {loop['people']} people at once"
        f"{report.broker_phrase(run)}",
        "",
        f"Commit `{run.get('commit')}`, {run['started_at']}, {results['machine'].get('cores')} cores, "
        f"{run['broker']} broker, {run['replicas']} replica(s) per service; "
        f"{report.reference_phrase(results['machine'])}.",
        "",
        f"- **{loop['cases_per_s']} cases/s** round all seven stages ({loop['closed']} of {loop['cases']} closed in "
        f"{loop['wall_s']} s); {loop['actions_per_s']} actions/s; a day of {DAY_OF_CASES:,} cases: "
        f"**{loop['day_minutes']} minutes**",
        f"- CPU per case, all processes together: **{loop['cpu_ms_per_case_total']} ms**",
        f"- a case from report to closure: p50 {loop['case_s']['p50']} ms, p99 {loop['case_s']['p99']} ms; "
        f"{loop['looks_per_case']} looks at a case per case while waiting for the platform",
        f"- account: {account['closed_seen']} of {account['expected']} cases read back closed; the district's "
        f"indicators counted {account['reported_counted']} reported (expected {account['expected']}) and "
        f"{account['open_change']} more open cases than before (expected 0) — "
        f"{'every figure matches' if account['matches'] else 'MISMATCH'}",
        "",
        "## Each action",
        "",
    ]
    rows = [
        [name, str(a["n"]), str(a["p50"]), str(a["p95"]), str(a["p99"]), str(a["max"]), str(a["errors"])]
        for name, a in loop["by_action"].items()
    ]
    lines += table(["action", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"], rows)
    lines += ["", "## CPU per case, by process", ""]
    rows = [
        [name, str(ms), str(loop["cpu_cores"].get(name, ""))]
        for name, ms in sorted(loop["cpu_ms_per_case"].items(), key=lambda item: -item[1])
    ]
    lines += table(["process", "ms per case", "cores busy"], rows)
    if loop.get("per_case"):
        lines += ["", "## Messages and store commands per case, by service", ""]
        rows = [
            [name, str(c["messages"]), str(c["store_commands"]), str(c["documents_written"])]
            for name, c in sorted(loop["per_case"].items(), key=lambda item: -item[1]["store_commands"])
        ]
        lines += table(["service", "messages and calls handled", "store commands", "documents written"], rows)
    if loop["failed"]:
        lines += ["", "## Cases that did not close", ""]
        lines += [f"- case {o['i']}: {o.get('error')}" for o in loop["failed"]]
    return "\n".join(lines) + "\n"
