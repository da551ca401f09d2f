"""One "overdue" (issue 16, item 5): the list filter, the overdue audit, the statistics
and the reminders sweep read the same rule (Hazard.is_overdue / days_overdue, on the
service's local day), and agree on its edges: a deadline of today is not yet overdue,
yesterday's is one day overdue, a hazard rectified or closed late is no longer overdue,
a major one is counted like any other."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from hazard_ledger.clock import local_today
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard, days_overdue, overdue_as_of
from hazard_ledger.notifications.models import Notification
from hazard_ledger.notifications.reminders import sweep_reminders
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.paperwork.statistics import Period, compute_statistics
from tests.helpers import SHANGHAI, make_hazard


def _seed(database, world, today: date) -> dict[str, tuple[int, int]]:
    """name -> (hazard id, the days overdue it must have today)."""
    cases = {
        # name: (state, grade, deadline offset from today, completed_on offset, days overdue)
        "due today": ("assigned", "general", 0, None, 0),
        "due tomorrow": ("assigned", "general", 1, None, 0),
        "due yesterday": ("assigned", "general", -1, None, 1),
        "major, a week late": ("assigned", "major", -7, None, 7),
        "rectified late": ("rectified", "general", -4, -1, 0),
        "closed late": ("closed", "general", -10, -3, 0),
        "not yet confirmed": ("reported", "general", None, None, 0),
    }
    seeded = {}
    for name, (state, grade, deadline, completed, expected) in cases.items():
        hazard_id = make_hazard(database, world, state=state, grade=grade, location=name)
        with database.unit_of_work() as session:
            hazard = session.get(Hazard, hazard_id)
            if deadline is not None:
                hazard.deadline = today + timedelta(days=deadline)
            if completed is not None:
                hazard.completed_on = today + timedelta(days=completed)
        seeded[name] = (hazard_id, expected)
    return seeded


def test_the_filter_the_audit_the_statistics_and_the_reminders_agree(database, world, settings, now):
    today = local_today(now, settings.timezone)
    seeded = _seed(database, world, today)
    expected = {hazard_id: days for hazard_id, days in seeded.values() if days}
    assert len(expected) == 2

    with database.unit_of_work(write=False) as session:
        admin = session.get(User, world.user["admin"])
        # the rule itself: Python and SQL
        for hazard in session.scalars(select(Hazard)):
            assert hazard.days_overdue(today) == expected.get(hazard.id, 0), hazard.location
            assert hazard.is_overdue(today) is (hazard.id in expected)
            assert days_overdue(hazard.state, hazard.deadline, today) == expected.get(hazard.id, 0)
            assert overdue_as_of(hazard.deadline, hazard.completed_on, today) is (hazard.id in expected)
        in_sql = dict(session.execute(select(Hazard.id, Hazard.days_overdue(today))).all())
        assert in_sql == {hazard_id: expected.get(hazard_id, 0) for hazard_id, _ in seeded.values()}

        # the list filter, both ways
        listed = set(session.scalars(ops.filtered_query(session, admin, ops.HazardFilters(overdue=True), today,
                                                        SHANGHAI).with_only_columns(Hazard.id)))
        not_listed = set(session.scalars(ops.filtered_query(session, admin, ops.HazardFilters(overdue=False), today,
                                                            SHANGHAI).with_only_columns(Hazard.id)))
        assert listed == set(expected)
        assert not_listed == {hazard_id for hazard_id, _ in seeded.values()} - set(expected)

        # the audit
        enterprises, items = ops.overdue_audit(session, admin, today)
        assert {h.id: h.days_overdue(today) for h in items} == expected
        (a1,) = enterprises
        assert (a1.overdue_count, a1.major_overdue_count, a1.oldest_days_overdue) == (2, 1, 7)

        # the statistics of the running quarter, judged as of today
        enterprise = session.get(Enterprise, world.enterprise["A1"])
        stats = compute_statistics(session, enterprise, Period(today.year, (today.month - 1) // 3 + 1),
                                   settings.timezone, today)
        assert stats.overdue == len(expected)

    # the reminders sweep: an `overdue` reminder for exactly these, naming the days
    with database.unit_of_work() as session:
        sweep_reminders(session, now, settings)
    with database.unit_of_work(write=False) as session:
        reminded = session.execute(select(Notification.hazard_id, Notification.message)
                                   .where(Notification.kind == "overdue")).all()
        assert {hazard_id for hazard_id, _ in reminded} == set(expected)
        for hazard_id, message in reminded:
            assert f"已逾期 {expected[hazard_id]} 天" in message
        escalated = set(session.scalars(select(Notification.hazard_id).where(Notification.kind == "escalation")))
        assert escalated <= set(expected)


def test_statistics_of_an_ended_period_rebuild_overdue_from_the_dates():
    last_day = date(2026, 9, 30)
    assert overdue_as_of(date(2026, 9, 29), None, last_day)  # past its deadline, not rectified
    assert not overdue_as_of(date(2026, 9, 30), None, last_day)  # its deadline is the last day: still in time
    assert overdue_as_of(date(2026, 9, 1), date(2026, 10, 5), last_day)  # rectified only after the period
    assert not overdue_as_of(date(2026, 9, 1), date(2026, 9, 20), last_day)  # rectified late, within it
    assert not overdue_as_of(None, None, last_day)  # never confirmed
