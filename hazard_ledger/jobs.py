"""The scheduled jobs. Each is a function of (session, now, settings) that calls the
same operations as the web and the CLI; the caller owns the transaction. Jobs are
idempotent, so a late or repeated run is harmless."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from hazard_ledger.config import Settings
from hazard_ledger.notifications.reminders import sweep_reminders


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[Session, datetime, Settings], Any]


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("reminders", "due-soon, overdue, escalation, stale-progress and untriaged sweeps", sweep_reminders),
    )
}


def run_job(runtime, name: str, now: datetime) -> Any:
    """Run one job once in its own unit of work, as if the clock read `now`."""
    job = JOBS[name]
    with runtime.database.unit_of_work() as session:
        return job.run(session, now, runtime.settings)
