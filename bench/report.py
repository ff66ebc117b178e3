"""The results: the machine, the versions, the ceilings and one row per load step.

Written as JSON (everything measured) and as markdown (the tables
docs/benchmarks.md quotes).
"""

import json
import os
import platform
import statistics
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import bson

from bench.analyse import STAGES

_PACKAGES = ("nameko", "eventlet", "kombu", "pymongo", "SecantusDB", "prometheus-client", "marshmallow")


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    total_kib = int(next(line for line in meminfo.splitlines() if line.startswith("MemTotal")).split()[1])
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "cpu": model,
        "os": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "reference_work_ms": reference_work_ms(),
    }


_CASE_LIKE = {
    "_id": "C-20261206-000001",
    "status": "dispatched",
    "category": "sanitation.rubbish",
    "location": {"lat": 26.07, "lon": 119.3},
    "history": [
        {"seq": i, "action": "report", "at": datetime(2026, 12, 6, tzinfo=UTC), "note": "x" * 40} for i in range(3)
    ],
    "version": 3,
}


def reference_work_ms(repeats: int = 5) -> float:
    """CPU ms one core takes for a fixed piece of the work every process does (BSON out and in, dicts, a loop),
    the median of ``repeats``: machines called "2 cores" differ by twice in speed, and every CPU figure here is
    as fast as the cores it ran on (docs/benchmarks.md, "Method")."""
    times = []
    for _ in range(repeats):
        started = time.process_time()
        for i in range(2_000):
            doc = bson.decode(bson.encode({**_CASE_LIKE, "version": i}))
            sum(len(k) for k in doc)
        times.append(time.process_time() - started)
    return round(statistics.median(times) * 1000, 1)


def versions(broker_overview: dict) -> dict:
    found = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    found["rabbitmq"] = broker_overview.get("rabbitmq_version")
    found["erlang"] = broker_overview.get("erlang_version")
    return found


def git_commit(root: Path) -> str | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}{'+changes' if dirty else ''}"


def results_name(mode: str, replicas: int, stores: str, broker: str) -> str:
    """The results files' name of a pass: ``<mode>-r<replicas>[-one-store][-cluster]``."""
    return (
        f"{mode}-r{replicas}" + ("-one-store" if stores == "one" else "") + ("-cluster" if broker == "cluster" else "")
    )


def broker_phrase(run: dict) -> str:
    """How a heading names the broker: nothing for the machine's own (as results before cluster mode)."""
    if run.get("broker", "single") == "single":
        return ""
    return f", on a {run.get('broker_nodes', 3)}-node RabbitMQ cluster (quorum queues replicated to every node)"


def _ms(value) -> str:
    """A figure for a table; a dash for one that could not be measured."""
    return "–" if value is None else f"{value:g}"


def _errors(step: dict) -> str:
    return ", ".join(f"{k}×{v}" for k, v in step["errors"].items()) or "0"


def _by_service(cores: dict[str, float]) -> dict[str, float]:
    """Replicas (``cases-1``, ``cases-2``) added up under their service's name."""
    summed: dict[str, float] = {}
    for name, value in cores.items():
        service, _, replica = name.rpartition("-")
        key = service if replica.isdigit() and service else name
        summed[key] = round(summed.get(key, 0.0) + value, 2)
    return summed


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---:|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def reference_phrase(m: dict) -> str:
    found = m.get("reference_work_ms")
    return f"reference work {found:g} ms of one core" if found is not None else "reference work not measured"


def to_markdown(results: dict) -> str:
    run, m, v, c = results["run"], results["machine"], results["versions"], results["ceilings"]
    lines = [
        f"### {run['mode']} run, {run['replicas']} replica(s) of each service"
        f"{', one store for all services' if run.get('stores') == 'one' else ', a store per service'}"
        f"{broker_phrase(run)} — {run['started_at']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB; load average at start "
        f"{', '.join(map(str, m['load_average_at_start']))}; {reference_phrase(m)}. Commit {run['commit']}.",
        "",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".",
        "",
        f"Raw ceilings (same run{', on the cluster' if run.get('broker') == 'cluster' else ''}): broker publish "
        f"{'to a quorum queue ' if c.get('broker_queue_type') == 'quorum' else ''}"
        f"{c['broker_publish_per_s']:g}/s, consume "
        f"{c['broker_consume_per_s']:g}/s; store insert {c['store_insert_per_s']:g}/s, indexed update "
        f"{c['store_update_per_s']:g}/s.",
        "",
        "| offered/s | accepted/s | e2e p50 | p95 | p99 | max (ms) | HTTP p99 | errors | late | dup "
        "| store writes/report (documents) | store share | broker share | verdict |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in results["steps"]:
        e, r = s["e2e_ms"], s["ratios"]
        lines.append(
            f"| {s['offered_per_s']:g} | {s['accepted_per_s']:g} | {_ms(e['p50'])} | {_ms(e['p95'])} "
            f"| {_ms(e['p99'])} | {_ms(e['max'])} | {_ms(s['http_ms']['p99'])} | {_errors(s)} | {s['lost']} "
            f"| {s['duplicated']} | {s['per_report']['store_writes']:g} "
            f"({s['per_report']['store_documents_written']:g}) "
            f"| {r['store_writes']:.0%} "
            f"| {max(r['broker_publish'], r['broker_consume']):.0%} | {s['verdict']} |"
        )
    steps = results["steps"]
    services = sorted({name for s in steps for name in s["service_ms"]})
    lines += [
        "",
        "Where the time goes: p99 of each hop along the correlation id, and each service's mean time per message (ms):",
        "",
    ]
    lines += table(
        ["offered/s", *(name for name, _, _ in STAGES), *services],
        [
            [
                f"{s['offered_per_s']:g}",
                *(_ms(s["stages_ms"][name]["p99"]) for name, _, _ in STAGES),
                *(_ms(s["service_ms"].get(name, {}).get("mean_ms")) for name in services),
            ]
            for s in steps
        ],
    )
    processes = sorted({name for s in steps for name in _by_service(s["cpu"]["cores"])})
    lines += [
        "",
        "What bounds it: cores each process kept busy; CPU each report cost, all processes "
        "together, and the rate that allows on the machine's cores; the store's share, and the "
        "rate its single core allows:",
        "",
    ]
    lines += table(
        ["offered/s", *processes, "CPU ms/report", "→ machine bound/s", "store ms/report", "→ store bound/s"],
        [
            [
                f"{s['offered_per_s']:g}",
                *(_ms(_by_service(s["cpu"]["cores"]).get(p)) for p in processes),
                _ms(s["bounds"]["cpu_ms_per_report"]),
                _ms(s["bounds"]["machine_per_s"]),
                _ms(s["bounds"]["store_ms_per_report"]),
                _ms(s["bounds"]["store_per_s"]),
            ]
            for s in steps
        ],
    )
    last = results["steps"][-1] if results["steps"] else None
    if last:
        lines += [
            "",
            f"At {last['offered_per_s']:g}/s the slowest hop was {last['slowest_hop']}, the slowest service "
            f"step {last['slowest_service']}, the busiest process {last['busiest_process']}. Store commands "
            f"per report: "
            + ", ".join(f"{k} {n:g}" for k, n in last["per_report"]["store_commands"].items())
            + f"; events per report: {last['per_report']['events']:g}."
            + _reads_by_service(last["per_report"]),
        ]
    leaders = results.get("broker", {}).get("queue_leaders")
    if leaders:
        lines += [
            "",
            "Quorum queue leaders: "
            + ", ".join(f"{node} {n}" for node, n in leaders.items())
            + " (a client connects to the first node it can reach; a queue's leader is by default the node "
            "of the connection that declared it).",
        ]
    final = results.get("final")
    if final:
        lines += [
            "",
            f"*late*: accepted in the step but not in the department's inbox when the step's drain ended. "
            f"Final account, after waiting {final['waited_s']:g} s for the backlog: "
            f"{final['delivered']} of {final['accepted']} accepted reports reached their department's "
            f"inbox; **lost {final['lost']}, duplicated {final['duplicated']}**.",
        ]
    best = results.get("sustained")
    lines += [
        "",
        (
            f"**Sustained within target (p99 ≤ 250 ms, nothing lost): {best['accepted_per_s']:g} reports/s "
            f"(p99 {best['e2e_p99_ms']:g} ms).**"
            if best
            else "**No step stayed within target.**"
        ),
        "",
    ]
    return "\n".join(lines)


def write(results: dict, directory: Path, name: str, render=None) -> tuple[Path, Path]:
    """``<name>.json`` and ``<name>.md`` (``render(results)``, by default a pass's tables) in ``directory``,
    each replaced whole."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = (directory / f"{name}.json", directory / f"{name}.md")
    text = (render or to_markdown)(results)
    for path, content in zip(paths, (json.dumps(results, indent=2, ensure_ascii=False), text), strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(content + "\n", encoding="utf-8")
        tmp.replace(path)
    return paths


def _reads_by_service(per_report: dict) -> str:
    """Which service's reads make up the store reads per report (results from before it was kept have none)."""
    reads = per_report.get("store_reads_by_service")
    if not reads:
        return ""
    return " Reads per report by service: " + ", ".join(f"{s} {n:g}" for s, n in reads.items() if n) + "."
