"""催办: a reminder pressed by hand on the ledger for the selected overdue hazards. The
responsible user (when they have an account) and the enterprise's safety officers hear
it in their inbox and by e-mail, through the outbox, at most once a day per hazard: the
scheduled `overdue` reminder already says the same every morning, so a second press on
the same day would only be noise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.errors import Forbidden
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.kinds import Kind
from hazard_ledger.notifications.operations import Message, notify_many
from hazard_ledger.organisations.models import Enterprise, User


@dataclass(frozen=True)
class Nudged:
    """How many of the selected hazards were nudged now, and how many were not: not
    overdue, not in the actor's scope (or no such hazard), or nudged already today."""

    nudged: int
    skipped: int


def nudge(session: Session, actor: User, hazard_ids: Iterable[int], now: datetime, zone: ZoneInfo) -> Nudged:
    """Nudge the people who must rectify each selected overdue hazard the actor may see.
    A hazard out of scope is skipped like one that is not overdue, so the answer never
    tells whether another enterprise's hazard exists."""
    if not permissions.may_nudge(actor):
        raise Forbidden("无权催办 / you may not send reminders")
    chosen = list(dict.fromkeys(hazard_ids))
    today = local_today(now, zone)
    late = list(session.scalars(select(Hazard).where(
        Hazard.id.in_(chosen), permissions.hazard_clause(session, actor), Hazard.is_overdue(today))))
    officers = _officers_by_enterprise(session, {hazard.enterprise_id for hazard in late})
    names = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                 .where(Enterprise.id.in_({hazard.enterprise_id for hazard in late}))).all())
    messages = []
    for hazard in late:
        text, data = _message(hazard, names[hazard.enterprise_id], today)
        # the one who pressed 催办 knows already
        people = ({*officers.get(hazard.enterprise_id, ()), hazard.responsible_user_id} - {None, actor.id})
        messages += [Message(Kind.NUDGED, person, text, f"{Kind.NUDGED}:{hazard.id}:{today.isoformat()}:{person}",
                             hazard.id, data) for person in sorted(people)]
    reached = {message.hazard_id for message in notify_many(session, messages, now)}
    return Nudged(nudged=len(reached), skipped=len(chosen) - len(reached))


def _officers_by_enterprise(session: Session, enterprise_ids: set[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for user_id, enterprise_id in session.execute(select(User.id, User.enterprise_id).where(
            User.enterprise_id.in_(enterprise_ids), permissions.active_officers())):
        found.setdefault(enterprise_id, []).append(user_id)
    return found


def _message(hazard: Hazard, enterprise: str, today: date) -> tuple[str, dict]:
    """What the nudge says: the hazard's code, place, deadline and days overdue; never
    its reporter."""
    late = hazard.days_overdue(today)
    text = (f"【整改催办】{enterprise} {hazard.code}（{hazard.location}）整改时限 {hazard.deadline.isoformat()}，"
            f"已逾期 {late} 天，请尽快完成整改并记录。")
    data = {"kind": Kind.NUDGED.value,
            "hazard": {"id": hazard.id, "code": hazard.code, "enterprise": enterprise, "location": hazard.location,
                       "deadline": hazard.deadline.isoformat(), "days_overdue": late,
                       "grade": hazard.grade.value if hazard.grade else None}}
    return text, data
