"""Working days (工作日), the one place that counts them.

A deadline "in working days" follows the State Council's holiday arrangement (国务院办公厅
关于部分节假日安排的通知) through the `chinesecalendar` package: statutory holidays are
off, and the weekend days moved to make up for them (调休) are working days. The
arrangement is published each year in November or December, so for a year the
installed package does not know yet the count falls back to weekends alone and says so:
the answer is then `estimated`, and whatever shows it (a notice, its page) says it is
an estimate until the arrangement is published and the package updated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

# the longest a count may run: 60 working days is the most a notice asks, and a
# holiday season never stretches that past a few weeks more
MAX_WORKING_DAYS = 366


@dataclass(frozen=True)
class Workday:
    """A day found by counting working days; `estimated` when some day of the count
    fell in a year whose holiday arrangement the calendar does not know."""

    day: date
    estimated: bool


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is a working day, answered by weekends alone)."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:  # a year the installed calendar does not cover
        return day.weekday() < 5, True


def _count(start: date, working_days: int, step: int) -> Workday:
    if not 0 <= working_days <= MAX_WORKING_DAYS:
        raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}, got {working_days}")
    day, left, estimated = start, working_days, False
    while left:
        day += timedelta(days=step)
        working, guessed = is_working_day(day)
        estimated = estimated or guessed
        left -= working
    return Workday(day, estimated)


def add_working_days(start: date, working_days: int) -> Workday:
    """The day `working_days` working days after `start` (`start` itself not counted):
    15 working days after 2026-09-30 is 2026-10-27."""
    return _count(start, working_days, 1)


def working_days_before(end: date, working_days: int) -> Workday:
    """The day `working_days` working days before `end`: a reminder's day before a deadline."""
    return _count(end, working_days, -1)
