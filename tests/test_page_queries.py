"""The queries the page benchmark (bench/pages.py) made cheaper give the answers they
gave before: the landing page's figures read only the rows they count, its compliance
gaps only the enterprises' half of the check and only the year's activities, and the
statistics only four columns."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hazard_ledger import permissions
from hazard_ledger.compliance.operations import check, compliance_gaps
from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.hazards.workload import workload
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.paperwork.statistics import Period, compute_statistics
from tests import factories
from tests.factories import SHANGHAI, make_hazard
from tests.test_compliance import ROSTER


def _hazards_of_every_kind(database, world, clock) -> None:
    long_ago, last_month, this_month = (clock() - timedelta(days=days) for days in (90, 40, 3))
    for now in (long_ago, last_month, this_month):
        for state in ("reported", "assigned", "rectified", "closed", "rejected"):
            make_hazard(database, world, state=state, now=now)
        make_hazard(database, world, state="assigned", grade="major", now=now)
        make_hazard(database, world, state="closed", grade="major", now=now)
    make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None,
                now=last_month)


def test_the_landing_figures_equal_a_count_over_every_hazard(world, database, clock):
    """Closed and rejected hazards reported this month still count as new; those of
    earlier months count nowhere; every figure is what a count over all rows gives."""
    _hazards_of_every_kind(database, world, clock)
    today = clock.today()
    week_ends = today + timedelta(days=6 - today.weekday())
    with database.unit_of_work(write=False) as session:
        for username in ("officer_a1", "inspector_city", "admin", "worker_a1"):
            viewer = session.get(User, world.user[username])
            rows = list(session.scalars(select(Hazard).where(permissions.hazard_clause(session, viewer))))
            month_starts = today.replace(day=1)
            expected = (
                sum(h.state is HazardState.REPORTED for h in rows),
                sum(h.state is HazardState.ASSIGNED for h in rows),
                sum(h.is_overdue(today) for h in rows),
                sum(h.is_overdue(today) and h.grade is Grade.MAJOR for h in rows),
                sum(h.state is HazardState.RECTIFIED for h in rows),
                sum(h.state is HazardState.ASSIGNED and today <= h.deadline <= week_ends for h in rows),
                sum(h.reported_at.astimezone(SHANGHAI).date() >= month_starts for h in rows),
            )
            figures = workload(session, viewer, today, SHANGHAI)
            assert (figures.to_confirm, figures.in_rectification, figures.overdue, figures.major_overdue,
                    figures.to_verify, figures.due_this_week, figures.new_this_month) == expected, username
            assert figures.new_this_month >= 1 and figures.to_confirm >= 1


def test_the_compliance_gaps_are_the_checks_non_compliant_enterprises_of_that_year_only(world, database, settings):
    """A training and a drill of last year make nobody compliant this year, in the count
    as in the check; in their own year they do."""
    for enterprise in ("A1", "A2"):
        factories.roster(world, enterprise, ROSTER)
    a1 = world.enterprise["A1"]
    assert world.post("officer_a1", "/api/v1/trainings", json={
        "enterprise_id": a1, "held_on": "2025-03-01", "topic": "安全生产法规", "hours": "8",
        "attendees": ["001", "002"]}).status_code == 201
    assert world.post("officer_a1", "/api/v1/drills", json={
        "enterprise_id": a1, "held_on": "2025-05-12", "kind": "special", "scenario": "储罐泄漏",
        "participants": 40}).status_code == 201
    config = settings["compliance"]
    with database.unit_of_work(write=False) as session:
        for username in ("officer_a1", "inspector_city", "admin"):
            viewer = session.get(User, world.user[username])
            for year in (2025, 2026):
                answer = check(session, viewer, year, config["profile"], config)
                gaps = sum(1 for e in answer["enterprises"] if not (e["training"]["compliant"] and e["drills"]["compliant"]))
                assert compliance_gaps(session, viewer, year, config) == gaps, (username, year)
            a1_row = {year: next(e for e in check(session, viewer, year, config["profile"], config)["enterprises"]
                                 if e["enterprise_id"] == a1) for year in (2025, 2026)}
            assert a1_row[2025]["training"]["compliant"] and a1_row[2025]["drills"]["held"] == 1
            assert not a1_row[2026]["training"]["compliant"] and a1_row[2026]["drills"]["held"] == 0
        assert compliance_gaps(session, session.get(User, world.user["worker_a1"]), 2026, config) is None


def test_the_statistics_count_what_the_hazards_say(world, database, clock):
    """The figures from four columns equal those the hazards themselves give, for the
    quarter under way (today's overdue rule) and for an ended one (its last day's)."""
    _hazards_of_every_kind(database, world, clock)
    today = clock.today()
    with database.unit_of_work(write=False) as session:
        enterprise = session.get(Enterprise, world.enterprise["A1"])
        hazards = [h for h in session.scalars(select(Hazard).where(Hazard.enterprise_id == enterprise.id))
                   if h.state is not HazardState.REJECTED]
        for period in (Period(today.year, (today.month - 1) // 3 + 1), Period(today.year, None),
                       Period.parse("2026Q1")):
            stats = compute_statistics(session, enterprise, period, SHANGHAI, today)
            as_of = min(today, period.last_day)
            found = [h for h in hazards
                     if period.first_day <= h.reported_at.astimezone(SHANGHAI).date() <= as_of]
            assert stats.found == len(found), period
            assert stats.major == sum(h.grade is Grade.MAJOR for h in found)
            assert stats.general == stats.found - stats.major
            assert stats.rectified == sum(h.completed_on is not None and h.completed_on <= as_of for h in found)
            if as_of == today:
                assert stats.overdue == sum(h.is_overdue(today) for h in found)
