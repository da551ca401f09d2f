"""Engine, session and the unit of work.

Operations receive a Session, flush and never commit; the caller (CLI command, job)
owns one `unit_of_work` and commits once, a request through hazard_ledger/web/db.py.
SQLite is set up for a service: WAL, a busy timeout, and IMMEDIATE transactions for
writers so two writers queue instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from datetime import datetime, timezone
from pathlib import Path
from select import POLLERR, POLLHUP, POLLIN, poll
from types import ModuleType
from typing import Iterator, Sequence

from sqlalchemy import JSON, DateTime, MetaData, Row, Table, Text, bindparam, cast, create_engine, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from hazard_ledger.reliability.connections import ConnectionLimits, connect
from hazard_ledger.sqltext import sqlite_local_minute

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


# Whether the transaction about to begin will write (SQLite: BEGIN IMMEDIATE).
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def commits_each_statement(session: Session) -> bool:
    """Whether the session runs in autocommit (`Database.open_session(one_statement=True)`
    on PostgreSQL): each statement it sends commits as it ends, so its work must be one."""
    bind = session.bind
    return bind is not None and bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def dialect_of(session: Session) -> ModuleType:
    """The dialect module (`postgresql` or `sqlite`) whose INSERT … ON CONFLICT fits the
    session's database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def insert_new(session: Session, table: Table, rows: Sequence[dict], returning: Sequence[ColumnElement],
               key: str = "dedup_key") -> list[Row]:
    """Insert the `rows` (dicts with the same keys) whose `key` is not in `table` yet, in one
    statement; answers the `returning` columns of the rows written.

    On PostgreSQL the rows travel as one array per column through unnest(): a short
    statement whatever the number of rows, where a VALUES list would make the driver
    build and the server parse a statement as long as the data."""
    if not rows:
        return []
    names = list(rows[0])
    if dialect_of(session) is sqlite:
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=[key]).returning(*returning)
        return list(session.connection().execute(statement, list(rows)))
    arrays, as_json = [], set()
    for name in names:
        column_type = table.c[name].type
        values = [row[name] for row in rows]
        if isinstance(column_type, JSON):  # travels as text, becomes JSON on the server
            as_json.add(name)
            column_type, values = Text(), [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        arrays.append(bindparam(f"p_{name}", values, type_=postgresql.ARRAY(column_type)))
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    chosen = select(*[cast(source.c[n], table.c[n].type) if n in as_json else source.c[n] for n in names])
    statement = (postgresql.insert(table).from_select(names, chosen)
                 .on_conflict_do_nothing(index_elements=[key]).returning(*returning))
    return list(session.connection().execute(statement))


def _refuse_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection that the server has closed (a restart, pg_terminate_backend,
    an idle timeout) is replaced before use. An idle connection has nothing to read
    unless the server said goodbye, so a glance at its socket tells: this costs no
    round trip, where pool_pre_ping would cost one on every request. (A rare unasked
    message, such as a notice after a configuration reload, costs a new connection.)"""
    if dbapi_connection.closed:
        raise DisconnectionError()
    socket = poll()
    socket.register(dbapi_connection.fileno(), POLLIN | POLLHUP | POLLERR)
    if socket.poll(0):
        raise DisconnectionError()


def make_engine(url: str, busy_timeout_ms: int = 30000, limits: ConnectionLimits | None = None, **options) -> Engine:
    """An engine for `url`; SQLite gets WAL, busy timeout and IMMEDIATE writers;
    PostgreSQL the `limits` of the process's role (hazard_ledger/reliability/connections.py)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if limits is not None and "poolclass" not in options:
            options.setdefault("pool_timeout", limits.pool_timeout)
        engine = create_engine(url, **options)
        event.listen(engine, "checkout", _refuse_closed_by_server)
        if limits is not None:
            event.listen(engine, "do_connect",
                         lambda _dialect, _record, cargs, cparams: connect(limits, cargs, cparams))
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, _record):
        # Take transaction control from the driver so BEGIN IMMEDIATE is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function("hl_local_minute", 2, sqlite_local_minute, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")

    return engine


class Database:
    """One engine and its session factory; created once per process."""

    def __init__(self, url: str, busy_timeout_ms: int = 30000, limits: ConnectionLimits | None = None, **options):
        self.url = url
        self.limits = limits
        self.engine = make_engine(url, busy_timeout_ms, limits, **options)
        self._probe: Engine | None = None
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        # The same engine and pool, its connections in autocommit while checked out:
        # for a unit of work that is one statement (see open_session)
        self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @classmethod
    def for_role(cls, settings, role: str) -> "Database":
        """The database as a process of `role` uses it: "web" (requests) or "jobs" (the
        scheduler, jobs and the command line), each with its own timeouts on PostgreSQL."""
        database = settings["database"]
        return cls(settings.database_url, database["sqlite_busy_timeout_ms"], ConnectionLimits.for_role(database, role))

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def reachable(self, seconds: int) -> bool:
        """Whether the database answers within `seconds` (GET /readyz). On PostgreSQL by a
        connection of its own, never one from the pool, which may be exhausted or stuck."""
        try:
            if not self.is_postgresql or self.limits is None:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                return True
            if self._probe is None:
                self._probe = make_engine(self.url, limits=self.limits.for_probe(seconds), poolclass=NullPool)
            with self._probe.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except SQLAlchemyError:
            return False

    @contextlib.contextmanager
    def unit_of_work(self, write: bool = True, one_statement: bool = False) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any exception.
        `one_statement`: as in `open_session`."""
        session, token = self.open_session(write, one_statement)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self.close_session(session, token)

    def open_session(self, write: bool, one_statement: bool = False) -> tuple[Session, contextvars.Token]:
        """For request scoping: a session whose first transaction honours `write`.
        `one_statement`: its only write is one statement, which on PostgreSQL then runs
        in autocommit and commits as it ends (SQLite, where the same work is several
        statements, keeps its transaction)."""
        if one_statement and self.is_postgresql:
            return self.session_factory(bind=self._autocommit_engine), _write_intent.set(write)
        return self.session_factory(), _write_intent.set(write)

    @staticmethod
    def close_session(session: Session, token: contextvars.Token) -> None:
        session.close()
        _write_intent.reset(token)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._probe is not None:
            self._probe.dispose()
