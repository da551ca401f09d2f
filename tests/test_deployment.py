"""The multi-process deployment on PostgreSQL: the planner uses the indexes of the sweep
and of the list, and several schedulers and delivery processes on one database deliver
every notification exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.models import Notification
from hazard_ledger.notifications.reminders import reminders, sweep_reminders
from tests.factories import make_hazard

pytestmark = [pytest.mark.slow, pytest.mark.wall_clock]  # other processes and real leases read the machine's clock


@pytest.fixture
def postgresql(backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL deployment checks")


def plan_of(database, sql: str, **params) -> str:
    with database.engine.begin() as connection:
        # the rows here are few; forbidding sequential scans asks "can this query use an index at all"
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        rows = connection.execute(text("EXPLAIN " + sql), params).scalars().all()
    return "\n".join(rows)


def test_the_sweep_and_the_list_use_their_indexes(postgresql, world, database, settings, clock):
    now = clock()
    with database.engine.begin() as connection:
        # plans depend on the table's size on disk: start from a new file, not one bloated by the
        # rows earlier tests wrote and deleted (the fixtures empty tables with DELETE, for speed)
        connection.execute(text("TRUNCATE hazards CASCADE"))
        connection.execute(insert(Hazard), [
            # like a city: one enterprise's rows are a small share of the ledger
            {"code": f"YH-T-{n:06d}", "enterprise_id": world.enterprise["A1" if n % 60 == 0 else "B1"],
             "state": ("assigned", "closed", "reported")[n % 3], "location": "车间", "description": "x",
             "reported_at": now, "channel": "login", "anonymous": False, "deadline": clock.today() + timedelta(days=n % 60 - 30),
             "chain_head": "0" * 64, "history_length": 0, "version": 1} for n in range(3000)])
        # statistics of every table the sweep joins: the tests before this one left dead rows
        # behind (each test empties the tables with DELETE), which the planner would count
        connection.execute(text("ANALYZE hazards, enterprises, jurisdictions, users, notifications"))
    # every statement of the sweep, as it runs: each finds its hazards through an index
    statements = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if "INSERT INTO notifications" in statement:
            statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.engine.connect() as connection:
            with Session(connection) as session:
                sweep_reminders(session, now, settings)
                session.rollback()
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    indexes = {"ix_hazards_state_deadline", "ix_hazards_assigned_last_progress_at", "ix_hazards_reported_reported_at"}
    used = set()
    for statement, parameters in statements:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
        # (a level for major hazards alone may start from the grade index instead)
        assert "Seq Scan on hazards" not in plan and any(index in plan for index in indexes | {"ix_hazards_grade_state"}), plan
        used |= {index for index in indexes if index in plan}
    assert used == indexes and len(statements) == len(reminders(settings))
    page = plan_of(database, "SELECT * FROM hazards WHERE enterprise_id = :e AND state = 'assigned' AND id < :before "
                             "ORDER BY id DESC LIMIT 51", e=world.enterprise["A1"], before=2000)
    assert "ix_hazards_enterprise_state_id" in page, page
    newest = plan_of(database, "SELECT * FROM hazards WHERE enterprise_id = :e ORDER BY id DESC LIMIT 51",
                     e=world.enterprise["A1"])
    assert "ix_hazards_enterprise_id_id" in newest or "ix_hazards_enterprise_state_id" in newest, newest


def test_two_schedulers_and_three_delivery_processes_deliver_each_message_once(postgresql, world, database, database_url,
                                                                              tmp_path):
    from tests.test_delivery import LOOPBACK_CONFIG, Receiver, hooks  # the loopback webhook receiver
    import threading

    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        hooks(database, world, receiver, group=("generic", "A1", None))
        for _ in range(30):
            make_hazard(database, world, state="assigned", responsible=None)
        receiver.delay = 0.02
        config = tmp_path / "deploy.toml"
        config.write_text('[scheduler]\nstandby_poll_seconds = 0.3\ndeliver = "* * * * *"\n' + LOOPBACK_CONFIG,
                          encoding="utf-8")
        env = {**os.environ, "HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": str(config)}
        schedulers = [subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", "scheduler"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            deliverers = [subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", "jobs", "run", "deliver"],
                                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                          for _ in range(3)]
            for process in deliverers:
                assert process.wait(timeout=120) == 0
        finally:
            for process in schedulers:
                process.terminate()
                process.wait(timeout=20)
        messages = 60  # each hazard's group message of its report (reported) and of its assignment
        deadline = time.monotonic() + 10
        while len(receiver.requests) < messages and time.monotonic() < deadline:
            time.sleep(0.1)
        keys = receiver.keys()
        assert len(keys) == messages and len(set(keys)) == messages
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(postgresql, world, database):
    """A database restart closes every pooled connection; the next request must not fail."""
    world.report("worker_a1")
    with database.engine.connect() as connection:  # the pool's connection, as the request left it
        pooled = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    administrator = create_engine(database.engine.url, poolclass=NullPool)
    with administrator.connect() as outsider:
        outsider.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pooled})
        for _ in range(100):  # the backend says goodbye as it exits
            if outsider.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pooled}).scalar() == 0:
                break
            time.sleep(0.05)
    administrator.dispose()
    hazard = world.report("worker_a1")
    assert hazard["code"]
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pooled


def test_the_unread_badge_counts_through_its_own_index(postgresql, world, database, clock):
    """The header's badge is a count on every page: of a user's unread notifications only,
    from the partial index of the unread (revision 0017), however many were read over the years."""
    now = clock()
    with database.engine.begin() as connection:
        connection.execute(insert(Notification), [
            {"kind": "overdue", "recipient_user_id": world.user["officer_a1" if n % 10 == 0 else "officer_b1"],
             "message": "m", "dedup_key": f"badge-{n}", "created_at": now, "read_at": None if n % 50 == 0 else now}
            for n in range(3000)])
        connection.execute(text("ANALYZE notifications"))
    plan = plan_of(database, "SELECT count(*) FROM notifications WHERE recipient_user_id = :u AND read_at IS NULL",
                   u=world.user["officer_a1"])
    assert "ix_notifications_unread" in plan, plan
