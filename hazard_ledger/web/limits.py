"""Rate limits: the public form per client address, failed logins per account."""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


class DecoratedLimitsOnly(Limiter):
    """Every limit here decorates its view, and a decorated view checks its own limits.
    The check Flask-Limiter also runs before every request serves default, application
    and blueprint limits, which this service has none of: it is skipped, and with it a
    good part of every API request's time."""

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = DecoratedLimitsOnly(key_func=get_remote_address, default_limits=[])


def public_report_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_REPORT"]


def failed_login_limit() -> str:
    return current_app.config["RATELIMIT_FAILED_LOGIN"]


def login_account_key() -> str:
    """The account a login names, from JSON or a form; failures count against it."""
    username = None
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("username"), str):
            username = body["username"]
    else:
        username = request.form.get("username")
    return "login:" + (username or "").strip().lower()


def failed_login(response) -> bool:
    return response.status_code == 401


limit_public_reports = limiter.limit(public_report_limit, methods=["POST"])
limit_failed_logins = limiter.limit(failed_login_limit, key_func=login_account_key, deduct_when=failed_login,
                                    methods=["POST"])
