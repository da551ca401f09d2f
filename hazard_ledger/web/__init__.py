"""The Flask adapters: they parse, check permission, call an operation and answer; the
request's unit of work (hazard_ledger/web/db.py) commits around them."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from hazard_ledger.clock import utcnow
from hazard_ledger.config import Settings, resolve_secret_key
from hazard_ledger.db import Database
from hazard_ledger.security import Passwords


class App(Flask):
    """Flask, every view run as the request's unit of work (web/db.py): no view commits."""

    def dispatch_request(self):
        from hazard_ledger.web.db import in_unit_of_work

        return in_unit_of_work(super().dispatch_request)


def is_api_path(path: str) -> bool:
    """The JSON API lives under /api/: bearer tokens, no cookie session, no CSRF form
    tokens, the error envelope, no caching."""
    return path.startswith("/api/")


def init_settings(app: Flask, settings: Settings) -> None:
    from hazard_ledger.validation import IdConverter
    from hazard_ledger.web.bodies import JsonBodyRequest

    app.extensions["hazard_ledger.settings"] = settings
    app.url_map.converters["id"] = IdConverter
    app.request_class = JsonBodyRequest
    upload_limit = settings["uploads"]["max_bytes"]
    secret_key, generated = resolve_secret_key(settings)
    if generated:  # `serve` makes the key before its workers start; this is the app served some other way
        logging.getLogger("hazard_ledger").warning(secret_key_message(generated))
    app.config.update(
        SECRET_KEY=secret_key,
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
    if proxies := settings["server"]["trusted_proxies"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # the client's address, scheme and host as the proxies saw them: the public form's
        # limit then counts each reporter's address, not the proxy's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def secret_key_message(path) -> str:
    return (f"generated a secret key in {path}; it is kept for the next start "
            f"(set HAZARD_LEDGER_SECRET_KEY to use your own)")


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
    from hazard_ledger.web.limits import init_limits as init

    init(app, app.extensions["hazard_ledger.settings"])


def init_api(app: Flask) -> None:
    from hazard_ledger.web.api import register_api

    register_api(app)


def init_pages(app: Flask) -> None:
    from hazard_ledger.web.views import register_pages

    register_pages(app)


def init_errors(app: Flask) -> None:
    from hazard_ledger.web.errors import register_error_handlers

    register_error_handlers(app)


def init_headers(app: Flask) -> None:
    from hazard_ledger.web.headers import init_headers as init

    init(app)
