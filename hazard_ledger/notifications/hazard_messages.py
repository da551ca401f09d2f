"""The messages an event of a hazard's workflow sends (declared in hazard_ledger/effects.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from hazard_ledger import permissions
from hazard_ledger.clock import local_today
from hazard_ledger.notifications.delivery import announce
from hazard_ledger.notifications.kinds import Kind
from hazard_ledger.notifications.operations import Message, notify, notify_many
from hazard_ledger.organisations.models import Enterprise, User

if TYPE_CHECKING:
    from hazard_ledger.effects import Fired


def announce_assignment(fired: Fired) -> None:
    """`assign`: the responsible user's inbox (and e-mail), and the enterprise's group webhooks."""
    session, hazard, now = fired.session, fired.hazard, fired.now
    enterprise = session.get(Enterprise, hazard.enterprise_id)
    message = (f"【隐患整改】{enterprise.name} {hazard.code}（{hazard.location}）已确认，请按方案整改："
               f"措施：{hazard.measure}；责任人：{hazard.responsible_person}；时限：{hazard.deadline.isoformat()}。")
    data = {"kind": Kind.ASSIGNED.value,
            "hazard": {"id": hazard.id, "code": hazard.code, "enterprise": enterprise.name,
                       "location": hazard.location, "deadline": hazard.deadline.isoformat(),
                       "days_overdue": 0, "grade": hazard.grade.value}}
    key = f"{hazard.id}:{hazard.history_length}"
    if hazard.responsible_user_id and hazard.responsible_user_id != fired.actor.id:
        notify(session, kind=Kind.ASSIGNED, recipient_id=hazard.responsible_user_id, hazard_id=hazard.id, now=now,
               dedup_key=f"assigned:{key}", message=message, data=data)
    announce(session, kind=Kind.ASSIGNED, enterprise_id=hazard.enterprise_id, audience="enterprise", key=key,
             message=message, data=data, now=now)


def announce_supervision(fired: Fired) -> None:
    """`supervise` (督办): the enterprise's active safety officers and the responsible user
    (inbox and e-mail), and the enterprise's group webhooks that hear it. Keyed by the
    history entry, so each 督办 is announced exactly once."""
    session, hazard, now = fired.session, fired.hazard, fired.now
    enterprise = session.get(Enterprise, hazard.enterprise_id)
    note, due_on = fired.fields["note"], fired.fields["due_on"].isoformat()
    days = hazard.days_overdue(local_today(now, fired.zone))
    message = (f"【隐患督办】{enterprise.name} {hazard.code}（{hazard.location}）已逾期 {days} 天（时限 "
               f"{hazard.deadline.isoformat()}），{fired.actor.display_name} 督办：{note}。请于 {due_on} 前整改完毕并回复。")
    data = {"kind": Kind.SUPERVISED.value,
            "hazard": {"id": hazard.id, "code": hazard.code, "enterprise": enterprise.name,
                       "location": hazard.location, "deadline": hazard.deadline.isoformat(),
                       "days_overdue": days, "grade": hazard.grade.value},
            "supervision": {"note": note, "due_on": due_on}}
    key = f"{hazard.id}:{hazard.history_length}"
    officers = session.scalars(select(User.id).where(User.enterprise_id == hazard.enterprise_id,
                                                     permissions.active_officers()))
    recipients = dict.fromkeys([*officers, hazard.responsible_user_id])  # in order, once each
    notify_many(session, [Message(Kind.SUPERVISED, user_id, message, f"supervised:{key}:{user_id}", hazard.id, data)
                          for user_id in recipients if user_id is not None and user_id != fired.actor.id], now)
    announce(session, kind=Kind.SUPERVISED, enterprise_id=hazard.enterprise_id, audience="enterprise", key=key,
             message=message, data=data, now=now)
