"""The scheduled jobs. Each is a function of (database, now, settings) that calls the
same operations as the web and the CLI, in units of work of its own. Jobs are
idempotent, so a late or repeated run is harmless.

A run by the scheduler carries a Fence (reliability/fencing.py): in the job's own
transaction it confirms that its scheduler still leads and that its instant is not done
yet, and records the instant with the work. `jobs run` from the command line runs
unfenced: it is a run by hand, not a scheduled instant."""

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
from hazard_ledger.reliability.fencing import Fence
from hazard_ledger.reliability.idempotency import forget_old_keys
from hazard_ledger.rewards.operations import lapse_unclaimed
from hazard_ledger.union.operations import sweep_notice_reminders

# what a fenced run answers when its instant was done already (by another scheduler)
ALREADY_DONE = "already done"

JobRunner = Callable[[Database, datetime, Settings, "Fence | None"], Any]


def in_one_transaction(operation: Callable[..., Any]) -> JobRunner:
    """A job that is one operation: one unit of work around it, the fence's check and
    record inside it."""

    def run(database: Database, now: datetime, settings: Settings, fence: Fence | None = None) -> Any:
        with database.unit_of_work() as session:
            if fence is not None and not fence.admit(session):
                return ALREADY_DONE
            result = operation(session, now, settings)
            if fence is not None:
                fence.record(session, now)
            return result

    return run


def in_transactions_of_its_own(job: Callable[[Database, datetime, Settings], Any]) -> JobRunner:
    """A job that commits as it goes (delivery: it sends outside any transaction): the
    fence is checked before and the instant recorded after, each in a short transaction.
    Two runs of it at once are safe by its own design (claims with leases)."""

    def run(database: Database, now: datetime, settings: Settings, fence: Fence | None = None) -> Any:
        if fence is not None:
            with database.unit_of_work() as session:
                if not fence.admit(session):
                    return ALREADY_DONE
        result = job(database, now, settings)
        if fence is not None:
            with database.unit_of_work() as session:
                fence.record(session, now)
        return result

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
    run: JobRunner


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("reminders", "due-soon, overdue, escalation, stale-progress and untriaged sweeps; notices due and overdue",
            in_one_transaction(reminders_job)),
        Job("deliver", "sends pending notifications through e-mail and webhooks",
            in_transactions_of_its_own(deliver_due)),
        Job("compliance", "training and drill reminders, and the year-end report", in_one_transaction(compliance_job)),
        Job("rewards", "lapses anonymous awards not claimed within the claim window", in_one_transaction(lapse_unclaimed)),
        Job("statistics", "filing reminders and the stored quarterly and annual statistics",
            in_one_transaction(file_statistics)),
        Job("inspections", "writes the inspections the plans make due, and marks those not done in time missed",
            in_one_transaction(run_inspections)),
        Job("idempotency", "forgets the API's Idempotency-Keys older than 24 hours",
            in_one_transaction(forget_old_keys)),
    )
}


def run_job(runtime, name: str, now: datetime, fence: Fence | None = None) -> Any:
    """Run one job once, as if the clock read `now`; fenced when the scheduler runs it."""
    return JOBS[name].run(runtime.database, now, runtime.settings, fence)
