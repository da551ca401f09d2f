from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hazard_ledger.db import Base


class JobRun(Base):
    """The last scheduled instant a job completed, written in the job's own transaction:
    a new scheduler leader runs what its predecessor missed, and no instant runs twice."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_instant: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # completed scheduled runs, all instants together: evidence that an instant ran once
    runs: Mapped[int] = mapped_column(Integer, default=0)


class SchedulerLeadership(Base):
    """One row: the epoch of the scheduler that leads now, one up at each takeover. A job
    holds the row (FOR SHARE) while it runs and compares the epoch with its leader's, so
    a deposed leader whose lock connection died runs nothing more."""

    __tablename__ = "scheduler_leadership"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime]


class IdempotencyKey(Base):
    """An API write done under an Idempotency-Key, and its answer, written in the write's
    own transaction. The key, and the caller it belongs to, are kept only as a keyed hash;
    the answer (which may hold a receipt or a token) is encrypted under a key derived from
    the Idempotency-Key itself, so the table alone reveals neither."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)
