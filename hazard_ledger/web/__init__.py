"""The Flask adapters: they parse, check permission, call an operation, commit, answer."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from hazard_ledger.clock import utcnow
from hazard_ledger.config import Settings
from hazard_ledger.db import Database
from hazard_ledger.security import Passwords


def is_api_path(path: str) -> bool:
    """The JSON API lives under /api/: bearer tokens, no cookie session, no CSRF form
    tokens, the error envelope, no caching."""
    return path.startswith("/api/")


def init_settings(app: Flask, settings: Settings) -> None:
    from hazard_ledger.validation import IdConverter

    app.extensions["hazard_ledger.settings"] = settings
    app.url_map.converters["id"] = IdConverter
    upload_limit = settings["uploads"]["max_bytes"]
    app.config.update(
        SECRET_KEY=settings["app"]["secret_key"],
        # the whole multipart request may carry a little more than the file itself
        MAX_CONTENT_LENGTH=upload_limit + 64 * 1024,
        MAX_FORM_MEMORY_SIZE=upload_limit + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["app"]["base_url"].startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings["app"]["token_hours"]),
        JSON_AS_ASCII=False,
        CLOCK=utcnow,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False


def init_database(app: Flask) -> None:
    from hazard_ledger.web import db as request_db

    settings: Settings = app.extensions["hazard_ledger.settings"]
    app.extensions["hazard_ledger.db"] = Database.for_role(settings, "web")
    passwords = settings["passwords"]
    app.extensions["hazard_ledger.passwords"] = Passwords(
        passwords["argon2_time_cost"], passwords["argon2_memory_kib"], passwords["argon2_parallelism"]
    )
    app.teardown_request(request_db.close_request_session)


def init_i18n(app: Flask) -> None:
    from hazard_ledger.web.i18n import init_babel

    init_babel(app)


def init_auth(app: Flask) -> None:
    from hazard_ledger.web.auth import init_login

    init_login(app)


def init_limits(app: Flask) -> None:
    from hazard_ledger.web.limits import limiter

    settings: Settings = app.extensions["hazard_ledger.settings"]
    app.config.update(
        RATELIMIT_STORAGE_URI=settings["limits"]["storage_uri"],
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_PUBLIC_REPORT=settings["limits"]["public_report"],
        RATELIMIT_FAILED_LOGIN=settings["limits"]["failed_login"],
    )
    limiter.init_app(app)


def init_api(app: Flask) -> None:
    from hazard_ledger.web.api import register_api

    register_api(app)


def init_pages(app: Flask) -> None:
    from hazard_ledger.web.views import register_pages

    register_pages(app)


def init_errors(app: Flask) -> None:
    from hazard_ledger.web.errors import register_error_handlers

    register_error_handlers(app)
