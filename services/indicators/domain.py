"""The figures every department, grid, community, street and category is judged by (docs/domain.md §6). Pure.

A case's contribution to the daily counters is derived from its *transitions* —
(kind, version, time, detail) — whether they come from the cases service's events
(the read model) or from a case's own history (the recomputation that checks it):
both go through ``contributions`` and must give the same numbers.

Definitions (per dimension key and period):

- a case is *due* in the period holding its disposal deadline (as last set); due
  cases are also the *dispatched* cases of that period;
- *deferred* (缓办/挂起): due cases that are suspended now;
- 按期结案率 on-time closure rate = closed on time / (due − deferred);
  结案率 closure rate = closed / (due − deferred);
- 返工率 rework rate = cases that failed a check / cases checked at least once;
- 延期率 extension rate = cases given an extension / cases dispatched;
- time per stage — registration and dispatch (report → dispatch), signing for
  (dispatch → accept), disposal (dispatch → resolve), verification (resolve →
  check) — each stage taken counted on the day it ended: mean, and the 90th
  percentile as the upper edge of its histogram bucket (buckets grow by 25%);
- *reported*: cases reported that day (hot spots are the grids with most).

接诉即办, over the public's cases only (reported through Open311, ``source: public``):

- 响应率 response rate = public cases answered (registered, rejected, dispatched,
  merged or cancelled — screened one way or the other) within the response limit
  (``RESPONSE_LIMIT_HOURS`` after the report) / public cases reported; counted on
  the day reported;
- 解决率 resolution rate = public cases closed and not rated 不满意 (their latest
  rating) / public due cases not deferred; counted on the deadline's day, like 结案率;
- 满意率 satisfaction rate = public cases rated 满意 or 基本满意 / public cases rated
  (each case by its latest rating); counted on the day of that rating.
"""

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DIMENSIONS = ("district", "department", "grid", "community", "street", "category")
STAGES = ("dispatch", "sign_for", "disposal", "verification")
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
BUCKET_BASE_S = 60.0
BUCKET_GROWTH = 1.25
OPEN = ("reported", "registered", "dispatched", "accepted", "resolved", "verified")

# event type -> transition kind (the same words as the history's actions)
KIND_OF_EVENT = {
    "case.reported": "report",
    "case.registered": "register",
    "case.dispatched": "dispatch",
    "case.accepted": "accept",
    "case.returned": "return",
    "case.extension_approved": "approve_extension",
    "case.resolved": "resolve",
    "case.verified": "verify",
    "case.reworked": "rework",
    "case.closed": "close",
    "case.suspended": "suspend",
    "case.resumed": "resume",
    "case.cancelled": "cancel",
    "case.rejected": "reject",
    "case.merged": "merge",
    "case.rated": "rate",
}


def bucket(seconds: float) -> int:
    return 0 if seconds <= BUCKET_BASE_S else math.ceil(math.log(seconds / BUCKET_BASE_S, BUCKET_GROWTH))


def bucket_top(index: int) -> float:
    return BUCKET_BASE_S * BUCKET_GROWTH**index


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).date().isoformat()


# -- a case's transitions -----------------------------------------------------------


def transition_from_event(event) -> dict | None:
    kind = KIND_OF_EVENT.get(event.type)
    if kind is None:
        return None
    p = event.payload
    detail = {}
    if kind == "report" and p.get("handled_on_spot"):
        detail["handled_on_spot"] = True
    if kind == "rework":
        detail["failed_check"] = not p.get("reopened", False)
    if kind == "close":
        detail["on_time"] = p.get("on_time")
    if kind == "rate":
        detail["rating"] = p["rating"]
    return {"kind": kind, "version": p["version"], "at": event.occurred_at, **detail}


def transitions_from_history(case: dict) -> list[dict]:
    """The same transitions, read back from a case's own history (for the recomputation)."""
    found, version = [], 1
    for entry in case["history"]:
        action, to = entry["action"], entry["to_status"]
        kind = {
            "report": "report",
            "register": "register",
            "dispatch": "dispatch",
            "accept": "accept",
            "return": "return",
            "approve_extension": "approve_extension",
            "resolve": "resolve",
            "suspend": "suspend",
            "resume": "resume",
            "close": "close",
            "cancel": "cancel",
            "reject": "reject",
            "merge": "merge",
            "rate": "rate",
            "handle_on_spot": None,
        }.get(action)
        if action in ("verify", "reopen"):
            kind = "verify" if to == "verified" else "rework"
        if kind is None:
            continue
        detail = {}
        if kind == "rework":
            detail["failed_check"] = action == "verify"
        if kind == "close":
            detail["on_time"] = case.get("on_time")
        if kind == "report" and case.get("handled_on_spot"):
            detail["handled_on_spot"] = True
        if kind == "rate":
            detail["rating"] = entry.get("rating")
        at = case["created_at"] if kind == "report" else entry["at"]
        found.append({"kind": kind, "version": version, "at": at, **detail})
        version += 1
    return found


# -- what a case adds to the counters -------------------------------------------------


def _keys(snapshot: dict) -> list[tuple[str, str]]:
    keys = [("district", "all")]
    for dimension in DIMENSIONS[1:]:
        if snapshot.get(dimension):
            keys.append((dimension, snapshot[dimension]))
    return keys


def _stage_samples(transitions: list[dict]) -> list[tuple[str, float, datetime]]:
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
    for stage, seconds, ended in _stage_samples(transitions):
        day = local_day(ended, tz)
        add(day, f"{stage}_n")
        add(day, f"{stage}_s", seconds)
        add(day, f"{stage}_h.{bucket(max(seconds, 0))}")
    return adds


def _public_contributions(snapshot: dict, transitions: list[dict], add, tz: ZoneInfo, response_limit: timedelta):
    """响应率, 解决率 and 满意率's counts for a case the public reported (see the module's definitions)."""
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


# -- periods and figures ------------------------------------------------------------


def period_days(period: str, day: date) -> tuple[date, date]:
    """[first, last] day of the day, week (Monday first), month or quarter holding ``day``."""
    if period == "day":
        return day, day
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if period == "month":
        first = day.replace(day=1)
    elif period == "quarter":
        first = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    else:
        raise ValueError(period)
    months = 1 if period == "month" else 3
    year, month = divmod(first.month - 1 + months, 12)
    return first, date(first.year + year, month + 1, 1) - timedelta(days=1)


def _rate(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator > 0 else None


def _p90(histogram: dict[str, float]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0.0
    for index in sorted(histogram, key=int):
        seen += histogram[index]
        if seen >= 0.9 * total:
            return round(bucket_top(int(index)) / 3600, 3)
    return None


def figures(sums: dict[str, float]) -> dict:
    """The indicators of one key over one period, from its summed counters."""
    counted = sums.get("due", 0) - sums.get("deferred", 0)
    result = {field: int(sums.get(field, 0)) for field in COUNTS}
    result.update(
        {
            "on_time_closure_rate": _rate(sums.get("closed_on_time", 0), counted),
            "closure_rate": _rate(sums.get("closed", 0), counted),
            "rework_rate": _rate(sums.get("failed_check", 0), sums.get("checked", 0)),
            "extension_rate": _rate(sums.get("extended", 0), sums.get("dispatched", 0)),
            "response_rate": _rate(sums.get("public_answered_in_time", 0), sums.get("public_reported", 0)),
            "resolution_rate": _rate(sums.get("public_resolved", 0), sums.get("public_due", 0)),
            "satisfaction_rate": _rate(sums.get("satisfied", 0), sums.get("rated", 0)),
        }
    )
    for stage in STAGES:
        n = sums.get(f"{stage}_n", 0)
        histogram = {k.split(".", 1)[1]: v for k, v in sums.items() if k.startswith(f"{stage}_h.")}
        result[f"{stage}_mean_hours"] = round(sums.get(f"{stage}_s", 0) / n / 3600, 3) if n else None
        result[f"{stage}_p90_hours"] = _p90(histogram)
    return result


def add_up(counters: list[dict]) -> dict[str, dict[str, float]]:
    """{key: summed fields} over daily counter documents."""
    sums: dict[str, dict[str, float]] = {}
    for doc in counters:
        target = sums.setdefault(doc["key"], {})
        for field, value in doc.items():
            if field in ("_id", "dimension", "key", "day"):
                continue
            if isinstance(value, dict):  # histograms are stored as nested maps
                for index, n in value.items():
                    target[f"{field}.{index}"] = target.get(f"{field}.{index}", 0) + n
            else:
                target[field] = target.get(field, 0) + value
    return sums
