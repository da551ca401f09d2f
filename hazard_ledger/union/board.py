"""What employees are told, and an enterprise's papers of the year.

- The public board (公示栏, 安全生产法 Art. 41: the handling of each hazard is made known
  to employees): no login, by the enterprise's report token. It names hazards, never
  people: no reporter, no responsible person, no photo, no receipt.
- The yearly report of major hazards and their handling for the workers' congress (职代会).
- The evidence pack of a campaign year: what the ledger, the trainings and drills, the
  rewards and the union's notices hold for one enterprise."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.compliance.models import Drill, Training, TrainingAttendance
from hazard_ledger.compliance.operations import check as check_compliance
from hazard_ledger.enums import Grade, HazardState, ReportChannel
from hazard_ledger.errors import NotFound
from hazard_ledger.hazards.models import Hazard, days_overdue
from hazard_ledger.hazards.operations import enterprise_by_report_token
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.rewards.models import Award, AwardStatus
from hazard_ledger.union.models import Notice

BOARD_DAYS = 90
OPEN = (HazardState.ASSIGNED, HazardState.RECTIFIED)  # confirmed and not yet closed (销号)
CONFIRMED = (HazardState.ASSIGNED, HazardState.RECTIFIED, HazardState.CLOSED)


def _public_line(hazard: Hazard, today: date) -> dict:
    """A hazard as the board shows it: what, where, what is done about it, by when. The
    responsible unit is a department; its person's name stays off the board."""
    return {"code": hazard.code, "location": hazard.location, "description": hazard.description,
            "category": hazard.category, "grade": hazard.grade.value if hazard.grade else None,
            "measure": hazard.measure, "deadline": hazard.deadline, "responsible_unit": hazard.responsible_unit,
            "state": hazard.state.value, "days_overdue": days_overdue(hazard.state, hazard.deadline, today)}


def public_board(session: Session, report_token: str, now: datetime, zone: ZoneInfo) -> dict:
    """The enterprise's board: confirmed hazards still open (the most overdue first), and
    those closed in the last 90 days (the latest first)."""
    enterprise = enterprise_by_report_token(session, report_token)
    today = now.astimezone(zone).date()
    columns = (Hazard.code, Hazard.location, Hazard.description, Hazard.category, Hazard.grade, Hazard.measure,
               Hazard.deadline, Hazard.responsible_unit, Hazard.state, Hazard.closed_at)
    open_rows = session.execute(select(*columns).where(Hazard.enterprise_id == enterprise.id, Hazard.state.in_(OPEN))
                                .order_by(Hazard.deadline.asc(), Hazard.id).limit(500)).all()
    closed_rows = session.execute(select(*columns).where(
        Hazard.enterprise_id == enterprise.id, Hazard.state == HazardState.CLOSED,
        Hazard.closed_at >= now - timedelta(days=BOARD_DAYS)).order_by(Hazard.closed_at.desc()).limit(500)).all()
    return {"enterprise": {"name": enterprise.name}, "as_of": today,
            "open": [_public_line(row, today) for row in open_rows],
            "closed_recently": [{**_public_line(row, today), "closed_at": row.closed_at} for row in closed_rows]}


def _papers_of(session: Session, viewer: User, enterprise_id: int) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not permissions.may_read_enterprise_papers(session, viewer, enterprise):
        raise NotFound("企业不存在 / no such enterprise")
    return enterprise


def _year_bounds(year: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return (datetime.combine(date(year, 1, 1), time.min, tzinfo=zone).astimezone(timezone.utc),
            datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=zone).astimezone(timezone.utc))


def _majors(session: Session, enterprise_id: int, year: int, zone: ZoneInfo) -> list[Hazard]:
    """The major hazards of the year: found in it, or found before and still open in it."""
    start, end = _year_bounds(year, zone)
    still_open = or_(Hazard.state.in_(OPEN), Hazard.closed_at >= start)
    return list(session.scalars(select(Hazard).where(
        Hazard.enterprise_id == enterprise_id, Hazard.grade == Grade.MAJOR, Hazard.reported_at < end,
        or_(Hazard.reported_at >= start, still_open)).order_by(Hazard.reported_at, Hazard.id)))


def major_hazards_report(session: Session, viewer: User, enterprise_id: int, year: int, today: date,
                         zone: ZoneInfo) -> dict:
    """For the workers' congress (安全生产法 Art. 41): each major hazard of the year with its
    五落实 (责任、措施、资金、时限、预案) and how it was handled."""
    enterprise = _papers_of(session, viewer, enterprise_id)
    majors = _majors(session, enterprise.id, year, zone)
    states = Counter(h.state for h in majors)
    return {"enterprise": enterprise, "year": year, "as_of": today, "majors": majors,
            "closed": states[HazardState.CLOSED], "open": states[HazardState.ASSIGNED] + states[HazardState.RECTIFIED],
            "overdue": sum(1 for h in majors if h.is_overdue(today)),
            "funds": sum((h.funds or 0 for h in majors), 0)}


def evidence_pack(session: Session, viewer: User, enterprise_id: int, year: int, today: date, zone: ZoneInfo,
                  compliance_settings) -> dict:
    """Everything a campaign's assessors ask of one enterprise for a year."""
    enterprise = _papers_of(session, viewer, enterprise_id)
    start, end = _year_bounds(year, zone)
    reported = (Hazard.enterprise_id == enterprise.id, Hazard.reported_at >= start, Hazard.reported_at < end)
    by_state = dict(session.execute(select(Hazard.state, func.count(Hazard.id)).where(
        *reported, Hazard.channel != ReportChannel.IMPORT).group_by(Hazard.state)).all())
    fell_due = session.execute(select(Hazard.deadline, Hazard.completed_on).where(
        Hazard.enterprise_id == enterprise.id, Hazard.state.in_(CONFIRMED),
        Hazard.deadline >= date(year, 1, 1), Hazard.deadline <= min(date(year, 12, 31), today))).all()
    due = [(deadline, done) for deadline, done in fell_due if deadline < today or (done and done <= deadline)]
    overdue_now = list(session.scalars(select(Hazard).where(
        Hazard.enterprise_id == enterprise.id, Hazard.is_overdue(today)).order_by(Hazard.deadline)))
    paid = session.execute(select(func.count(Award.id), func.coalesce(func.sum(Award.amount), 0)).where(
        Award.enterprise_id == enterprise.id, Award.status == AwardStatus.PAID, Award.paid_on >= date(year, 1, 1),
        Award.paid_on <= date(year, 12, 31))).one()
    attendance = dict(session.execute(select(TrainingAttendance.training_id, func.count()).join(Training).where(
        Training.enterprise_id == enterprise.id).group_by(TrainingAttendance.training_id)).all())
    trainings = [{"held_on": t.held_on, "topic": t.topic, "hours": t.hours, "attendees": attendance.get(t.id, 0)}
                 for t in session.scalars(select(Training).where(
                     Training.enterprise_id == enterprise.id, Training.held_on >= date(year, 1, 1),
                     Training.held_on <= date(year, 12, 31)).order_by(Training.held_on))]
    drills = list(session.scalars(select(Drill).where(
        Drill.enterprise_id == enterprise.id, Drill.held_on >= date(year, 1, 1), Drill.held_on <= date(year, 12, 31))
        .order_by(Drill.held_on)))
    compliance = {profile: next(iter(check_compliance(session, None, year, profile, compliance_settings,
                                                      enterprise.id)["enterprises"]))
                  for profile in ("union", "statutory")}
    notices = list(session.scalars(select(Notice).where(Notice.enterprise_id == enterprise.id, Notice.year == year)
                                   .order_by(Notice.issued_on, Notice.id)))
    confirmed = sum(by_state.get(state, 0) for state in CONFIRMED)
    return {
        "enterprise": enterprise, "year": year, "as_of": today,
        "reports": sum(by_state.values()), "confirmed": confirmed, "rejected": by_state.get(HazardState.REJECTED, 0),
        "waiting": by_state.get(HazardState.REPORTED, 0),
        "due": len(due), "on_time": sum(1 for deadline, done in due if done and done <= deadline),
        "overdue_now": overdue_now, "majors": _majors(session, enterprise.id, year, zone),
        "rewards_paid": paid[0], "rewards_amount": paid[1], "trainings": trainings, "drills": drills,
        "compliance": compliance, "notices": notices,
    }

