"""Working time: the Chinese official calendar and office hours.

Deadlines run on working time: official workdays (public holidays off, adjusted
working weekends 调休 on — from the ``chinese-calendar`` package) within configured
office hours, in the district's time zone. Urgent work may run on a 24×7 clock.

``chinese-calendar`` knows each year once the State Council has published it
(usually in the November before). For a year it does not know, the calendar falls
back to Monday–Friday and says so in the log; ``CALENDAR_FILE`` (JSON
``{"holidays": [...], "workdays": [...]}``, ISO dates) adds or corrects days, e.g.
the next year's schedule as soon as it is announced.
"""

import json
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from nameko.extensions import DependencyProvider

from shared.config import ConfigError, setting

_log = logging.getLogger(__name__)

WORKING = "working"
ROUND_THE_CLOCK = "24x7"
_MAX_DAYS = 3660  # no deadline is ten years of working time away


def parse_office_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,14:00-18:00"`` → ((08:30, 12:00), (14:00, 18:00))."""
    spans = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        try:
            span = (time.fromisoformat(start), time.fromisoformat(end))
        except ValueError:
            raise ConfigError(f"OFFICE_HOURS: '{part}' is not HH:MM-HH:MM") from None
        if span[0] >= span[1] or (spans and span[0] < spans[-1][1]):
            raise ConfigError(f"OFFICE_HOURS: '{part}' must start after the previous span and end after it starts")
        spans.append(span)
    if not spans:
        raise ConfigError("OFFICE_HOURS: no span given")
    return tuple(spans)


class WorkCalendar:
    def __init__(
        self, timezone: str = "Asia/Shanghai", office_hours: str = "08:30-12:00,14:00-18:00", holidays=(), workdays=()
    ):
        self.tz = ZoneInfo(timezone)
        self.spans = parse_office_hours(office_hours)
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.is_workday = lru_cache(maxsize=4096)(self._is_workday)
        self._warned: set[int] = set()

    def _is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                _log.warning(
                    "no official calendar for %d: counting Monday-Friday as workdays "
                    "(set CALENDAR_FILE to add the year's holidays)",
                    day.year,
                )
            return day.weekday() < 5

    def _working_spans(self, day: date):
        """The office-hour spans of ``day`` as aware datetimes, if it is a workday."""
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz)) for start, end in self.spans
        ]

    def add(self, start: datetime, seconds: float, clock: str = WORKING) -> datetime:
        """The moment ``seconds`` of working time (or plain time, on the 24×7 clock) after ``start``.

        Negative ``seconds`` count back (a warning some working hours before a deadline).
        """
        if clock == ROUND_THE_CLOCK or seconds == 0:
            return start + timedelta(seconds=seconds)
        if seconds < 0:
            return self._back(start, -seconds)
        local = start.astimezone(self.tz)
        left = float(seconds)
        day = local.date()
        for _ in range(_MAX_DAYS):
            for span_start, span_end in self._working_spans(day):
                begin = max(span_start, local)
                if begin >= span_end:
                    continue
                available = (span_end - begin).total_seconds()
                if left <= available:
                    return (begin + timedelta(seconds=left)).astimezone(start.tzinfo)
                left -= available
            day += timedelta(days=1)
        raise ValueError(f"{seconds} s of working time after {start} is beyond any deadline")

    def _back(self, end: datetime, seconds: float) -> datetime:
        local = end.astimezone(self.tz)
        left = seconds
        day = local.date()
        for _ in range(_MAX_DAYS):
            for span_start, span_end in reversed(self._working_spans(day)):
                finish = min(span_end, local)
                if finish <= span_start:
                    continue
                available = (finish - span_start).total_seconds()
                if left <= available:
                    return (finish - timedelta(seconds=left)).astimezone(end.tzinfo)
                left -= available
            day -= timedelta(days=1)
        raise ValueError(f"{seconds} s of working time before {end} is before any calendar")

    def between(self, start: datetime, end: datetime, clock: str = WORKING) -> float:
        """Seconds of working time (or plain time) from ``start`` to ``end``; negative if ``end`` is earlier."""
        if end < start:
            return -self.between(end, start, clock)
        if clock == ROUND_THE_CLOCK:
            return (end - start).total_seconds()
        total = 0.0
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last:
            for span_start, span_end in self._working_spans(day):
                overlap = (min(span_end, end) - max(span_start, start)).total_seconds()
                total += max(overlap, 0.0)
            day += timedelta(days=1)
        return total


def calendar_from_config(config) -> WorkCalendar:
    extra: dict = {"holidays": [], "workdays": []}
    path = setting(config, "CALENDAR_FILE", default=None)
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                extra = {**extra, **json.load(handle)}
            holidays = [date.fromisoformat(d) for d in extra["holidays"]]
            workdays = [date.fromisoformat(d) for d in extra["workdays"]]
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"CALENDAR_FILE={path!r}: {exc}") from exc
    else:
        holidays, workdays = [], []
    return WorkCalendar(
        timezone=setting(config, "TIMEZONE", "Asia/Shanghai"),
        office_hours=setting(config, "OFFICE_HOURS", "08:30-12:00,14:00-18:00"),
        holidays=holidays,
        workdays=workdays,
    )


class Calendar(DependencyProvider):
    """Injects the process's ``WorkCalendar``, built once from configuration."""

    def setup(self):
        self.calendar = calendar_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.calendar
