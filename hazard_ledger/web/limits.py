"""Rate limits: the public form per client address (Flask-Limiter, counting in the
database by default), failed logins per account and address (hazard_ledger.throttle)."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests

from hazard_ledger.organisations.models import User
from hazard_ledger.organisations.operations import authenticate
from hazard_ledger.throttle import logins
from hazard_ledger.throttle.storage import DatabaseStorage
from hazard_ledger.web import db


class DecoratedLimitsOnly(Limiter):
    """Every limit here decorates its view, and a decorated view checks its own limits.
    The check Flask-Limiter also runs before every request serves default, application
    and blueprint limits, which this service has none of: it is skipped, and with it a
    good part of every API request's time."""

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = DecoratedLimitsOnly(key_func=get_remote_address, default_limits=[])


def keyed_digest(purpose: str, value: str) -> str:
    """What the database keeps instead of a client address or a typed username: an HMAC
    under the app's secret key, good for counting and for nothing else."""
    message = f"{purpose}\0{value}".encode("utf-8", "surrogatepass")
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()


class AppDatabaseStorage(DatabaseStorage):
    """`[limits] storage_uri = "database://"`: the database of the app at hand."""

    STORAGE_SCHEME = ["database"]

    def database(self):
        return db.database()

    def digest(self, key: str) -> str:
        return keyed_digest("limit", key)


def init_limits(app, settings) -> None:
    app.config.update(
        RATELIMIT_STORAGE_URI=settings["limits"]["storage_uri"],
        RATELIMIT_HEADERS_ENABLED=True,
        # the count lives in the database: while the database is away, the view that needs
        # it answers 503 `unavailable` itself; the limiter's own reads (the rate-limit
        # headers, written after the view) must not turn a stored report into a 500
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_PUBLIC_REPORT=settings["limits"]["public_report"],
    )
    app.extensions["hazard_ledger.login_limits"] = logins.LoginLimits.from_settings(settings["limits"])
    limiter.init_app(app)


def public_report_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_REPORT"]


def limit_public_reports(view):
    """The public form's limit per client address, checked before the request's
    Idempotency-Key is claimed (web/idempotency.py): the limiter counts on a connection of
    its own, which on SQLite would wait for the claim's write transaction to end. Place
    it above `db.one_statement`."""
    from hazard_ledger.web.idempotency import idempotent

    return limiter.limit(public_report_limit, methods=["POST"])(idempotent(view))


def authenticate_within_limits(username: str, password: str) -> User | None:
    """The user with these credentials, or None, as `authenticate`; first the failed-login
    limits, shared by the sign-in page and POST /api/v1/auth/token: over one, a 429 with
    Retry-After, and the password is not looked at.

    Its writes are units of work ahead of the request's (web/db.py), each committed at
    once and kept whatever the request does next: the attempt, counted by every process
    before any of them checks a password (of many attempts at once, no more than a
    limit's number reach the check), then either the refused attempt taken back or the
    password's verdict (a right one forgives the account's failures from this address),
    which stands although the request then fails (a wrong password answers 401, a right
    current password with a refused new one 422)."""
    limits: logins.LoginLimits = current_app.extensions["hazard_ledger.login_limits"]
    with db.unit_of_work_ahead() as session:
        attempt = logins.begin_attempt(session, limits, keyed_digest("account", username.strip().casefold()),
                                       keyed_digest("address", request.remote_addr or ""), db.now())
    user = None
    with db.unit_of_work_ahead() as session:
        retry_after = logins.refusal(session, limits, attempt, db.now())
        if retry_after is None:
            user = authenticate(session, username, password, db.passwords())
            if user is not None:
                logins.attempt_succeeded(session, attempt)
    if retry_after is not None:
        raise TooManyRequests(retry_after=retry_after)
    return user
