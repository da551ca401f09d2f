"""The request's unit of work: one session per request, opened on first use, in write
mode for unsafe methods; views that change something call `commit()` once."""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app, g, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hazard_ledger.clock import local_today
from hazard_ledger.config import Settings
from hazard_ledger.db import Database
from hazard_ledger.errors import Conflict
from hazard_ledger.security import Passwords


def database() -> Database:
    return current_app.extensions["hazard_ledger.db"]


def settings() -> Settings:
    return current_app.extensions["hazard_ledger.settings"]


def passwords() -> Passwords:
    return current_app.extensions["hazard_ledger.passwords"]


def session() -> Session:
    if "db_session" not in g:
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session, g.db_token = database().open_session(write)
    return g.db_session


def one_statement(view):
    """For a view whose only write is one statement on PostgreSQL (a report: counter,
    code, hazard and history in one INSERT): its session commits that statement as it
    ends (`Database.open_session`). The year's code counter is then held for the
    statement alone, not also for the round trip of a COMMIT, and the request saves the
    BEGIN and COMMIT round trips (about a fifth more reports a second under load).
    Place it above the login check, which would open an ordinary session.

    Under an Idempotency-Key the session is an ordinary transaction, opened before (the
    key's row must commit with the report: web/idempotency.py)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if "idempotency" in g:
            return view(*args, **kwargs)
        if "db_session" in g:  # a decorator placed too low: the session has begun its transaction
            raise RuntimeError("db.one_statement must come before anything that opens the session")
        g.db_session, g.db_token = database().open_session(write=True, one_statement=True)
        return view(*args, **kwargs)

    return wrapper


def commit() -> None:
    """Commit the request's unit of work. Under an Idempotency-Key this flushes only: the
    answer is stored with the write, in the same transaction, and web/idempotency.py
    commits both once the view has answered (commit_answered)."""
    _end_unit_of_work(flush_only="idempotency" in g)


def commit_answered() -> None:
    _end_unit_of_work(flush_only=False)


def _end_unit_of_work(flush_only: bool) -> None:
    try:
        if flush_only:
            session().flush()
        else:
            session().commit()
    except (StaleDataError, IntegrityError) as error:
        session().rollback()
        raise Conflict("数据已被他人修改，请刷新后重试 / the data changed meanwhile; reload and retry") from error


def close_request_session(_exception=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        try:
            db_session.rollback()
        except SQLAlchemyError:  # the connection died with the request (answered 503); it is discarded
            current_app.logger.info("rollback of a request's session failed", exc_info=True)
        Database.close_session(db_session, g.pop("db_token"))


def now() -> datetime:
    return current_app.config["CLOCK"]()


def zone() -> ZoneInfo:
    return settings().timezone


def today():
    return local_today(now(), zone())


__all__ = ["commit", "commit_answered", "database", "now", "one_statement", "passwords", "session", "settings", "today",
           "zone"]
