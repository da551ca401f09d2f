from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hazard_ledger.db import Base

JOB_CATEGORIES = ("principal", "safety_manager", "high_risk_frontline", "other")
DRILL_KINDS = ("comprehensive", "special", "onsite")


class Employee(Base):
    """One line of an enterprise's roster, upserted by its number (工号)."""

    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("enterprise_id", "number", name="uq_employees_enterprise_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(100))
    job_category: Mapped[str] = mapped_column(String(20), default="other")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    created_at: Mapped[datetime]


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"

    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class Drill(Base):
    __tablename__ = "drills"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    scenario: Mapped[str] = mapped_column(Text)
    participants: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class TrainingClass(Base):
    """A union's mass safety-training class, held with the economic and emergency departments."""

    __tablename__ = "training_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200))
    partners: Mapped[str | None] = mapped_column(Text)
    attendees: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ComplianceReport(Base):
    """A jurisdiction's year-end compliance, stored on 1 January for its inspectors."""

    __tablename__ = "compliance_reports"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "year", "profile", name="uq_compliance_reports_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(12))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime]
