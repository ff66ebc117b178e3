"""A period's figures for one key, from its summed daily counters: the counts, the rates, time per stage."""

from datetime import date, timedelta

from services.indicators.domain.counters import COUNTS
from services.indicators.domain.durations import STAGES, p90_hours


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
        result[f"{stage}_p90_hours"] = p90_hours(histogram)
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
