from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazard_ledger.db import Base
from hazard_ledger.enums import enum_column
from hazard_ledger.hazards.models import Hazard


class AwardStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    LAPSED = "lapsed"  # an anonymous reporter's, not claimed in time


class Award(Base):
    """A reward for one real hazard, to its first valid reporter.

    proposed -> approved -> paid, or rejected; an anonymous reporter's award lapses when
    it is not claimed with the receipt in time. Claim details are for inspectors and
    admins only."""

    __tablename__ = "awards"
    __table_args__ = (Index("ix_awards_top_jurisdiction_year", "top_jurisdiction_id", "year"),
                      Index("ix_awards_reporter_key_month", "reporter_key", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    top_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # who the monthly cap counts against: "user:ID", "phone:NUMBER", or none (anonymous)
    reporter_key: Mapped[str | None] = mapped_column(String(60))
    year: Mapped[int]
    month: Mapped[str] = mapped_column(String(7))  # 2026-11, local
    profile: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    explanation: Mapped[list] = mapped_column(JSON)
    status: Mapped[AwardStatus] = mapped_column(enum_column(AwardStatus, "award_status", length=10), index=True)
    anonymous: Mapped[bool]
    proposed_at: Mapped[datetime]
    claim_deadline: Mapped[date | None] = mapped_column(Date)
    claim_name: Mapped[str | None] = mapped_column(String(100))
    claim_phone: Mapped[str | None] = mapped_column(String(32))
    claim_account: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    lapsed_at: Mapped[datetime | None]

    hazard: Mapped[Hazard] = relationship()
