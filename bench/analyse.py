"""From the raw records of one load step to the figures the results table shows."""

from collections import Counter

from bench.collect import MACHINE, store_operations
from bench.stats import summary_ms

TARGET_P99_MS = 250.0
BREAKDOWN_P99_MS = 1000.0
BREAKDOWN_ERROR_SHARE = 0.01

# The hops of a report, as (name, from timestamp, to timestamp) along its correlation id.
STAGES = (
    ("gateway→reporting", "due", "received"),
    ("reporting→cases", "received", "registered"),
    ("cases→dispatch", "registered", "assigned"),
    ("dispatch→cases", "assigned", "dispatched"),
    ("cases→notifications", "dispatched", "inbox"),
)


def latencies(traces: dict[str, dict]) -> dict:
    """End-to-end, HTTP and per-hop latency summaries (ms) over the reports that arrived."""
    arrived = [t for t in traces.values() if "inbox" in t]
    result = {
        "e2e_ms": summary_ms([t["inbox"] - t["due"] for t in arrived]),
        "http_ms": summary_ms([t["answered"] - t["due"] for t in traces.values()]),
        "stages_ms": {},
    }
    for name, start, end in STAGES:
        result["stages_ms"][name] = summary_ms([t[end] - t[start] for t in arrived if start in t and end in t])
    return result


def service_times(delta: dict[str, dict]) -> dict[str, dict]:
    """Mean time per message (ms) of every entrypoint that ran, named ``service.entrypoint``."""
    times = {}
    for service, measured in delta.items():
        for entrypoint, figures in measured["workers"].items():
            if entrypoint in {"metrics", "health"}:
                continue  # the bench's and the readiness probe's own calls
            times[f"{service}.{entrypoint}"] = {
                "count": figures["count"],
                "mean_ms": round(figures.get("seconds", 0.0) / figures["count"] * 1000, 2),
            }
    return times


def per_report(delta: dict[str, dict], accepted: int) -> dict:
    """Store write commands, documents written, reads and events consumed, per accepted report."""
    operations = store_operations(delta)

    def each(kind):
        return {service: round(c[kind] / accepted, 2) for service, c in operations.items()} if accepted else {}

    writes, documents, reads = each("writes"), each("documents_written"), each("reads")
    by_command = Counter()
    for measured in delta.values():
        for command, figures in measured["store"].items():
            by_command[command] += figures["count"]
    events = sum(
        figures["count"]
        for measured in delta.values()
        for entrypoint, figures in measured["workers"].items()
        if entrypoint.startswith("on_")
    )
    return {
        "store_writes": round(sum(writes.values()), 2),
        "store_reads": round(sum(reads.values()), 2),
        "store_reads_by_service": reads,
        "store_writes_by_service": writes,
        "store_documents_written": round(sum(documents.values()), 2),
        "store_documents_written_by_service": documents,
        "store_commands": {c: round(n / accepted, 2) for c, n in sorted(by_command.items())} if accepted else {},
        "events": round(events / accepted, 2) if accepted else 0.0,
    }


def cpu_use(before: dict[str, float], after: dict[str, float], wall: float, accepted: int) -> dict:
    """Cores each process kept busy over the step, and CPU ms it spent per report.

    ``other work`` is what the rest of the machine used meanwhile (the machine is
    shared): the busier it was, the less the figures are the platform's alone.
    """
    cores, per_report_ms = {}, {}
    for name, end in after.items():
        if name in before:
            used = end - before[name]
            cores[name] = round(used / wall, 2)
            if accepted and name != MACHINE:
                per_report_ms[name] = round(used / accepted * 1000, 2)
    if MACHINE in cores:
        ours = sum(v for k, v in cores.items() if k != MACHINE)
        cores["other work"] = round(max(0.0, cores.pop(MACHINE) - ours), 2)
    return {"cores": cores, "ms_per_report": per_report_ms}


def bounds(cpu: dict, cores: int) -> dict:
    """The rates the CPU spent per report allows: the machine's cores, and the store's.

    An embedded store is one Python process, so one core at most whatever the machine
    has: with one store per service (``store-<service>``) the busiest one bounds the
    rate. Everything else shares the machine's cores.
    """
    per_report = cpu["ms_per_report"]
    total = sum(per_report.values())
    stores = [ms for name, ms in per_report.items() if name == "store" or name.startswith("store-")]
    return {
        "cpu_ms_per_report": round(total, 1),
        "machine_per_s": round(cores * 1000 / total, 1) if total else None,
        "store_ms_per_report": round(sum(stores), 2) if stores else None,
        "store_per_s": round(1000 / max(stores), 1) if stores and max(stores) else None,
    }


def ratios(accepted_per_s: float, figures: dict, ceilings: dict) -> dict:
    """The share of each raw ceiling this step's traffic used (1.0: the ceiling itself).

    The store share adds inserts and updates, each at its own ceiling: the share of
    one sequential client's time the platform's writes would take.
    """
    commands = figures["store_commands"]
    store_share = (
        accepted_per_s * commands.get("insert", 0.0) / ceilings["store_insert_per_s"]
        + accepted_per_s * commands.get("update", 0.0) / ceilings["store_update_per_s"]
    )
    events_per_s = accepted_per_s * figures["events"]
    return {
        "store_writes": round(store_share, 3),
        "broker_publish": round(events_per_s / ceilings["broker_publish_per_s"], 3),
        "broker_consume": round(events_per_s / ceilings["broker_consume_per_s"], 3),
    }


def verdict(
    offered: float, accepted_per_s: float, errors: int, sent: int, lost: int, duplicated: int, p99_ms: float | None
) -> str:
    """``ok`` (within target), ``over target``, or ``breakdown`` (stop raising the rate)."""
    if (
        lost
        or duplicated
        or (sent and errors / sent > BREAKDOWN_ERROR_SHARE)
        or p99_ms is None
        or p99_ms > BREAKDOWN_P99_MS
        or accepted_per_s < 0.9 * offered
    ):
        return "breakdown"
    if errors or p99_ms > TARGET_P99_MS or accepted_per_s < 0.97 * offered:
        return "over target"
    return "ok"


def account(traces: dict[str, dict]) -> dict:
    """What became of the traced reports: in their department's inbox once, never, or more than once."""
    return {
        "delivered": sum(1 for t in traces.values() if t["inbox_entries"] >= 1),
        "lost": sum(1 for t in traces.values() if t["inbox_entries"] == 0),
        "duplicated": sum(1 for t in traces.values() if t["inbox_entries"] > 1),
    }


def summarise_step(
    offered: float, load: dict, traces: dict[str, dict], delta: dict[str, dict], cpu: dict, ceilings: dict, cores: int
) -> dict:
    requests = load["requests"]
    accepted = [r for r in requests if r["status"] == 202]
    errors = Counter(str(r["error"] or r["status"]) for r in requests if r["status"] != 202)
    counted = account(traces)
    lost, duplicated = counted["lost"], counted["duplicated"]
    accepted_per_s = round(len(accepted) / load["seconds"], 1)
    figures = per_report(delta, len(accepted))
    step = {
        "offered_per_s": offered,
        "seconds": load["seconds"],
        "sent": len(requests),
        "accepted": len(accepted),
        "accepted_per_s": accepted_per_s,
        "errors": dict(errors),
        "lost": lost,
        "duplicated": duplicated,
        **latencies(traces),
        "send_lag_ms": summary_ms([r["sent"] - r["due"] for r in requests if r["sent"]]),
        "per_report": figures,
        "service_ms": service_times(delta),
        "cpu": cpu,
        "bounds": bounds(cpu, cores),
        "ratios": ratios(accepted_per_s, figures, ceilings),
    }
    step["slowest_hop"] = _slowest(step["stages_ms"], "p99")
    step["slowest_service"] = _slowest(step["service_ms"], "mean_ms")
    ours = {k: v for k, v in cpu["cores"].items() if k != "other work"}
    step["busiest_process"] = max(ours, key=ours.get) if ours else None
    step["verdict"] = verdict(
        offered, accepted_per_s, sum(errors.values()), len(requests), lost, duplicated, step["e2e_ms"]["p99"]
    )
    return step


def _slowest(table: dict[str, dict], key: str) -> str | None:
    candidates = {name: figures[key] for name, figures in table.items() if figures.get(key) is not None}
    return max(candidates, key=candidates.get) if candidates else None


def sustained(steps: list[dict]) -> dict | None:
    """The highest step within target: the figure to quote."""
    within = [s for s in steps if s["verdict"] == "ok"]
    if not within:
        return None
    best = max(within, key=lambda s: s["accepted_per_s"])
    return {
        "offered_per_s": best["offered_per_s"],
        "accepted_per_s": best["accepted_per_s"],
        "e2e_p99_ms": best["e2e_ms"]["p99"],
        "lost": best["lost"],
    }
