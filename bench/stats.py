"""Summaries of latency samples."""

import math


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by the nearest-rank method; None for no values.

    Nearest rank returns an observed value, never an interpolation between two, so a
    p99 of 100 samples is the 99th smallest: a latency some request really had.
    """
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict:
    """p50, p95, p99 and max of durations given in seconds, in milliseconds (one decimal)."""

    def ms(value):
        return None if value is None else round(value * 1000, 1)

    return {
        "n": len(seconds),
        "p50": ms(percentile(seconds, 50)),
        "p95": ms(percentile(seconds, 95)),
        "p99": ms(percentile(seconds, 99)),
        "max": ms(max(seconds) if seconds else None),
    }
