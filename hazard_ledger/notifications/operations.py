"""Writing to and reading from the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hazard_ledger.errors import NotFound
from hazard_ledger.notifications.delivery import queue_email
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations.models import User

KINDS = ("assigned", "due_soon", "overdue", "escalation", "stale_progress", "untriaged",
         "training_due", "drill_due", "reward", "statistics_due")


def notify(session: Session, *, kind: str, recipient_id: int, message: str, dedup_key: str,
           now: datetime, hazard_id: int | None = None, data: Mapping[str, Any] | None = None) -> bool:
    """Queue one message to one user in the caller's transaction: the inbox row, and
    its e-mail copy when the user has an address. False when `dedup_key` was sent
    before (so repeating a job or a request sends nothing twice)."""
    assert kind in KINDS, kind
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Notification)
        .values(kind=kind, recipient_user_id=recipient_id, hazard_id=hazard_id, message=message,
                dedup_key=dedup_key, created_at=now)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.id)  # rowcount is -1 here on PostgreSQL; a returned id is not
    )
    notification_id = session.execute(statement).scalar_one_or_none()
    if notification_id is None:
        return False
    recipient = session.get(User, recipient_id)
    queue_email(session, notification_id=notification_id, recipient=recipient, kind=kind, message=message,
                data=data or {}, now=now)
    return True


def inbox(session: Session, user: User, limit: int = 100, unread_only: bool = False) -> list[Notification]:
    query = select(Notification).where(Notification.recipient_user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user: User, notification_id: int, now: datetime) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_user_id != user.id:
        raise NotFound("通知不存在 / no such notification")
    if notification.read_at is None:
        notification.read_at = now
    return notification
