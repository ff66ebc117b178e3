"""Time per stage: the stages a case went through, and the histogram buckets their durations are counted in
(buckets grow by 25%; the 90th percentile is the upper edge of its bucket)."""

import math
from datetime import datetime

STAGES = ("dispatch", "sign_for", "disposal", "verification")
BUCKET_BASE_S = 60.0
BUCKET_GROWTH = 1.25


def bucket(seconds: float) -> int:
    return 0 if seconds <= BUCKET_BASE_S else math.ceil(math.log(seconds / BUCKET_BASE_S, BUCKET_GROWTH))


def bucket_top(index: int) -> float:
    return BUCKET_BASE_S * BUCKET_GROWTH**index


def stage_samples(transitions: list[dict]) -> list[tuple[str, float, datetime]]:
    """(stage, seconds, ended at) for every stage the case went through, rework cycles included."""
    samples = []
    waiting_since = dispatched = resolved = None
    for t in sorted(transitions, key=lambda t: (t["version"], t["at"])):
        kind, at = t["kind"], t["at"]
        if kind in ("report", "return"):
            waiting_since = None if t.get("handled_on_spot") else at
        elif kind == "dispatch":
            if waiting_since is not None:
                samples.append(("dispatch", (at - waiting_since).total_seconds(), at))
            waiting_since, dispatched = None, at
        elif kind == "rework":  # a failed check ends the verification stage and starts a new disposal clock
            if resolved is not None and t.get("failed_check"):
                samples.append(("verification", (at - resolved).total_seconds(), at))
            resolved, dispatched = None, at
        elif kind == "accept" and dispatched is not None:
            samples.append(("sign_for", (at - dispatched).total_seconds(), at))
        elif kind == "resolve" and dispatched is not None:
            samples.append(("disposal", (at - dispatched).total_seconds(), at))
            resolved = at
        elif kind == "verify" and resolved is not None:
            samples.append(("verification", (at - resolved).total_seconds(), at))
            resolved = None
    return samples


def p90_hours(histogram: dict[str, float]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0.0
    for index in sorted(histogram, key=int):
        seen += histogram[index]
        if seen >= 0.9 * total:
            return round(bucket_top(int(index)) / 3600, 3)
    return None
