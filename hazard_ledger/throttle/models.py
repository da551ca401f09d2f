from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hazard_ledger.db import Base


class LoginAttempt(Base):
    """A failed login (and, per account and address, the latest successful one), kept
    only as long as a limit looks back. Account and address are keyed hashes: the table
    holds neither a username typed by mistake (perhaps a password) nor a client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_account_address_at", "account", "address", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class RateLimitCounter(Base):
    """One fixed window of a Flask-Limiter limit (the `database://` storage); the key is
    a keyed hash of the limiter's key, which names the client's address."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # seconds since the epoch, as the limits library counts time
    expires_at: Mapped[float] = mapped_column(Float, index=True)
