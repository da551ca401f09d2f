from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazard_ledger.db import Base
from hazard_ledger.enums import Role, enum_column
from hazard_ledger.organisations.levels import Level


class Jurisdiction(Base):
    """A union organisation: the city federation at the root, county unions below."""

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    # province, city, county or township (organisations/levels.py): duties follow it
    level: Mapped[Level] = mapped_column(enum_column(Level, "jurisdiction_level"))
    created_at: Mapped[datetime]

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[id])


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    unionized: Mapped[bool] = mapped_column(Boolean, default=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    # The unguessable key in the QR code of the public report form.
    report_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]

    jurisdiction: Mapped[Jurisdiction] = relationship()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role NOT IN ('worker', 'safety_officer') OR enterprise_id IS NOT NULL)"
            " AND (role <> 'inspector' OR jurisdiction_id IS NOT NULL)",
            name="role_has_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every page session and API token carries the epoch it was issued in; logout, a new
    # password and deactivation move it on, which ends them all at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]

    enterprise: Mapped[Enterprise | None] = relationship()
    jurisdiction: Mapped[Jurisdiction | None] = relationship()

    # Flask-Login protocol, kept here so the web layer needs no wrapper class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # what Flask-Login keeps in the session: the epoch too, checked on every request
        return f"{self.id}:{self.session_epoch}"

    @property
    def display_name(self) -> str:
        return self.name or self.username
