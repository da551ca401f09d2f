"""The scheduler process (DESIGN principle 6).

APScheduler 3.x keeps its jobs in memory, so it runs in exactly one process, never
inside web workers. On PostgreSQL the process first takes a session-level advisory
lock: a second copy waits as a standby and takes over when the first one dies (its
connection, and with it the lock, goes away). Each run opens its own unit of work."""

from __future__ import annotations

import logging
import signal
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hazard_ledger.jobs import JOBS, run_job
from hazard_ledger.runtime import Runtime

log = logging.getLogger("hazard_ledger.scheduler")

# Advisory locks belong to a database; the schema is part of the key so that two ledgers
# kept in one database (one schema each, as the tests and benchmarks do) each elect
# their own scheduler.
TAKE_LOCK = text("SELECT pg_try_advisory_lock(hashtext('hazard-ledger scheduler'), hashtext(current_schema()))")


def wait_for_leadership(runtime: Runtime, stop: threading.Event, poll_seconds: float):
    """On PostgreSQL, block until this process holds the scheduler lock; returns the
    connection that holds it (keep it open). On SQLite there is one machine: no lock.
    A database that is away is waited for, not a reason to exit."""
    if not runtime.database.is_postgresql:
        return None
    connection = None
    announced = False
    while not stop.is_set():
        try:
            connection = connection or runtime.database.engine.connect()
            held = connection.execute(TAKE_LOCK).scalar()
            connection.commit()
            if held:
                log.info("scheduler lock taken; running jobs")
                return connection
            if not announced:
                log.info("another scheduler holds the lock; standing by")
                announced = True
        except DBAPIError as error:
            log.warning("database unavailable, retrying: %s", str(error).splitlines()[0])
            _close_quietly(connection)
            connection = None
        stop.wait(poll_seconds)
    _close_quietly(connection)
    return None


def still_holds(lock) -> bool:
    """Whether the lock's connection is alive, and with it the lock: a restarted or
    terminated backend releases it, and another scheduler may now lead."""
    try:
        lock.execute(text("SELECT 1"))
        lock.commit()
        return True
    except DBAPIError:
        return False


def _close_quietly(connection) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except DBAPIError:
        pass


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    settings = runtime.settings
    scheduler = BackgroundScheduler(timezone=settings.timezone)
    grace = settings["scheduler"]["misfire_grace_seconds"]
    for name in JOBS:
        expression = settings["scheduler"].get(name)
        if not expression:
            continue
        scheduler.add_job(
            _run_logged, CronTrigger.from_crontab(expression, timezone=settings.timezone), args=[runtime, name],
            id=name, name=name, coalesce=True, misfire_grace_time=grace, max_instances=1, replace_existing=True,
        )
    return scheduler


def _run_logged(runtime: Runtime, name: str) -> None:
    started = time.monotonic()
    try:
        result = run_job(runtime, name, runtime.clock())
        log.info("job %s done in %.1fs: %s", name, time.monotonic() - started, result)
    except Exception:  # a failed run is retried at the next trigger; keep the scheduler alive
        log.exception("job %s failed", name)


def run_scheduler(runtime: Runtime) -> None:
    """The `hazard-ledger scheduler` process: lead or stand by, then run until signalled.

    The jobs run on APScheduler's background thread while this thread waits for SIGTERM
    or SIGINT, so a signal arriving at any moment (even while taking over) ends the
    process. A leader that loses its lock stops its jobs and stands by again."""
    stop = threading.Event()

    def _stop(*_):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    poll = runtime.settings["scheduler"]["standby_poll_seconds"]
    while not stop.is_set():
        lock = wait_for_leadership(runtime, stop, poll)
        try:
            if not stop.is_set():
                _lead(runtime, lock, stop, poll)
        finally:
            _close_quietly(lock)
    log.info("scheduler stopped")


def _lead(runtime: Runtime, lock, stop: threading.Event, poll_seconds: float) -> None:
    """Run the jobs until signalled or until the lock (PostgreSQL) is lost."""
    scheduler = build_scheduler(runtime)
    scheduler.start()
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        while not stop.wait(poll_seconds):
            if lock is not None and not still_holds(lock):
                log.warning("scheduler lock lost with its database connection; stopping jobs")
                return
    finally:
        scheduler.shutdown(wait=True)  # let a running job finish its unit of work
