"""The scheduled jobs. Each is a function of (database, now, settings) that calls the
same operations as the web and the CLI, in units of work of its own. Jobs are
idempotent, so a late or repeated run is harmless."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from hazard_ledger.compliance.operations import compliance_job
from hazard_ledger.config import Settings
from hazard_ledger.db import Database
from hazard_ledger.notifications.delivery import deliver_due
from hazard_ledger.notifications.reminders import sweep_reminders
from hazard_ledger.paperwork.statistics import file_statistics
from hazard_ledger.prevention.operations import run_inspections
from hazard_ledger.rewards.operations import lapse_unclaimed
from hazard_ledger.union.operations import sweep_notice_reminders


def in_one_transaction(operation: Callable[..., Any]) -> Callable[[Database, datetime, Settings], Any]:
    """A job that is one operation: one unit of work around it."""

    def run(database: Database, now: datetime, settings: Settings) -> Any:
        with database.unit_of_work() as session:
            return operation(session, now, settings)

    return run


def reminders_job(session, now: datetime, settings: Settings) -> str:
    """The hazards' sweep, then the union's notices (notice_due, notice_overdue)."""
    swept = sweep_reminders(session, now, settings)
    notices = sweep_notice_reminders(session, now, settings)
    said = [f"{kind} {count}" for kind, count in {**swept.sent, **notices}.items()]
    return ", ".join(said) or str(swept)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[Database, datetime, Settings], Any]


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("reminders", "due-soon, overdue, escalation, stale-progress and untriaged sweeps; notices due and overdue",
            in_one_transaction(reminders_job)),
        Job("deliver", "sends pending notifications through e-mail and webhooks", deliver_due),
        Job("compliance", "training and drill reminders, and the year-end report", in_one_transaction(compliance_job)),
        Job("rewards", "lapses anonymous awards not claimed within the claim window", in_one_transaction(lapse_unclaimed)),
        Job("statistics", "filing reminders and the stored quarterly and annual statistics",
            in_one_transaction(file_statistics)),
        Job("inspections", "writes the inspections the plans make due, and marks those not done in time missed",
            in_one_transaction(run_inspections)),
    )
}


def run_job(runtime, name: str, now: datetime) -> Any:
    """Run one job once, as if the clock read `now`."""
    return JOBS[name].run(runtime.database, now, runtime.settings)
