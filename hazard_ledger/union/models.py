"""The union's own instruments: formal notices (提示函, 意见书, 建议书) with their
hash-chained history, and the yearly campaigns (查保促, 安康杯) with their enrolments,
scores and honours."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazard_ledger.db import Base
from hazard_ledger.enums import enum_column
from hazard_ledger.organisations.models import Enterprise, Jurisdiction


class NoticeKind(str, enum.Enum):
    REMINDER = "reminder"  # 提示函
    OPINION = "opinion"  # 意见书
    RECOMMENDATION = "recommendation"  # 建议书, to an authority, when an opinion goes unheeded


class NoticeState(str, enum.Enum):
    ISSUED = "issued"
    REPLIED = "replied"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"


class Notice(Base):
    """A formal notice of a union to an enterprise (or, a recommendation, to an authority).
    It cites hazards and never changes them. `state` moves only through the notice
    rules (union/operations.py); every move is an entry of its own hash chain."""

    __tablename__ = "notices"
    __table_args__ = (
        # numbers are per issuing union and year, never reused
        UniqueConstraint("jurisdiction_id", "year", "serial", name="uq_notices_jurisdiction_year_serial"),
        Index("ix_notices_enterprise_state", "enterprise_id", "state"),
        # the reminders sweep: unanswered notices by reply deadline
        Index("ix_notices_state_reply_due_on", "state", "reply_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, "notice_kind"))
    state: Mapped[NoticeState] = mapped_column(enum_column(NoticeState, "notice_state"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    # the issuing union
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text)
    # a recommendation's addressee, e.g. 县应急管理局
    authority: Mapped[str | None] = mapped_column(String(200))
    escalated_from_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    reply_working_days: Mapped[int] = mapped_column(Integer)
    reply_due_on: Mapped[date] = mapped_column(Date)
    # the reply deadline was counted by weekends alone: the holiday arrangement of its
    # year was not published yet
    calendar_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_measures: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    chain_head: Mapped[str] = mapped_column(String(64))
    history_length: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped[Enterprise] = relationship()
    jurisdiction: Mapped[Jurisdiction] = relationship()
    history: Mapped[list[NoticeEvent]] = relationship(back_populates="notice", order_by="NoticeEvent.seq",
                                                      cascade="all, delete-orphan")
    hazard_links: Mapped[list[NoticeHazard]] = relationship(cascade="all, delete-orphan",
                                                            order_by="NoticeHazard.hazard_id")

    @property
    def code(self) -> str:
        """What names the notice in its hash chain (as a hazard's code names a hazard)."""
        return self.number

    @property
    def hazard_ids(self) -> list[int]:
        return [link.hazard_id for link in self.hazard_links]


class NoticeHazard(Base):
    """A hazard a notice cites."""

    __tablename__ = "notice_hazards"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), primary_key=True, index=True)


class NoticeEvent(Base):
    """One step of a notice, chained as a hazard's history is (hazards/chain.py)."""

    __tablename__ = "notice_events"
    __table_args__ = (UniqueConstraint("notice_id", "seq", name="uq_notice_events_notice_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime]
    data: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    notice: Mapped[Notice] = relationship(back_populates="history")

    # hashed with the actor as it is (hazards/chain.py format 1): a notice's actors are
    # the union's inspectors and the enterprise's officers, whom the documents name anyway
    chain_format = 1


class NoticeNumberCounter(Base):
    """The last serial a union gave in a year, for numbers like 兰山工劳监〔2026〕3号."""

    __tablename__ = "notice_number_counters"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True,
                                                 autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class CampaignKind(str, enum.Enum):
    CHA_BAO_CU = "cha_bao_cu"  # 查隐患、保安全、促发展
    ANKANG_CUP = "ankang_cup"  # 安康杯竞赛


class Campaign(Base):
    """A union's campaign of a year, over the enterprises of its subtree."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_year_jurisdiction", "year", "jurisdiction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CampaignKind] = mapped_column(enum_column(CampaignKind, "campaign_kind"))
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(Text)
    focus: Mapped[list] = mapped_column(JSON)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # the scoring sheet (config/campaigns/*.toml) by name
    scoring: Mapped[str] = mapped_column(String(60))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    jurisdiction: Mapped[Jurisdiction] = relationship()


class Enrollment(Base):
    __tablename__ = "campaign_enrollments"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)
    enrolled_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    enrolled_at: Mapped[datetime]


class InspectorScore(Base):
    """An inspector's points for one item of a campaign's sheet that is not automatic."""

    __tablename__ = "campaign_scores"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    note: Mapped[str | None] = mapped_column(Text)
    scored_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime]


class Honour(Base):
    """A 先进集体 (an enterprise) or 先进个人 (a user, or a person by name) of a campaign."""

    __tablename__ = "campaign_honours"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # collective | individual
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
