"""The request's unit of work, in one place: one session per request, opened on first
use, in write mode for unsafe methods. `in_unit_of_work` runs every view (the app's
`dispatch_request`, hazard_ledger/web/__init__.py): when the view returns an answer
that is not an error (below 400) to an unsafe method, the session commits; otherwise
(an exception, an error answer, a GET) the request's teardown rolls it back. Views
never commit.

- A commit that meets a concurrent change (StaleDataError, IntegrityError) is the 409
  Conflict of the error envelope, as raised by the view itself.
- A page that re-renders its form after a failed operation calls `discard()`: the
  operation's partial write is undone before the page is rendered, and nothing of the
  request is committed, whatever status the page answers.
- A report, or a transition without effects (`one_statement`), on PostgreSQL commits as
  its statement ends; the commit at the end then has nothing left to do.
- Under an Idempotency-Key (web/idempotency.py) the stored answer is added to the same
  session after the view, and the one commit keeps both or neither.
- What must be kept although the request then fails (the failed-login counts,
  web/limits.py) is written in `unit_of_work_ahead()`, committed as its block ends."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from flask import Response, current_app, g, request
from flask.typing import ResponseReturnValue
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


def uploads():
    """Where photos go and how large they may be ([uploads] of the configuration)."""
    from hazard_ledger.hazards.attachments import Uploads

    configured = settings()
    return Uploads(configured.upload_dir, configured["uploads"]["max_bytes"], configured["uploads"]["max_pixels"])


def passwords() -> Passwords:
    return current_app.extensions["hazard_ledger.passwords"]


READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


def session() -> Session:
    if "db_session" not in g:
        write = request.method not in READ_ONLY_METHODS
        g.db_session, g.db_token = database().open_session(write)
    return g.db_session


def one_statement(view=None, *, when: Callable[[], bool] | None = None):
    """For a view whose only write is one statement on PostgreSQL (a report: counter,
    code, hazard and history in one INSERT; a transition without effects: the hazard's
    UPDATE and its history entry): its session commits that statement as it ends
    (`Database.open_session`). A report's code counter is then held for the statement
    alone, not also for the round trip of a COMMIT, and the request saves the BEGIN and
    COMMIT round trips (about a fifth more reports a second under load). `when`: asked
    before the view, whether this request's write is one statement (a transition's event
    may have effects, which are more rows). Place it above the login check, which would
    open an ordinary session.

    Under an Idempotency-Key the session is an ordinary transaction, opened before (the
    key's row must commit with the write: web/idempotency.py)."""
    if view is None:
        return lambda view: one_statement(view, when=when)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if "idempotency" in g or (when is not None and not when()):
            return view(*args, **kwargs)
        if "db_session" in g:  # a decorator placed too low: the session has begun its transaction
            raise RuntimeError("db.one_statement must come before anything that opens the session")
        g.db_session, g.db_token = database().open_session(write=True, one_statement=True)
        return view(*args, **kwargs)

    return wrapper


def in_unit_of_work(dispatch: Callable[[], ResponseReturnValue]) -> Response:
    """Run the view (`dispatch`) as the request's unit of work: its answer, if not an
    error, to an unsafe method commits the session; anything else leaves the session to
    the teardown's rollback (`close_request_session`). The commit comes after the view has
    made its answer (serialised, rendered), so the answer was made from what the
    operation flushed."""
    response = current_app.make_response(dispatch())
    db_session = g.get("db_session")
    if (db_session is not None and request.method not in READ_ONLY_METHODS and response.status_code < 400
            and not g.get("unit_of_work_discarded")):
        _commit(db_session)
    return response


def discard() -> None:
    """Undo what the request has written so far (a failed operation's partial write),
    and commit nothing of it: for a page that answers its form again with the
    operation's errors. The session stays usable to render the page."""
    g.unit_of_work_discarded = True
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()


@contextmanager
def unit_of_work_ahead() -> Iterator[Session]:
    """A short unit of work of its own, committed as the block ends, before the request's
    unit of work and whatever becomes of it: for writes that every process must see at
    once and that stand even when the request then fails (the failed-login counts,
    web/limits.py). It uses the request's session (on SQLite a second connection would
    wait for this one's write lock), so it must come before the request writes anything.
    An exception out of the block rolls the block back."""
    db_session = session()
    if db_session.new or db_session.dirty or db_session.deleted:
        raise RuntimeError("a unit of work ahead must come before the request writes")
    try:
        yield db_session
    except BaseException:
        db_session.rollback()
        raise
    _commit(db_session)


def flush() -> None:
    """Send what the view wrote to the database, a concurrent change being the 409 as at
    the commit: before more is written in the same transaction (the stored answer of an
    Idempotency-Key), whose statement would otherwise flush it unguarded."""
    with _conflict_as_409(session()):
        session().flush()


def _commit(db_session: Session) -> None:
    with _conflict_as_409(db_session):
        db_session.commit()


@contextmanager
def _conflict_as_409(db_session: Session) -> Iterator[None]:
    try:
        yield
    except (StaleDataError, IntegrityError) as error:
        db_session.rollback()
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


__all__ = ["database", "discard", "flush", "in_unit_of_work", "now", "one_statement", "passwords", "session",
           "settings", "today", "unit_of_work_ahead", "zone"]
