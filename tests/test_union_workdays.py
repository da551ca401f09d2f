"""Working days follow the State Council's holiday arrangement (chinesecalendar); a year
the calendar does not know yet is counted by weekends and says so."""

from datetime import date

import pytest

from hazard_ledger.workdays import add_working_days, is_working_day, working_days_before


def test_fifteen_working_days_after_the_national_day_eve():
    answer = add_working_days(date(2026, 9, 30), 15)
    assert answer.day == date(2026, 10, 27)
    assert answer.estimated is False


def test_the_adjusted_saturday_is_a_working_day_and_the_holiday_is_not():
    assert is_working_day(date(2026, 10, 10)) == (True, False)  # 调休: Saturday, at work
    assert is_working_day(date(2026, 10, 5)) == (False, False)  # 国庆节, a Monday
    assert add_working_days(date(2026, 10, 9), 1).day == date(2026, 10, 10)


def test_a_year_the_calendar_does_not_know_is_counted_by_weekends_and_flagged():
    answer = add_working_days(date(2026, 12, 24), 15)
    # 2026-12-25 .. 12-31 gives 5 working days; then 10 weekdays of 2027
    assert answer.day == date(2027, 1, 14)
    assert answer.estimated is True
    assert add_working_days(date(2026, 12, 1), 3).estimated is False


def test_counting_back_from_a_deadline():
    assert working_days_before(date(2026, 10, 27), 3).day == date(2026, 10, 22)
    assert working_days_before(date(2026, 10, 9), 3).day == date(2026, 9, 29)  # over the holiday


def test_counts_outside_the_range_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)
