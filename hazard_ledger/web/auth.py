"""Who is calling: a bearer token (API) or a Flask-Login session (pages)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache, wraps

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from hazard_ledger.organisations.models import User
from hazard_ledger.organisations.operations import user_by_id
from hazard_ledger.web import db, is_api_path

login_manager = LoginManager()


class Unauthorized(Exception):
    """No valid credentials: 401 with the error envelope."""


class PagesOnlySessions(SecureCookieSessionInterface):
    """The session cookie belongs to the pages: an API request neither reads nor writes
    it, since the API takes bearer tokens only (and is spared the cookie's cost)."""

    def open_session(self, app, request):
        if is_api_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_login(app: Flask) -> None:
    app.session_interface = PagesOnlySessions()
    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.session_protection = "strong"


def _current(user_id: object, epoch: object) -> User | None:
    """The user, if still active and the session or token was issued in their current
    epoch: logout, a new password and deactivation move the epoch on (User.session_epoch)."""
    if not isinstance(user_id, int) or not isinstance(epoch, int):
        return None
    user = user_by_id(db.session(), user_id)
    return user if user is not None and user.active and user.session_epoch == epoch else None


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    # User.get_id: "id:epoch"
    user_id, _, epoch = session_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    return _current(int(user_id), int(epoch))


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.secret_key)


class _ServiceClockSigner(TimestampSigner):
    """Stamps and ages tokens by the service's clock (the app's CLOCK), like every other
    time the service keeps, instead of the machine's."""

    def get_timestamp(self) -> int:
        return int(db.now().timestamp())


@lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="hazard-ledger.api-token", signer=_ServiceClockSigner)


def issue_token(user: User) -> tuple[str, datetime]:
    hours = db.settings()["app"]["token_hours"]
    token = _serializer().dumps({"uid": user.id, "epoch": user.session_epoch})
    return token, db.now().astimezone(timezone.utc).replace(microsecond=0) + timedelta(hours=hours)


def _user_from_token(token: str) -> User | None:
    max_age = db.settings()["app"]["token_hours"] * 3600
    try:
        claims = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(claims, dict):
        return None
    return _current(claims.get("uid"), claims.get("epoch"))


def api_caller() -> User | None:
    """The caller of an API request, by bearer token only: the API takes no session
    cookie, so it needs no CSRF token and a page cannot be tricked into calling it."""
    if "api_caller" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.api_caller = _user_from_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    return g.api_caller


def require_caller() -> User:
    user = api_caller()
    if user is None:
        raise Unauthorized()
    return user


def login_required_api(view):
    """The API's login check; the view receives the caller as `caller`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, caller=require_caller(), **kwargs)

    return wrapper
