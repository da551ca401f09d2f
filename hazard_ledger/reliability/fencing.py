"""The scheduler's leadership epoch and each job's last completed instant.

A scheduler that takes the PostgreSQL advisory lock raises the epoch by one (on the
lock's own connection) and keeps the new value. Every scheduled run then, in the job's
own transaction, before its work:

1. reads the epoch FOR SHARE: another epoch means another scheduler leads now, and the
   run is refused (NotLeader). Held until the job commits, the row also keeps a new
   leader from taking over in the middle of the job: its UPDATE waits for the commit.
2. locks the job's row in `job_runs` FOR UPDATE: an instant that is already recorded as
   done is not run again, whoever asks.

and records its instant in the same transaction as its work. So a deposed leader whose
lock connection died unnoticed runs nothing, and an instant runs once, even when two
schedulers reach it together. A new leader runs each job's latest instant that nobody
completed, when it is at most `catch_up_grace_seconds` old.

SQLite has one scheduler process and no lock: no epoch, only the record of instants
(its IMMEDIATE transactions queue the writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from hazard_ledger.db import dialect_of
from hazard_ledger.reliability.models import JobRun, SchedulerLeadership

LEADERSHIP = SchedulerLeadership.__table__
RUNS = JobRun.__table__


class NotLeader(Exception):
    """Another scheduler took over: this one must run nothing more and stand by."""


def take_leadership(connection, holder: str, now: datetime) -> int:
    """The next epoch, for the scheduler that has just taken the lock on `connection`
    (PostgreSQL: on SQLite there is no lock and no epoch)."""
    statement = (postgresql.insert(LEADERSHIP).values(id=1, epoch=1, holder=holder, since=now)
                 .on_conflict_do_update(index_elements=["id"], set_={"epoch": LEADERSHIP.c.epoch + 1,
                                                                     "holder": holder, "since": now})
                 .returning(LEADERSHIP.c.epoch))
    return connection.execute(statement).scalar_one()


@dataclass(frozen=True)
class Fence:
    """One scheduled run: `job` for `instant`, by the leader of `epoch` (None on SQLite)."""

    job: str
    instant: datetime
    epoch: int | None

    def admit(self, session: Session) -> bool:
        """In the job's transaction, before its work: False if the instant is done
        already; NotLeader if another scheduler leads now."""
        if self.epoch is not None:
            current = session.execute(select(LEADERSHIP.c.epoch).where(LEADERSHIP.c.id == 1)
                                      .with_for_update(read=True)).scalar_one_or_none()
            if current != self.epoch:
                raise NotLeader(f"leadership epoch is {current}, this scheduler's was {self.epoch}")
        session.execute(dialect_of(session).insert(RUNS).values(job=self.job, runs=0)
                        .on_conflict_do_nothing(index_elements=["job"]))
        last = session.execute(select(RUNS.c.last_instant).where(RUNS.c.job == self.job)
                               .with_for_update()).scalar_one()
        return last is None or last < self.instant

    def record(self, session: Session, finished_at: datetime) -> None:
        """In the same transaction, after the work: the instant is done."""
        session.execute(update(RUNS).where(RUNS.c.job == self.job)
                        .values(last_instant=self.instant, finished_at=finished_at, runs=RUNS.c.runs + 1))


def latest_instant(trigger: CronTrigger, now: datetime, within: timedelta) -> datetime | None:
    """The trigger's last instant at or before `now`, if it is at most `within` ago.
    (APScheduler 3 only looks forward: look forward from ever earlier starts.)"""
    window = min(timedelta(minutes=2), within)
    while True:
        latest, cursor = None, now - window
        while (upcoming := trigger.get_next_fire_time(None, cursor)) is not None and upcoming <= now:
            latest, cursor = upcoming, upcoming + timedelta(seconds=1)
        if latest is not None or window >= within:
            return latest
        window = min(window * 8, within)


def missed_instants(session: Session, triggers: dict[str, CronTrigger], now: datetime,
                    grace: timedelta) -> dict[str, datetime]:
    """Each job's latest instant within `grace` that no scheduler completed."""
    done = dict(session.execute(select(RUNS.c.job, RUNS.c.last_instant)).all())
    missed = {}
    for job, trigger in triggers.items():
        instant = latest_instant(trigger, now, grace)
        if instant is not None and (done.get(job) is None or done[job] < instant):
            missed[job] = instant
    return missed
