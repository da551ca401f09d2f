from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, ColumnElement, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String,
                        Text, UniqueConstraint, and_, case, literal_column, text)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazard_ledger.db import Base
from hazard_ledger.enums import Grade, HazardState, ReportChannel, enum_column
from hazard_ledger.organisations.models import Enterprise, User
from hazard_ledger.sqltext import days_between


class Hazard(Base):
    """One ledger row (隐患). `state` is driven only by the workflow rulebook."""

    __tablename__ = "hazards"
    __table_args__ = (
        # the overdue sweep and the audit: assigned hazards by deadline
        Index("ix_hazards_state_deadline", "state", "deadline"),
        # the ledger list of an enterprise, newest first, optionally by state
        Index("ix_hazards_enterprise_state_id", "enterprise_id", "state", "id"),
        Index("ix_hazards_enterprise_id_id", "enterprise_id", "id"),
        Index("ix_hazards_reporter_user_id", "reporter_user_id"),
        Index("ix_hazards_responsible_user_id", "responsible_user_id"),
        Index("ix_hazards_reported_at", "reported_at"),
        Index("ix_hazards_grade_state", "grade", "state"),
        # the sweep's quiet spells and untriaged reports: small partial indexes, only
        # the rows of the state in question
        Index("ix_hazards_assigned_last_progress_at", "last_progress_at",
              postgresql_where=text("state = 'assigned'"), sqlite_where=text("state = 'assigned'")),
        Index("ix_hazards_reported_reported_at", "reported_at",
              postgresql_where=text("state = 'reported'"), sqlite_where=text("state = 'reported'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    state: Mapped[HazardState] = mapped_column(enum_column(HazardState, "hazard_state"))
    grade: Mapped[Grade | None] = mapped_column(enum_column(Grade, "hazard_grade"))
    category: Mapped[str | None] = mapped_column(String(50))
    location: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime]
    channel: Mapped[ReportChannel] = mapped_column(enum_column(ReportChannel, "report_channel"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # Confidential (安全生产法 and the campaign rules): shown to the reporter,
    # inspectors and admins only; all empty for an anonymous report.
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    # sha256 of the public receipt; the receipt itself is shown once and never stored
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    measure: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    protective_measures: Mapped[str | None] = mapped_column(Text)
    funds: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    emergency_plan: Mapped[str | None] = mapped_column(Text)
    last_progress_at: Mapped[datetime | None]
    rectified_at: Mapped[datetime | None]
    completed_on: Mapped[date | None] = mapped_column(Date)
    rectification_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    verification_note: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(String(20))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    # where the hazard came from when not a report: "inspection" (a failed check of a
    # planned inspection, hazard_ledger.prevention), with the risk point, the
    # inspection and the index of the check in its checklist
    source: Mapped[str | None] = mapped_column(String(12))
    risk_point_id: Mapped[int | None] = mapped_column(ForeignKey("risk_points.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), index=True)
    check_index: Mapped[int | None] = mapped_column(Integer)
    # hash of the newest history entry: the head of this hazard's chain
    chain_head: Mapped[str] = mapped_column(String(64))
    history_length: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped[Enterprise] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_user_id])
    responsible_user: Mapped[User | None] = relationship(foreign_keys=[responsible_user_id])
    history: Mapped[list[HazardEvent]] = relationship(
        back_populates="hazard", order_by="HazardEvent.seq", cascade="all, delete-orphan"
    )

    # "Overdue", once, for every reader (the list filter, the audit, the reminders, the
    # statistics, the board): a hazard still being rectified (assigned) whose deadline
    # has passed, judged on the service's local day (clock.local_today: Shanghai's, not
    # UTC's). On a row it is Python; on the class it is the same rule as SQL, and `today`
    # may be a date or a bound parameter.
    @hybrid_method
    def is_overdue(self, today: date) -> bool:
        return days_overdue(self.state, self.deadline, today) > 0

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_sql(cls, today) -> ColumnElement[bool]:
        # the state as SQL text, never a parameter: a prepared statement's generic plan can
        # still use the (state, deadline) index; no deadline is never overdue, so that the
        # rule's negation keeps the rows without one
        return and_(cls.state == literal_column(f"'{HazardState.ASSIGNED.value}'"), cls.deadline.is_not(None),
                    cls.deadline < today)

    @hybrid_method
    def days_overdue(self, today: date) -> int:
        return days_overdue(self.state, self.deadline, today)

    @days_overdue.inplace.expression
    @classmethod
    def _days_overdue_sql(cls, today) -> ColumnElement[int]:
        return case((cls.is_overdue(today), days_between(cls.deadline, today)), else_=0)


def days_overdue(state: HazardState, deadline: date | None, today: date) -> int:
    """Days past the deadline of a hazard still being rectified; 0 otherwise (the Python
    twin of Hazard.is_overdue's SQL, for rows that are not Hazard objects)."""
    late = state is HazardState.ASSIGNED and deadline is not None and today > deadline
    return (today - deadline).days if late else 0


def overdue_as_of(deadline: date | None, completed_on: date | None, day: date) -> bool:
    """Whether a hazard was overdue at the end of a past `day`, rebuilt from its dates (the
    statistics of a period that has ended): its deadline had passed and it was not yet
    rectified. On today it answers as Hazard.is_overdue does: only an assigned hazard has a
    deadline and no completion date."""
    return deadline is not None and deadline < day and (completed_on is None or completed_on > day)


class HazardEvent(Base):
    """One transition of a hazard, chained: hash = sha256(prev_hash + canonical event)
    (hazards/chain.py)."""

    __tablename__ = "hazard_events"
    __table_args__ = (UniqueConstraint("hazard_id", "seq", name="uq_hazard_events_hazard_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # who, as words: "public form", "import", or the user's name at the time
    actor_label: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime]
    data: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # how the hash was made (hazards/chain.py): 1, the actor as it is (every entry
    # written before revision 0007); 2, the actor as a salted commitment
    chain_format: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    # Confidential like the reporter: the random salt of the actor's commitment (format
    # 2), never shown; whoever reads it can confirm a guess of who acted.
    actor_salt: Mapped[str | None] = mapped_column(String(64))

    hazard: Mapped[Hazard] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()


class Attachment(Base):
    """A photo of a hazard, stored on disk by content hash, chained by the history entry
    it came with (its sha256 in the entry's data: hazards/attachments.py)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    # the event the photo came with (attachments.STAGES): "report" (整改前), "progress"
    # (整改中), "rectify" or "close" (整改后)
    stage: Mapped[str] = mapped_column(String(12))
    # the seq of the hazard's history entry whose data names the photo's sha256; none for
    # a photo stored before revision 0016, which no entry chained
    entry_seq: Mapped[int | None] = mapped_column(Integer)


class HazardCodeCounter(Base):
    """The last number given in a year, for codes like YH-2026-000123."""

    __tablename__ = "hazard_code_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


# The tables a hazard's links refer to (risk_points, inspections): known to the metadata
# wherever a hazard is written, not only where dual prevention is imported
from hazard_ledger.prevention import models as _prevention_models  # noqa: E402,F401
