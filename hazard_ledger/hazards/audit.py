"""The union's overdue audit: enterprises ranked, the most overdue first, with their items,
and which of them are under the union's supervision (督办)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.enums import Grade, HazardState
from hazard_ledger.errors import Forbidden
from hazard_ledger.hazards.models import Hazard, HazardEvent
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User


@dataclass
class EnterpriseOverdue:
    enterprise_id: int
    code: str
    name: str
    overdue_count: int
    major_overdue_count: int
    oldest_days_overdue: int


# The aging chart's bars, by days overdue: (from, to), None for no end
AGES: tuple[tuple[int, int | None], ...] = ((1, 7), (8, 30), (31, None))


def overdue_audit(session: Session, viewer: User, today: date, limit: int = 500, *,
                  enterprise_id: int | None = None, days: tuple[int, int | None] | None = None
                  ) -> tuple[list[EnterpriseOverdue], list[Hazard]]:
    """Overdue hazards in the viewer's scope: every enterprise ranked, the most overdue
    first, and up to `limit` items (of one enterprise, `days` overdue from/to, when
    asked), the oldest first. Workers may not read it (permissions.may_read_overdue): the
    API and the page alike."""
    overdue = _overdue(session, viewer, today)
    major = func.sum(case((Hazard.grade == Grade.MAJOR, 1), else_=0))
    rows = session.execute(
        select(Enterprise.id, Enterprise.code, Enterprise.name, func.count(Hazard.id), major,
               func.max(Hazard.days_overdue(today)))
        .join(Hazard, Hazard.enterprise_id == Enterprise.id)
        .where(*overdue)
        .group_by(Enterprise.id, Enterprise.code, Enterprise.name)
    ).all()
    enterprises = [
        EnterpriseOverdue(eid, code, name, count, int(majors or 0), int(oldest))
        for eid, code, name, count, majors, oldest in rows
    ]
    # the most overdue first, as an inspector weighs it: major hazards overdue, then the
    # oldest overdue, then how many
    enterprises.sort(key=lambda e: (-e.major_overdue_count, -e.oldest_days_overdue, -e.overdue_count, e.code))
    items = list(session.scalars(
        select(Hazard).where(*overdue, *_drilled(today, enterprise_id, days))
        .order_by(Hazard.deadline.asc(), (Hazard.grade == Grade.MAJOR).desc(), Hazard.id).limit(limit)
    ))
    return enterprises, items


def overdue_ages(session: Session, viewer: User, today: date, *, enterprise_id: int | None = None,
                 days: tuple[int, int | None] | None = None) -> tuple[list[int], int]:
    """How many overdue hazards fall in each of AGES, and how many the drill-down (one
    enterprise, `days` overdue from/to) holds: counted in the database, all of them, not
    only the items a page shows."""
    overdue = _overdue(session, viewer, today)
    bars = [func.coalesce(func.sum(case((and_(*_drilled(today, None, age)), 1), else_=0)), 0) for age in AGES]
    chosen = func.count() if days is None else func.coalesce(
        func.sum(case((and_(*_drilled(today, None, days)), 1), else_=0)), 0)
    *counts, total = session.execute(select(*bars, chosen).where(*overdue, *_drilled(today, enterprise_id, None))).one()
    return [int(count) for count in counts], int(total)


def _overdue(session: Session, viewer: User, today: date) -> tuple:
    if not permissions.may_read_overdue(viewer):
        raise Forbidden("逾期督办仅限监督检查员、管理员和本企业安全管理人员 / inspectors, admins and the "
                        "enterprise's safety officers only")
    return Hazard.is_overdue(today), permissions.hazard_clause(session, viewer)


def _drilled(today: date, enterprise_id: int | None, days: tuple[int, int | None] | None) -> list:
    """The drill-down as conditions; days overdue as deadlines, which the (state,
    deadline) index reads: d days overdue is a deadline of today - d."""
    conditions = [] if enterprise_id is None else [Hazard.enterprise_id == enterprise_id]
    if days is not None:
        low, high = days
        conditions.append(Hazard.deadline <= today - timedelta(days=low))
        if high is not None:
            conditions.append(Hazard.deadline >= today - timedelta(days=high))
    return conditions


def places_of(session: Session, enterprise_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Each enterprise's name and its jurisdiction's (the district an inspector reads by)."""
    if not enterprise_ids:
        return {}
    rows = session.execute(select(Enterprise.id, Enterprise.name, Jurisdiction.name)
                           .join(Jurisdiction, Jurisdiction.id == Enterprise.jurisdiction_id)
                           .where(Enterprise.id.in_(enterprise_ids)))
    return {eid: (name, district) for eid, name, district in rows}


@dataclass(frozen=True)
class Supervision:
    """An inspector's 督办 of a hazard: what the enterprise must do, and by when."""

    note: str
    due_on: date
    at: datetime


def supervisions_of(session: Session, hazards: list[Hazard]) -> dict[int, Supervision]:
    """The latest 督办 of each of `hazards` that is still assigned (being rectified), by
    hazard id; a hazard never supervised is absent. One query for all of them: being
    under supervision is read from the history, which the chain keeps."""
    ids = [hazard.id for hazard in hazards if hazard.state is HazardState.ASSIGNED]
    if not ids:
        return {}
    rows = session.execute(select(HazardEvent.hazard_id, HazardEvent.data, HazardEvent.at)
                           .where(HazardEvent.event == "supervise", HazardEvent.hazard_id.in_(ids))
                           .order_by(HazardEvent.hazard_id, HazardEvent.seq))
    # in each hazard's order, so the latest entry is the one kept
    return {hazard_id: Supervision(data["note"], date.fromisoformat(data["due_on"]), at) for hazard_id, data, at in rows}
