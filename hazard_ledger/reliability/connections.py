"""How a process talks to PostgreSQL: timeouts by the role of the process, TCP
keepalives, and the client's own deadline for an answer.

Without them a connection that the network drops silently (a firewall forgets it, a
cable is pulled, a proxy stops forwarding) holds the request that uses it for ever:
libpq waits for an answer with no limit, and the server's statement_timeout cannot fire
for a statement the server never received. So:

- the server ends a statement after `statement_timeout` and a transaction left idle
  after `idle_in_transaction_session_timeout` (its locks, such as the year's hazard-code
  counter, are released), both by the role of the process: a web request is short, a
  job may sweep a million hazards;
- the kernel gives up a connection whose data stays unacknowledged for
  `tcp_user_timeout`, and finds a dead peer of an idle one by keepalives;
- and since a peer can acknowledge without answering (a proxy, a frozen server), the
  client gives up any wait for an answer (statement, commit, rollback) after the
  statement timeout plus a grace: a watchdog thread shuts the connection's socket, the
  blocked read fails at once and the connection is discarded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Iterator, Mapping

import psycopg

log = logging.getLogger("hazard_ledger.db")

ROLES = ("web", "jobs")


@dataclass(frozen=True)
class ConnectionLimits:
    """The limits of one role's connections, all in seconds ([database] in the settings)."""

    role: str
    connect_timeout: int
    pool_timeout: int
    statement_timeout: int
    idle_in_transaction_timeout: int
    answer_grace: int
    keepalives_idle: int
    keepalives_interval: int
    keepalives_count: int
    tcp_user_timeout: int

    @classmethod
    def for_role(cls, database: Mapping[str, Any], role: str) -> "ConnectionLimits":
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return cls(
            role=role,
            connect_timeout=database["connect_timeout_seconds"],
            pool_timeout=database["pool_timeout_seconds"],
            statement_timeout=database[f"{role}_statement_timeout_seconds"],
            idle_in_transaction_timeout=database[f"{role}_idle_in_transaction_timeout_seconds"],
            answer_grace=database["answer_grace_seconds"],
            keepalives_idle=database["tcp_keepalives_idle_seconds"],
            keepalives_interval=database["tcp_keepalives_interval_seconds"],
            keepalives_count=database["tcp_keepalives_count"],
            tcp_user_timeout=database["tcp_user_timeout_seconds"],
        )

    def for_probe(self, seconds: int) -> "ConnectionLimits":
        """The limits of a readiness probe: connected and answered within `seconds`."""
        return replace(self, connect_timeout=seconds, statement_timeout=seconds, answer_grace=0)

    @property
    def answer_deadline(self) -> int:
        """Seconds the client waits for any answer: past the server's own statement
        timeout, so that a server that is there always answers first."""
        return self.statement_timeout + self.answer_grace

    def add_to(self, parameters: dict) -> None:
        """Add the limits to libpq connection `parameters` (those of the URL win)."""
        parameters.setdefault("connect_timeout", self.connect_timeout)
        parameters.setdefault("keepalives", 1)
        parameters.setdefault("keepalives_idle", self.keepalives_idle)
        parameters.setdefault("keepalives_interval", self.keepalives_interval)
        parameters.setdefault("keepalives_count", self.keepalives_count)
        parameters.setdefault("tcp_user_timeout", self.tcp_user_timeout * 1000)
        parameters.setdefault("application_name", f"hazard-ledger {self.role}")
        server = (f"-c statement_timeout={self.statement_timeout * 1000} "
                  f"-c idle_in_transaction_session_timeout={self.idle_in_transaction_timeout * 1000}")
        # the URL's own options (the tests' search_path) come first and are kept
        parameters["options"] = f"{parameters['options']} {server}" if parameters.get("options") else server


class Watchdog:
    """Ends waits for an answer that passed their deadline, by shutting the socket of the
    connection that waits: the blocked read then fails at once, as if the server had gone.
    One thread per process, asleep while nothing waits."""

    TICK_SECONDS = 0.25

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a gunicorn worker starts its own

    def _reset(self) -> None:
        self._lock = threading.Condition()
        self._armed: dict[int, tuple[float, "DeadlinedConnection"]] = {}
        self._thread: threading.Thread | None = None

    def arm(self, connection: "DeadlinedConnection", seconds: float) -> None:
        with self._lock:
            self._armed[id(connection)] = (time.monotonic() + seconds, connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="database-answer-watchdog", daemon=True)
                self._thread.start()
            elif len(self._armed) == 1:
                self._lock.notify()

    def disarm(self, connection: "DeadlinedConnection") -> None:
        with self._lock:
            self._armed.pop(id(connection), None)

    def _watch(self) -> None:
        while True:
            with self._lock:
                while not self._armed:
                    self._lock.wait()
                now = time.monotonic()
                for key, (deadline, connection) in list(self._armed.items()):
                    if deadline <= now:
                        # under the lock: the connection is still inside its wait, so its socket is its own
                        del self._armed[key]
                        connection.cut()
            time.sleep(self.TICK_SECONDS)


WATCHDOG = Watchdog()


class DeadlinedConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server (a statement, its results, a
    commit, a rollback) ends after `answer_timeout` seconds with an OperationalError; the
    connection is then closed, and SQLAlchemy discards it from the pool."""

    answer_timeout: float | None = None
    _cut = False

    def wait(self, gen, *args, **kwargs):
        if not self.answer_timeout:
            return super().wait(gen, *args, **kwargs)
        WATCHDOG.arm(self, self.answer_timeout)
        try:
            return super().wait(gen, *args, **kwargs)
        except psycopg.Error as error:
            if self._cut:
                raise psycopg.OperationalError(
                    f"no answer from the database within {self.answer_timeout:g} s; the connection was closed"
                ) from error
            raise
        finally:
            WATCHDOG.disarm(self)

    def cut(self) -> None:
        """Shut the socket (another thread waits on it); the waiting call fails."""
        self._cut = True
        try:
            with socket.socket(fileno=os.dup(self.pgconn.socket)) as duplicate:
                duplicate.shutdown(socket.SHUT_RDWR)
        except (OSError, psycopg.Error):
            return  # closed meanwhile: nothing waits on it any more
        log.warning("no answer from the database within %g s: connection closed", self.answer_timeout)


@contextlib.contextmanager
def answer_within(connection, seconds: float) -> Iterator[None]:
    """Within the block, the SQLAlchemy `connection` waits at most `seconds` for an
    answer (the scheduler's check of its lock, which must notice a dead link quickly)."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, DeadlinedConnection):
        yield
        return
    before = driver.answer_timeout
    driver.answer_timeout = seconds
    try:
        yield
    finally:
        driver.answer_timeout = before


def connect(limits: ConnectionLimits, cargs: tuple, cparams: dict) -> DeadlinedConnection:
    """A new connection with the role's limits (SQLAlchemy's do_connect hook)."""
    limits.add_to(cparams)
    connection = DeadlinedConnection.connect(*cargs, **cparams)
    connection.answer_timeout = limits.answer_deadline
    return connection
