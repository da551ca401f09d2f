"""Faults in process, on both databases: a database that cannot be reached or answers too
late is a 503 `unavailable` with Retry-After (a page: a 503 page), never a 500 nor a hung
request; /healthz never asks the database and /readyz does; the PostgreSQL connection
carries its role's timeouts; scheduled runs are fenced by the leadership epoch and their
instant, and a new leader finds what its predecessor missed. (The same, with processes
killed and connections cut: tests/test_faults.py.)"""

from __future__ import annotations

import socket
import sqlite3
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from hazard_ledger import create_app
from hazard_ledger.config import ConfigError, load_settings
from hazard_ledger.db import Database
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.jobs import ALREADY_DONE, run_job
from hazard_ledger.notifications.models import Notification
from hazard_ledger.reliability.connections import answer_within
from hazard_ledger.reliability.fencing import Fence, NotLeader, missed_instants, take_leadership
from hazard_ledger.reliability.models import JobRun
from tests.factories import make_hazard
from tests.test_api import assert_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORT = {"location": "三号仓库", "description": "灭火器压力不足"}


@pytest.fixture
def settings_override(settings_override):
    # a write waits for a lock at most a second before it gives up
    return {**settings_override, "database": {**settings_override["database"], "sqlite_busy_timeout_ms": 1000,
                                              "web_statement_timeout_seconds": 1}}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable(tmp_path):
    """The app on a PostgreSQL server that is not there (nothing listens on the port)."""
    settings = load_settings({
        "app": {"secret_key": "a-test-secret-key-long-enough-for-the-rules-0123"}, "uploads": {"dir": str(tmp_path)},
        "database": {"url": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test",
                     "connect_timeout_seconds": 2, "readiness_timeout_seconds": 2},
    }, environ={})
    app = create_app(settings=settings)
    yield app.test_client()
    app.extensions["hazard_ledger.db"].dispose()


def assert_unavailable(answer):
    assert_error(answer, 503, "unavailable")
    assert answer.headers["Retry-After"] == "5"


def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after(unreachable):
    assert_unavailable(unreachable.post("/api/v1/public/enterprises/some-token/hazards",
                                        json={**REPORT, "anonymous": True}, headers={"Idempotency-Key": "k"}))
    assert_unavailable(unreachable.get("/api/v1/public/enterprises/some-token"))
    assert_unavailable(unreachable.get("/readyz"))
    health = unreachable.get("/healthz")
    assert health.status_code == 200 and health.json == {"status": "ok"}


def test_a_page_answers_a_503_page_when_the_database_cannot_be_reached(unreachable):
    page = unreachable.get("/r/some-token")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert page.mimetype == "text/html" and "服务暂时不可用" in page.get_data(as_text=True)
    english = unreachable.get("/r/some-token?lang=en")
    assert english.status_code == 503 and "Service temporarily unavailable" in english.get_data(as_text=True)


def test_readyz_answers_while_the_database_does(client):
    assert client.get("/readyz").json == {"status": "ok"}


def hold_the_code_counter(database, backend):
    """Another connection holds the lock a report needs (SQLite: the write lock; PostgreSQL:
    the year's hazard-code counter row). Returns a function that lets go."""
    if backend == "sqlite":
        holder = sqlite3.connect(make_url(database.url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return lambda: (holder.execute("ROLLBACK"), holder.close())
    engine = create_engine(database.url, poolclass=NullPool)
    connection = engine.connect()
    connection.execute(text("SELECT * FROM hazard_code_counters FOR UPDATE"))
    return lambda: (connection.rollback(), connection.close(), engine.dispose())


def test_a_write_that_waits_past_its_limit_is_a_503_and_its_retry_writes_once(world, client, database, backend):
    world.report("worker_a1")  # the year's counter row exists
    headers = {**world.auth("worker_a1"), "Idempotency-Key": "late-1"}
    let_go = hold_the_code_counter(database, backend)
    try:
        assert_unavailable(client.post("/api/v1/hazards", json=REPORT, headers=headers))
    finally:
        let_go()
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Hazard)) == 1
    retried = client.post("/api/v1/hazards", json=REPORT, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert client.post("/api/v1/hazards", json=REPORT, headers=headers).data == retried.data
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Hazard)) == 2


def test_postgresql_connections_carry_the_timeouts_of_their_role(backend, settings):
    if backend != "postgresql":
        pytest.skip("PostgreSQL connection parameters")
    for role, statement in (("web", "1s"), ("jobs", "5min")):
        database = Database.for_role(settings, role)
        try:
            with database.engine.connect() as connection:
                shown = {name: connection.execute(text(f"SHOW {name}")).scalar_one()
                         for name in ("statement_timeout", "idle_in_transaction_session_timeout", "tcp_user_timeout",
                                      "application_name", "search_path")}
        finally:
            database.dispose()
        assert shown["statement_timeout"] == statement
        assert shown["idle_in_transaction_session_timeout"] == ("30s" if role == "web" else "5min")
        assert shown["application_name"] == f"hazard-ledger {role}"
        assert shown["search_path"].startswith("hl_test_")  # the URL's own options are kept


def test_a_statement_unanswered_past_the_clients_deadline_gives_up_and_its_connection_is_replaced(backend, database):
    if backend != "postgresql":
        pytest.skip("a network wait (SQLite has none)")
    with database.engine.connect() as connection:
        before = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # the server would answer in 30 s; the client waits 1 s (the server's own timeout, 1 s, is lifted)
        connection.execute(text("SET statement_timeout = 0"))
        with answer_within(connection, 1), pytest.raises(OperationalError, match="no answer from the database within"):
            connection.execute(text("SELECT pg_sleep(30)"))
        assert connection.invalidated
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != before


def test_the_worker_timeout_must_outlast_a_requests_longest_wait_for_the_database():
    with pytest.raises(ConfigError, match="server.worker_timeout_seconds"):
        load_settings({"server": {"worker_timeout_seconds": 30}}, environ={})
    with pytest.raises(ConfigError, match="database.connect_timeout_seconds"):
        load_settings({"database": {"connect_timeout_seconds": 0}}, environ={})


# ---- the scheduler's fence ---------------------------------------------------------------

def at(hour: int, minute: int = 0, second: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=SHANGHAI)


def runs_of(database, job: str):
    with database.unit_of_work(write=False) as session:
        row = session.get(JobRun, job)
        return (row.last_instant, row.runs) if row else (None, 0)


def test_a_new_leader_finds_the_instant_its_predecessor_missed_and_runs_it_once(database, runtime):
    reminders = {"reminders": CronTrigger.from_crontab("0 8 * * *", timezone=SHANGHAI)}
    grace = timedelta(hours=1)
    with database.unit_of_work(write=False) as session:
        # the leader died at 07:59:57; its standby took over at 08:00:04
        assert missed_instants(session, reminders, at(8, 0, 4), grace) == {"reminders": at(8)}
        assert missed_instants(session, reminders, at(7, 59, 57), grace) == {}  # yesterday's is long past
    assert run_job(runtime, "reminders", at(8, 0, 4), Fence("reminders", at(8), None)) != ALREADY_DONE
    assert runs_of(database, "reminders") == (at(8), 1)
    with database.unit_of_work(write=False) as session:
        assert missed_instants(session, reminders, at(8, 0, 9), grace) == {}
    # the instant's own run, reaching it late, runs nothing
    assert run_job(runtime, "reminders", at(8, 0, 5), Fence("reminders", at(8), None)) == ALREADY_DONE
    assert runs_of(database, "reminders") == (at(8), 1)
    # the next day's is the next day's
    assert run_job(runtime, "reminders", at(8, day=4), Fence("reminders", at(8, day=4), None)) != ALREADY_DONE
    assert runs_of(database, "reminders") == (at(8, day=4), 2)


def test_a_deposed_leader_runs_nothing(world, database, runtime, backend, clock):
    if backend != "postgresql":
        pytest.skip("the leadership epoch goes with the PostgreSQL lock")
    make_hazard(database, world, state="reported", now=clock() - timedelta(days=5))
    with database.engine.connect() as connection:
        old = take_leadership(connection, "old", clock())
        connection.commit()
        assert take_leadership(connection, "new", clock()) == old + 1
        connection.commit()
    now = clock()
    with pytest.raises(NotLeader):
        run_job(runtime, "reminders", now, Fence("reminders", now, old))
    with database.unit_of_work(write=False) as session:  # (the report's own news aside)
        assert session.scalar(select(func.count()).select_from(Notification).where(Notification.kind != "reported")) == 0
    assert runs_of(database, "reminders") == (None, 0)
    assert "untriaged" in run_job(runtime, "reminders", now, Fence("reminders", now, old + 1))


def test_a_new_leader_waits_for_the_deposed_leaders_running_job_to_commit(app, settings, runtime, backend, clock):
    if backend != "postgresql":
        pytest.skip("the leadership epoch goes with the PostgreSQL lock")
    database = runtime.database = Database.for_role(settings, "jobs")  # this module's web role waits 1 s at most
    with database.engine.connect() as connection:
        epoch = take_leadership(connection, "old", clock())
        connection.commit()
    now = clock()
    admitted, finish, taken = threading.Event(), threading.Event(), []

    def slow_job():  # the old leader's job, admitted, still at work
        with database.unit_of_work() as session:
            assert Fence("reminders", now, epoch).admit(session)
            admitted.set()
            finish.wait(10)
            Fence("reminders", now, epoch).record(session, now)

    def take_over():
        with database.engine.connect() as connection:
            taken.append(take_leadership(connection, "new", clock()))
            connection.commit()

    job = threading.Thread(target=slow_job)
    job.start()
    admitted.wait(10)
    successor = threading.Thread(target=take_over)
    successor.start()
    with database.engine.connect() as watcher:  # the takeover waits for the job's commit...
        while True:
            waiting = watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                           "AND query LIKE 'INSERT INTO scheduler_leadership%'")).scalar_one()
            watcher.commit()  # the activity view is read once per transaction
            if waiting:
                break
            assert successor.is_alive() and taken == []
    assert taken == []
    finish.set()
    job.join()
    successor.join()
    assert taken == [epoch + 1]
    # ...after which the instant is done: the new leader's catch-up runs nothing
    assert run_job(runtime, "reminders", now, Fence("reminders", now, epoch + 1)) == ALREADY_DONE
    assert runs_of(database, "reminders")[1] == 1
    database.dispose()
