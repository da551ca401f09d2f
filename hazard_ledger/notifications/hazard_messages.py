"""The messages an event of a hazard's workflow sends (declared in hazard_ledger/effects.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hazard_ledger.notifications.delivery import announce
from hazard_ledger.notifications.kinds import Kind
from hazard_ledger.notifications.operations import notify
from hazard_ledger.organisations.models import Enterprise

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
