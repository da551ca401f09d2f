from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazard_ledger.db import Base
from hazard_ledger.enums import enum_column
from hazard_ledger.organisations.models import Enterprise, User


class RiskPointKind(str, enum.Enum):
    PLACE = "place"          # 场所
    EQUIPMENT = "equipment"  # 设备设施
    ACTIVITY = "activity"    # 作业活动


class RiskMethod(str, enum.Enum):
    LEC = "lec"
    MATRIX = "matrix"


class RiskLevel(str, enum.Enum):
    MAJOR = "major"      # 重大风险 / red
    HIGH = "high"        # 较大风险 / orange
    GENERAL = "general"  # 一般风险 / yellow
    LOW = "low"          # 低风险 / blue


class Frequency(str, enum.Enum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class InspectionState(str, enum.Enum):
    DUE = "due"
    DONE = "done"
    MISSED = "missed"


COLOURS = {RiskLevel.MAJOR: "red", RiskLevel.HIGH: "orange", RiskLevel.GENERAL: "yellow", RiskLevel.LOW: "blue"}


class RiskPoint(Base):
    """One line of the enterprise's register (风险分级管控清单): a place, a piece of
    equipment or an activity, its dangers and controls, its assessment and the grade
    that assessment gave under the rules in force when it was made."""

    __tablename__ = "risk_points"
    __table_args__ = (
        # the register's natural key: re-importing a register updates its lines
        UniqueConstraint("enterprise_id", "name", "location", name="uq_risk_points_enterprise_name_location"),
        Index("ix_risk_points_enterprise_level", "enterprise_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RiskPointKind] = mapped_column(enum_column(RiskPointKind, "risk_point_kind"))
    # the area (区域) it belongs to: the four-colour picture groups by it
    location: Mapped[str] = mapped_column(String(200))
    dangers: Mapped[list] = mapped_column(JSON)    # 危险因素
    controls: Mapped[list] = mapped_column(JSON)   # 管控措施
    checks: Mapped[list] = mapped_column(JSON)     # 排查清单: what an inspection checks, by index
    method: Mapped[RiskMethod] = mapped_column(enum_column(RiskMethod, "risk_method"))
    l: Mapped[Decimal] = mapped_column(Numeric(6, 2))  # noqa: E741 (the standard's letter)
    e: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    c: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    s: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    tier: Mapped[str] = mapped_column(String(10))  # 管控层级: company | workshop | team | post
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    enterprise: Mapped[Enterprise] = relationship()

    @property
    def colour(self) -> str:
        return COLOURS[self.level]


class InspectionPlan(Base):
    """Who checks which risk points how often (排查计划)."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, "inspection_frequency"))
    assignee_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    assignee: Mapped[User] = relationship(foreign_keys=[assignee_user_id])
    points: Mapped[list[RiskPoint]] = relationship(secondary="inspection_plan_points", order_by=RiskPoint.id,
                                                   viewonly=True)


class InspectionPlanPoint(Base):
    __tablename__ = "inspection_plan_points"

    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"), primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(ForeignKey("risk_points.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)


class Inspection(Base):
    """One check of one risk point for one period of its plan. The `inspections` job
    writes it once: (plan, risk point, period start) is unique."""

    __tablename__ = "inspections"
    __table_args__ = (
        UniqueConstraint("plan_id", "risk_point_id", "period_start", name="uq_inspections_plan_point_period"),
        # the job's sweep for periods that ended undone: only the rows still due
        Index("ix_inspections_due_period_end", "period_end",
              postgresql_where=text("state = 'due'"), sqlite_where=text("state = 'due'")),
        Index("ix_inspections_enterprise_state", "enterprise_id", "state"),
        Index("ix_inspections_assignee_state", "assignee_user_id", "state"),
        Index("ix_inspections_risk_point_state", "risk_point_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id", ondelete="CASCADE"))
    risk_point_id: Mapped[int] = mapped_column(ForeignKey("risk_points.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    # the plan's assignee when the inspection fell due
    assignee_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # the period's last day: missed from the day after
    state: Mapped[InspectionState] = mapped_column(enum_column(InspectionState, "inspection_state"))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    missed_at: Mapped[datetime | None]
    # [{check, text, ok, note, hazard_id}] as submitted, with the checklist's words of that day
    results: Mapped[list | None] = mapped_column(JSON)

    plan: Mapped[InspectionPlan] = relationship()
    risk_point: Mapped[RiskPoint] = relationship()
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_user_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_user_id])

    @property
    def hazard_ids(self) -> list[int]:
        return [item["hazard_id"] for item in self.results or [] if item.get("hazard_id")]


__all__ = ["COLOURS", "Frequency", "Inspection", "InspectionPlan", "InspectionPlanPoint", "InspectionState",
           "RiskLevel", "RiskMethod", "RiskPoint", "RiskPointKind"]
