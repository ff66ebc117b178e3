"""Deadlines across a weekend, a public holiday and an adjusted working Saturday (2026's official calendar)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.config import ConfigError
from shared.workcalendar import ROUND_THE_CLOCK, WorkCalendar, parse_office_hours

BEIJING = ZoneInfo("Asia/Shanghai")
HOUR = 3600
CAL = WorkCalendar()  # 08:30-12:00, 14:00-18:00: 7.5 working hours a day


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def test_a_day_has_seven_and_a_half_office_hours():
    assert CAL.between(at("2026-11-23 00:00"), at("2026-11-24 00:00")) == 7.5 * HOUR


def test_lunch_is_not_working_time():
    assert CAL.add(at("2026-11-23 11:00"), 2 * HOUR) == at("2026-11-23 15:00")


def test_a_deadline_jumps_the_weekend():
    # Friday 2026-11-20 17:00 + 2 working hours = Monday 2026-11-23 09:30
    assert CAL.add(at("2026-11-20 17:00"), 2 * HOUR) == at("2026-11-23 09:30")


def test_a_deadline_jumps_the_national_day_holiday():
    # 2026-09-30 (Wednesday) 17:00 + 2 working hours: 1–7 October are holidays
    deadline = CAL.add(at("2026-09-30 17:00"), 2 * HOUR)
    assert deadline.date() > date(2026, 10, 7)
    assert not CAL.is_workday(date(2026, 10, 1))


def test_an_adjusted_working_saturday_counts():
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5 and CAL.is_workday(saturday)
    # Friday 9 October 17:00 + 2 working hours ends on the working Saturday, not on Monday
    assert CAL.add(at("2026-10-09 17:00"), 2 * HOUR) == at("2026-10-10 09:30")


def test_starting_outside_office_hours_starts_at_the_next_opening():
    assert CAL.add(at("2026-11-23 06:00"), HOUR) == at("2026-11-23 09:30")
    assert CAL.add(at("2026-11-23 20:00"), HOUR) == at("2026-11-24 09:30")


def test_the_24x7_clock_ignores_the_calendar():
    assert CAL.add(at("2026-10-01 23:00"), 2 * HOUR, ROUND_THE_CLOCK) == at("2026-10-02 01:00")


def test_between_and_add_agree():
    start = at("2026-09-28 10:15")
    for seconds in (60, HOUR, 7.5 * HOUR, 40 * HOUR):
        end = CAL.add(start, seconds)
        assert CAL.between(start, end) == pytest.approx(seconds)
        assert CAL.between(end, start) == pytest.approx(-seconds)


def test_a_year_without_official_data_falls_back_to_weekdays_and_can_be_corrected():
    assert CAL.is_workday(date(2027, 3, 1)) and not CAL.is_workday(date(2027, 3, 6))
    corrected = WorkCalendar(holidays=[date(2027, 1, 1)], workdays=[date(2027, 3, 6)])
    assert not corrected.is_workday(date(2027, 1, 1)) and corrected.is_workday(date(2027, 3, 6))


@pytest.mark.parametrize("text", ["8-12", "14:00-12:00", "08:00-12:00,11:00-13:00", ""])
def test_bad_office_hours_fail_at_start_up(text):
    with pytest.raises(ConfigError):
        parse_office_hours(text)


def test_deadlines_keep_the_callers_time_zone():
    start = at("2026-11-23 09:00").astimezone(ZoneInfo("UTC"))
    assert CAL.add(start, HOUR).tzinfo == ZoneInfo("UTC")
    assert CAL.add(start, HOUR) - start == timedelta(hours=1)


def test_counting_back_from_a_deadline_skips_the_same_days():
    deadline = at("2026-10-10 09:30")  # the adjusted working Saturday
    assert CAL.add(deadline, -2 * HOUR) == at("2026-10-09 17:00")
    assert CAL.add(at("2026-11-23 09:30"), -2 * HOUR) == at("2026-11-20 17:00")
