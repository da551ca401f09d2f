from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hazard_ledger.db import Base


class Notification(Base):
    """One message to one user. `dedup_key` is unique, so a job run twice for the same
    instant, or a retried request, writes nothing twice."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_id", "recipient_user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
