"""Writing to and reading from the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hazard_ledger.db import insert_new
from hazard_ledger.errors import NotFound
from hazard_ledger.notifications.delivery import queue_emails
from hazard_ledger.notifications.kinds import KINDS
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations.models import User


def notify(session: Session, *, kind: str, recipient_id: int, message: str, dedup_key: str,
           now: datetime, hazard_id: int | None = None, data: Mapping[str, Any] | None = None) -> bool:
    """Queue one message to one user in the caller's transaction: the inbox row, and
    its e-mail copy when the user has an address. False when `dedup_key` was sent
    before (so repeating a job or a request sends nothing twice)."""
    return bool(notify_many(session, [Message(kind, recipient_id, message, dedup_key, hazard_id, data or {})], now))


@dataclass(frozen=True)
class Message:
    kind: str
    recipient_id: int
    text: str
    dedup_key: str
    hazard_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def notification_row(kind: str, recipient_id, hazard_id, message, dedup_key, now) -> dict:
    """An inbox row, from Python values or SQL expressions (see delivery.email_row)."""
    return {"kind": kind, "recipient_user_id": recipient_id, "hazard_id": hazard_id, "message": message,
            "dedup_key": dedup_key, "created_at": now, "read_at": None}


def notify_many(session: Session, messages: list[Message], now: datetime) -> list[Message]:
    """`notify` for many messages in a few statements; returns those that were new."""
    if not messages:
        return []
    for message in messages:
        assert message.kind in KINDS, message.kind
    by_key = {m.dedup_key: m for m in messages}
    table = Notification.__table__
    rows = [notification_row(m.kind, m.recipient_id, m.hazard_id, m.text, key, now) for key, m in by_key.items()]
    created = {key: nid for nid, key in insert_new(session, table, rows, [table.c.id, table.c.dedup_key])}
    keys = list(by_key)
    new = [by_key[key] for key in keys if key in created]
    recipients = {m.recipient_id for m in new}
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(recipients),
                                                                 User.email.is_not(None))).all())
    queue_emails(session, [(created[m.dedup_key], emails[m.recipient_id], m.kind, m.text, m.data)
                           for m in new if emails.get(m.recipient_id)], now)
    return new


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


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread: the badge in every page's header."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.recipient_user_id == user.id, Notification.read_at.is_(None)))


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """Mark every unread notification of the user read (全部已读); answers how many."""
    return session.execute(update(Notification)
                           .where(Notification.recipient_user_id == user.id, Notification.read_at.is_(None))
                           .values(read_at=now).execution_options(synchronize_session=False)).rowcount
