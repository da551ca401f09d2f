"""Server-rendered pages: Flask-Login sessions, Flask-WTF forms with CSRF."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from flask_wtf.csrf import CSRFProtect

from hazard_ledger import permissions
from hazard_ledger.web import is_api_path

csrf = CSRFProtect()


def _unread_notifications() -> int:
    """The unread badge of the header's inbox link: one COUNT per page, for the signed-in
    user (the index on notifications(recipient_user_id, id) finds their rows). An error
    page answered because the database failed shows no badge rather than failing again."""
    from hazard_ledger.notifications.operations import unread_count
    from hazard_ledger.web import db

    try:
        return unread_count(db.session(), current_user)
    except SQLAlchemyError:
        return 0


def register_pages(app: Flask) -> None:
    from hazard_ledger.web.views import pages, prevention, records, union, work

    # The API authenticates by bearer token only, so only pages need CSRF tokens.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)

    @app.before_request
    def _protect_forms():
        if request.method == "POST" and not is_api_path(request.path):
            view = app.view_functions.get(request.endpoint)
            if photos := getattr(view, "photos_allowed", None):  # views/forms.py accepts_photos
                request.max_content_length = photos * app.config["MAX_CONTENT_LENGTH"]
            if app.config.get("WTF_CSRF_ENABLED", True):
                csrf.protect()

    # templates ask the same named predicates as the operations (what a link offers is
    # what its page allows), never the role itself
    app.jinja_env.globals["permissions"] = permissions
    app.jinja_env.globals["unread_notifications"] = _unread_notifications
    app.register_blueprint(pages.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(work.bp)
    app.register_blueprint(union.bp)
    app.register_blueprint(prevention.bp)
