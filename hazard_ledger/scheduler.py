"""The scheduler process (DESIGN principle 6).

APScheduler 3.x keeps its jobs in memory, so it runs in exactly one process, never
inside web workers. On PostgreSQL the process first takes a session-level advisory
lock: a second copy waits as a standby and takes over when the first one dies (its
connection, and with it the lock, goes away). Each run opens its own unit of work.

Taking over, a leader raises the leadership epoch and first runs what its predecessor
missed; every run checks the epoch and its instant in its own transaction
(reliability/fencing.py), so a leader that lost its lock unawares runs nothing more and
no instant runs twice."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hazard_ledger.jobs import ALREADY_DONE, JOBS, run_job
from hazard_ledger.reliability.connections import answer_within
from hazard_ledger.reliability.fencing import Fence, NotLeader, latest_instant, missed_instants, take_leadership
from hazard_ledger.runtime import Runtime

log = logging.getLogger("hazard_ledger.scheduler")

# Advisory locks belong to a database; the schema is part of the key so that two ledgers
# kept in one database (one schema each, as the tests and benchmarks do) each elect
# their own scheduler.
TAKE_LOCK = text("SELECT pg_try_advisory_lock(hashtext('hazard-ledger scheduler'), hashtext(current_schema()))")


def wait_for_leadership(runtime: Runtime, stop: threading.Event, poll_seconds: float):
    """On PostgreSQL, block until this process holds the scheduler lock; returns the
    connection that holds it (keep it open) and the new leadership epoch. On SQLite there
    is one machine: no lock, no epoch. A database that is away is waited for, not a
    reason to exit."""
    if not runtime.database.is_postgresql:
        log.info("SQLite: one scheduler process, no lock; running jobs")
        return None, None
    connection = None
    announced = False
    while not stop.is_set():
        try:
            connection = connection or runtime.database.engine.connect()
            with answer_within(connection, _lock_answer_seconds(runtime, poll_seconds)):
                held = connection.execute(TAKE_LOCK).scalar()
                connection.commit()
            if held:
                # waits for the jobs of a deposed leader still running to commit (they hold the epoch's row)
                epoch = take_leadership(connection, f"{socket.gethostname()}:{os.getpid()}", runtime.clock())
                connection.commit()
                log.info("scheduler lock taken (leadership epoch %s); running jobs", epoch)
                return connection, epoch
            if not announced:
                log.info("another scheduler holds the lock; standing by")
                announced = True
        except DBAPIError as error:
            log.warning("database unavailable, retrying: %s", str(error).splitlines()[0])
            _close_quietly(connection)
            connection = None
        stop.wait(poll_seconds)
    _close_quietly(connection)
    return None, None


def _lock_answer_seconds(runtime: Runtime, poll_seconds: float) -> float:
    """How long a look at the lock may wait for the database: a link that went silent
    must be noticed in about the time of a poll, not a job's statement timeout."""
    return poll_seconds + runtime.settings["database"]["answer_grace_seconds"]


def still_holds(runtime: Runtime, lock, poll_seconds: float) -> bool:
    """Whether the lock's connection is alive, and with it the lock: a restarted or
    terminated backend releases it, and another scheduler may now lead."""
    try:
        with answer_within(lock, _lock_answer_seconds(runtime, poll_seconds)):
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


def triggers(runtime: Runtime) -> dict[str, CronTrigger]:
    """Each scheduled job's trigger (an empty expression turns a job off)."""
    settings = runtime.settings
    return {name: CronTrigger.from_crontab(settings["scheduler"][name], timezone=settings.timezone)
            for name in JOBS if settings["scheduler"].get(name)}


class Leadership:
    """What the jobs of one term of leadership share: its epoch, and the flag a job
    raises when it finds that another scheduler leads now."""

    def __init__(self, epoch: int | None):
        self.epoch = epoch
        self.deposed = threading.Event()


def build_scheduler(runtime: Runtime, leadership: Leadership) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=runtime.settings.timezone)
    grace = runtime.settings["scheduler"]["misfire_grace_seconds"]
    for name, trigger in triggers(runtime).items():
        scheduler.add_job(
            _run_logged, trigger, args=[runtime, name, leadership, trigger], id=name, name=name, coalesce=True,
            misfire_grace_time=grace, max_instances=1, replace_existing=True,
        )
    return scheduler


def _run_logged(runtime: Runtime, name: str, leadership: Leadership, trigger: CronTrigger,
                instant: datetime | None = None) -> None:
    """One scheduled run of `name`, for `instant` (by default the trigger's latest)."""
    started, now = time.monotonic(), runtime.clock()
    if instant is None:
        # the instant APScheduler fired for: the latest at or before now (a late run was coalesced)
        late = timedelta(seconds=runtime.settings["scheduler"]["misfire_grace_seconds"] + 60)
        instant = latest_instant(trigger, now, late) or now
    when = instant.isoformat()
    try:
        result = run_job(runtime, name, now, Fence(name, instant, leadership.epoch))
        if result == ALREADY_DONE:
            log.info("job %s for %s: already done, not run again", name, when)
        else:
            log.info("job %s for %s done in %.1fs: %s", name, when, time.monotonic() - started, result)
    except NotLeader as error:
        log.warning("job %s for %s not run: another scheduler leads now (%s)", name, when, error)
        leadership.deposed.set()
    except Exception:  # a failed run is retried at the next trigger; keep the scheduler alive
        log.exception("job %s for %s failed", name, when)


def catch_up(runtime: Runtime, scheduler: BackgroundScheduler, leadership: Leadership) -> None:
    """Run, now, each job's latest instant that no scheduler completed, if it is within
    `catch_up_grace_seconds`: the one a dead leader missed."""
    grace = timedelta(seconds=runtime.settings["scheduler"]["catch_up_grace_seconds"])
    if not grace:
        return
    scheduled = triggers(runtime)
    with runtime.database.unit_of_work(write=False) as session:
        missed = missed_instants(session, scheduled, runtime.clock(), grace)
    for name, instant in missed.items():
        log.info("job %s: catching up the instant %s, which no scheduler completed", name, instant.isoformat())
        scheduler.add_job(_run_logged, args=[runtime, name, leadership, scheduled[name], instant],
                          id=f"{name}:catch-up", name=f"{name} (catch-up)", replace_existing=True)


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
        lock, epoch = wait_for_leadership(runtime, stop, poll)
        try:
            if not stop.is_set():
                _lead(runtime, lock, Leadership(epoch), stop, poll)
        finally:
            _close_quietly(lock)
    log.info("scheduler stopped")


def _lead(runtime: Runtime, lock, leadership: Leadership, stop: threading.Event, poll_seconds: float) -> None:
    """Run the jobs until signalled, until the lock (PostgreSQL) is lost, or until a job
    finds that another scheduler leads."""
    scheduler = build_scheduler(runtime, leadership)
    scheduler.start()
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        try:
            catch_up(runtime, scheduler, leadership)
        except DBAPIError as error:
            log.warning("could not look for missed runs: %s", str(error).splitlines()[0])
        while not stop.wait(poll_seconds):
            if leadership.deposed.is_set():
                log.warning("another scheduler leads now; stopping jobs")
                return
            if lock is not None and not still_holds(runtime, lock, poll_seconds):
                log.warning("scheduler lock lost with its database connection; stopping jobs")
                return
    finally:
        scheduler.shutdown(wait=True)  # let a running job finish its unit of work
