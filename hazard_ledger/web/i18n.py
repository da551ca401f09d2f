"""Chinese by default, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel

LOCALES = ("zh", "en")
COOKIE = "lang"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    return current_app.extensions["hazard_ledger.settings"]["app"]["default_locale"]


def init_babel(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).resolve().parent / "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def _remember_choice(response):
        chosen = request.args.get("lang")
        if chosen in LOCALES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response

    from hazard_ledger.web.words import hazard_words

    app.context_processor(hazard_words)

    @app.context_processor
    def _locale_context():
        return {"current_locale": select_locale(), "other_locale": "en" if select_locale() == "zh" else "zh"}
