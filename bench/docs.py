"""Put the latest results into docs/benchmarks.md: ``python -m bench.docs``.

Rewrites what lies between the ``<!-- summary:… -->``, ``<!-- comparison:… -->``,
``<!-- results:… -->`` and ``<!-- lifecycle:… -->`` markers from
``bench/results/<mode>-r<replicas>[-cluster].json``, ``<mode>-r<replicas>-comparison.json``
and ``lifecycle-<mode>-r<replicas>.json``, so the document quotes exactly the committed results.
"""

import json
import re
import sys
from pathlib import Path

from bench import compare, lifecycle_figures
from bench.report import _ms, to_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"
RUNS = (
    "full-r1",
    "full-r1-cluster",
    "full-r2",
    "full-r2-cluster",
    "full-r1-one-store",
    "quick-r1",
    "quick-r1-cluster",
    "quick-r2",
    "quick-r2-cluster",
)
# `--broker both` runs: the single-broker pass beside the cluster pass of the same run.
COMPARISONS = ("full-r1-comparison", "full-r2-comparison", "quick-r1-comparison", "quick-r2-comparison")
# `--lifecycle` runs: cases round the whole loop.
LIFECYCLES = ("lifecycle-full-r1", "lifecycle-full-r1-cluster", "lifecycle-quick-r1")


def _demoted(markdown: str, levels: int) -> str:
    """``markdown`` with every heading ``levels`` deeper, to sit under a section of the document."""
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", markdown, flags=re.M)


def summary(runs: dict[str, dict]) -> str:
    """One line per run: the best step within target, the last that did not break down, the bounds."""
    lines = [
        "| run | within target (p99 ≤ 250 ms) | highest rate before breakdown | CPU ms/report there "
        "| → machine bound/s | store ms/report | → store bound/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for results in runs.values():
        steps = results["steps"]
        held = [s for s in steps if s["verdict"] != "breakdown"] or steps[:1]
        top = held[-1]
        best = results.get("sustained")
        within = f"{best['accepted_per_s']:g}/s (p99 {best['e2e_p99_ms']:g} ms)" if best else "none"
        b = top["bounds"]
        lines.append(
            f"| {results['run']['mode']}, {results['run']['replicas']} replica(s)"
            f"{', one store for all' if results['run'].get('stores') == 'one' else ''}{_broker(results['run'])} "
            f"| {within} "
            f"| {top['accepted_per_s']:g}/s (p99 {_ms(top['e2e_ms']['p99'])} ms) | {_ms(b['cpu_ms_per_report'])} "
            f"| {_ms(b['machine_per_s'])} | {_ms(b['store_ms_per_report'])} | {_ms(b['store_per_s'])} |"
        )
    return "\n".join(lines)


def _broker(run: dict) -> str:
    return f", {run.get('broker_nodes', 3)}-node cluster" if run.get("broker") == "cluster" else ""


def comparisons(found: dict[str, dict]) -> str:
    """Each ``--broker both`` run's comparison, or a line saying there is none yet."""
    if not found:
        return "No comparison committed yet: `make bench` runs one."
    return "\n".join(compare.to_markdown(c).replace("### ", "#### ", 1) for c in found.values()).rstrip()


def _load(names: tuple[str, ...]) -> dict[str, dict]:
    return {
        name: json.loads((RESULTS / f"{name}.json").read_text())
        for name in names
        if (RESULTS / f"{name}.json").exists()
    }


def _replace(text: str, marker: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"{DOC} has no {marker} markers")
    return pattern.sub(lambda m: f"{m.group(1)}{body}\n{m.group(2)}", text)


def main() -> int:
    runs = _load(RUNS)
    if not runs:
        print(f"no results in {RESULTS}; run `make bench` first", file=sys.stderr)
        return 1
    text = DOC.read_text(encoding="utf-8")
    text = _replace(text, "summary", summary(runs))
    found = _load(COMPARISONS)
    text = _replace(text, "comparison", comparisons(found))
    sections = [to_markdown(results).replace("### ", "#### ", 1) for results in runs.values()]
    text = _replace(text, "results", "\n".join(sections).rstrip())
    loops = _load(LIFECYCLES)
    if loops:
        text = _replace(
            text,
            "lifecycle",
            "\n".join(_demoted(lifecycle_figures.to_markdown(results), 3) for results in loops.values()).rstrip(),
        )
    DOC.write_text(text, encoding="utf-8")
    print(f"updated {DOC} from {', '.join([*runs, *found])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
