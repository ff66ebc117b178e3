"""What a case adds to the daily counters of each of its dimension keys, and how far an event moves them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.indicators.domain.durations import bucket, stage_samples
from shared.api.stats import DIMENSIONS
from shared.events.contracts.cases import OPEN_STATUSES

COUNTS = (
    "reported",
    "due",
    "dispatched",
    "deferred",
    "closed",
    "closed_on_time",
    "extended",
    "checked",
    "failed_check",
    "public_reported",
    "public_answered_in_time",
    "public_due",
    "public_resolved",
    "rated",
    "satisfied",
)
RESPONSE_LIMIT = timedelta(hours=24)
ANSWERS = frozenset({"register", "reject", "dispatch", "merge", "cancel"})  # a public report screened either way
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
OPEN = OPEN_STATUSES


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat()


def _keys(snapshot: dict) -> list[tuple[str, str]]:
    keys = [("district", "all")]
    for dimension in DIMENSIONS[1:]:
        if snapshot.get(dimension):
            keys.append((dimension, snapshot[dimension]))
    return keys


def contributions(
    snapshot: dict, transitions: list[dict], tz: ZoneInfo, response_limit: timedelta = RESPONSE_LIMIT
) -> dict[str, dict[str, float]]:
    """{counter id: {field: amount}} this case adds, given its latest facts and every transition."""
    adds: dict[str, dict[str, float]] = {}

    def add(day: str, field: str, amount: float = 1) -> None:
        for dimension, key in _keys(snapshot):
            counter = adds.setdefault(f"{dimension}|{key}|{day}", {})
            counter[field] = counter.get(field, 0) + amount

    kinds = {t["kind"] for t in transitions}
    report = next((t for t in transitions if t["kind"] == "report"), None)
    if report:
        add(local_day(report["at"], tz), "reported")
    # Cancelled cases (作废) are not judged; a returned case has no deadline until dispatched again.
    if snapshot.get("deadline") and snapshot.get("status") != "cancelled":
        day = local_day(snapshot["deadline"], tz)
        failed = any(t.get("failed_check") for t in transitions)
        for field, counts in (
            ("due", True),
            ("dispatched", True),
            ("deferred", snapshot.get("suspended")),
            ("closed", snapshot.get("status") == "closed"),
            ("closed_on_time", snapshot.get("status") == "closed" and _closed_on_time(transitions)),
            ("extended", "approve_extension" in kinds),
            ("checked", "verify" in kinds or failed),
            ("failed_check", failed),
        ):
            if counts:
                add(day, field)
    if snapshot.get("source") == "public":
        _public_contributions(snapshot, transitions, add, tz, response_limit)
    for stage, seconds, ended in stage_samples(transitions):
        day = local_day(ended, tz)
        add(day, f"{stage}_n")
        add(day, f"{stage}_s", seconds)
        add(day, f"{stage}_h.{bucket(max(seconds, 0))}")
    return adds


def _public_contributions(snapshot: dict, transitions: list[dict], add, tz: ZoneInfo, response_limit: timedelta):
    """响应率, 解决率 and 满意率's counts for a case the public reported (see the package's definitions)."""
    ordered = sorted(transitions, key=lambda t: (t["version"], t["at"]))
    report = next((t for t in ordered if t["kind"] == "report"), None)
    if report:
        day = local_day(report["at"], tz)
        add(day, "public_reported")
        answer = next((t for t in ordered if t["kind"] in ANSWERS), None)
        if answer is not None and answer["at"] - report["at"] <= response_limit:
            add(day, "public_answered_in_time")
    rating = next((t for t in reversed(ordered) if t["kind"] == "rate"), None)
    if snapshot.get("deadline") and snapshot.get("status") != "cancelled" and not snapshot.get("suspended"):
        day = local_day(snapshot["deadline"], tz)
        add(day, "public_due")
        if snapshot.get("status") == "closed" and (rating is None or rating.get("rating") not in ("unsatisfied",)):
            add(day, "public_resolved")
    if rating is not None:
        day = local_day(rating["at"], tz)
        add(day, "rated")
        if rating.get("rating") in SATISFIED:
            add(day, "satisfied")


def _closed_on_time(transitions: list[dict]) -> bool:
    close = max((t for t in transitions if t["kind"] == "close"), key=lambda t: t["version"], default={})
    return bool(close.get("on_time"))


def difference(old: dict, new: dict) -> dict[str, dict[str, float]]:
    """The increments turning counters that held ``old`` into counters holding ``new``."""
    delta: dict[str, dict[str, float]] = {}
    for counter in old.keys() | new.keys():
        before, after = old.get(counter, {}), new.get(counter, {})
        for field in before.keys() | after.keys():
            change = after.get(field, 0) - before.get(field, 0)
            if change:
                delta.setdefault(counter, {})[field] = change
    return delta
