"""What waits for a user, counted: the numbers of the landing page.

One SELECT over the hazards the user may see (a safety officer's enterprise, an
inspector's subtree, a worker's own reports), each figure a conditional count, so the
page costs one round trip whatever the ledger's size. Only the rows some figure counts
are read (open ones, or reported this month, found by their indexes): the closed and
rejected years of a large ledger are never scanned. "Overdue" is the ledger's own
rule (Hazard.is_overdue, the list filter's), so each number equals the length of the
list it links to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations.models import User


# every figure but the month's new reports counts hazards in one of these states
COUNTED_STATES = (HazardState.REPORTED, HazardState.ASSIGNED, HazardState.RECTIFIED)


@dataclass(frozen=True)
class Workload:
    to_confirm: int  # 待确认
    in_rectification: int  # 整改中
    overdue: int  # 逾期
    major_overdue: int
    to_verify: int  # 待验收
    due_this_week: int  # assigned, not overdue, deadline by Sunday
    new_this_month: int
    week_ends: date
    month_starts: date


def workload(session: Session, viewer: User, today: date, zone: ZoneInfo) -> Workload:
    week_ends = today + timedelta(days=6 - today.weekday())
    month_starts = today.replace(day=1)
    month_start_utc = datetime.combine(month_starts, time.min, tzinfo=zone).astimezone(timezone.utc)
    assigned = Hazard.state == HazardState.ASSIGNED
    overdue = Hazard.is_overdue(today)

    def count(condition):
        return func.count(case((condition, 1)))

    row = session.execute(select(
        count(Hazard.state == HazardState.REPORTED),
        count(assigned),
        count(overdue),
        count(and_(overdue, Hazard.grade == Grade.MAJOR)),
        count(Hazard.state == HazardState.RECTIFIED),
        count(and_(assigned, Hazard.deadline >= today, Hazard.deadline <= week_ends)),
        count(Hazard.reported_at >= month_start_utc),
    ).where(permissions.hazard_clause(session, viewer),
            or_(Hazard.state.in_(COUNTED_STATES), Hazard.reported_at >= month_start_utc))).one()
    return Workload(*row, week_ends=week_ends, month_starts=month_starts)
