"""Put the latest results into docs/benchmarks.md: ``python -m bench.docs``.

Rewrites what lies between the ``<!-- summary:… -->`` and ``<!-- results:… -->``
markers from ``bench/results/<mode>-r<replicas>.json``, so the document quotes
exactly the committed results.
"""

import json
import re
import sys
from pathlib import Path

from bench.report import _ms, to_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"
RUNS = ("full-r1", "full-r2", "full-r1-one-store", "quick-r1", "quick-r2")


def summary(runs: dict[str, dict]) -> str:
    """One line per run: the best step within target, the last that did not break down, the bounds."""
    lines = ["| run | within target (p99 ≤ 250 ms) | highest rate before breakdown | CPU ms/report there "
             "| → machine bound/s | store ms/report | → store bound/s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for results in runs.values():
        steps = results["steps"]
        held = [s for s in steps if s["verdict"] != "breakdown"] or steps[:1]
        top = held[-1]
        best = results.get("sustained")
        within = f"{best['accepted_per_s']:g}/s (p99 {best['e2e_p99_ms']:g} ms)" if best else "none"
        b = top["bounds"]
        lines.append(
            f"| {results['run']['mode']}, {results['run']['replicas']} replica(s)"
            f"{', one store for all' if results['run'].get('stores') == 'one' else ''} | {within} "
            f"| {top['accepted_per_s']:g}/s (p99 {_ms(top['e2e_ms']['p99'])} ms) | {_ms(b['cpu_ms_per_report'])} "
            f"| {_ms(b['machine_per_s'])} | {_ms(b['store_ms_per_report'])} | {_ms(b['store_per_s'])} |"
        )
    return "\n".join(lines)


def _replace(text: str, marker: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"{DOC} has no {marker} markers")
    return pattern.sub(lambda m: f"{m.group(1)}{body}\n{m.group(2)}", text)


def main() -> int:
    runs = {name: json.loads((RESULTS / f"{name}.json").read_text())
            for name in RUNS if (RESULTS / f"{name}.json").exists()}
    if not runs:
        print(f"no results in {RESULTS}; run `make bench` first", file=sys.stderr)
        return 1
    text = DOC.read_text(encoding="utf-8")
    text = _replace(text, "summary", summary(runs))
    sections = [to_markdown(results).replace("### ", "#### ", 1) for results in runs.values()]
    text = _replace(text, "results", "\n".join(sections).rstrip())
    DOC.write_text(text, encoding="utf-8")
    print(f"updated {DOC} from {', '.join(runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
