"""Sampling profiles of the platform's processes under load (py-spy), summarised.

``python -m bench --profile RATE`` records every Python process of the platform
(services, gateway, store) while the step at RATE runs: samples taken only while
the process holds the GIL, i.e. where its CPU goes. The raw stacks stay in the
work directory (``--keep``; ``py-spy`` can turn them into flame graphs); the results
get each process's top functions by own time and by time including callees.
"""

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def start(pids: dict[str, int], seconds: float, directory: Path) -> dict[str, tuple[subprocess.Popen, Path]]:
    """One ``py-spy record`` per process, for ``seconds``; returns them with their output files."""
    binary = py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed: run `make install`")
    running = {}
    for name, pid in pids.items():
        out = directory / f"profile-{name.replace(' ', '_')}.txt"
        process = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--format",
                "raw",
                "--gil",
                "--nonblocking",
                "--nolineno",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        running[name] = (process, out)
    return running


def finish(
    running: dict[str, tuple[subprocess.Popen, Path]], top: int = 12, stop: bool = False, grace: float = 30.0
) -> dict[str, dict]:
    """Wait for the recorders (``stop``: end them now; py-spy writes what it has on SIGINT, and one still running
    ``grace`` seconds later is killed, its profile lost); per process, its hottest functions (share of its
    samples)."""
    if stop:
        # all asked at once, so the grace runs once for them all, not once per recorder
        for process, _ in running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + grace
        for process, _ in running.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
    summaries = {}
    for name, (process, out) in running.items():
        process.wait(timeout=120)
        if out.exists():
            summaries[name] = summarise(out.read_text().splitlines(), top)
    return summaries


def summarise(lines: list[str], top: int) -> dict:
    """Top functions by own samples and by inclusive samples, from py-spy's raw (collapsed) stacks."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return {"samples": 0, "own": [], "inclusive": []}

    def shares(counter):
        return [[frame, round(n / total, 3)] for frame, n in counter.most_common(top)]

    return {"samples": total, "own": shares(own), "inclusive": shares(inclusive)}
