from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column

from hazard_ledger.db import Base
from hazard_ledger.enums import enum_column
from hazard_ledger.notifications.kinds import DeliveryStatus, Kind, WebhookKind
from hazard_ledger.sqltext import words


class Notification(Base):
    """One message to one user. `dedup_key` is unique, so a job run twice for the same
    instant, or a retried request, writes nothing twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_id", "recipient_user_id", "id"),
        # the header's unread badge counts these on every page: only the unread are indexed
        Index("ix_notifications_unread", "recipient_user_id",
              postgresql_where=text("read_at IS NULL"), sqlite_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "notification_kind", length=20))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class Webhook(Base):
    """A group-chat robot or an integration endpoint of an enterprise or a jurisdiction.
    `kinds` lists the notification kinds it wants (comma separated)."""

    __tablename__ = "webhooks"
    __table_args__ = (
        CheckConstraint("(enterprise_id IS NULL) <> (jurisdiction_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[WebhookKind] = mapped_column(enum_column(WebhookKind, "webhook_kind", length=10))
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str | None] = mapped_column(String(200))
    kinds: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    @hybrid_method
    def hears(self, kind: str) -> bool:
        return kind in self.kinds.split(",")

    @hears.expression
    def hears(cls, kind: str):  # the same in SQL, for a statement that joins the webhooks
        return words(",", cls.kinds, ",").contains(f",{kind},", autoescape=True)


class Delivery(Base):
    """One message to send through one external channel: the outbox.

    Written in the transaction of the event that caused it; `deliver` claims due rows
    (status `sending`, a claim token and a lease), sends them outside any transaction,
    then marks them. A process that dies mid-batch leaves its claims to expire and be
    taken again; the delivery id travels as the idempotency key, so a receiver can
    drop the rare repeat of a message sent just before its sender died."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(250), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    recipient: Mapped[str | None] = mapped_column(String(254))  # the e-mail address
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus, "delivery_status", length=10),
                                                   default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
