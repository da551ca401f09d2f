from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hazard_ledger.db import Base


class StatisticsReport(Base):
    """A period's statistics as they stood when the period ended (the `statistics` job)."""

    __tablename__ = "statistics_reports"
    __table_args__ = (UniqueConstraint("enterprise_id", "period", name="uq_statistics_reports_enterprise_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime]
