"""Chinese by default, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, has_app_context, request
from flask_babel import Babel, Domain

LOCALES = ("zh", "en")
COOKIE = "lang"


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    return current_app.extensions["hazard_ledger.settings"]["app"]["default_locale"]


class RequestDomain(Domain):
    """Flask-Babel's message domain, its catalogue found once a request: a page of a few
    hundred rows says _() (and shows words.py's lazy words) thousands of times, and
    finding the catalogue again through the context, the locale and the cache costs each
    call far more than the translation (bench/pages.py). It is kept where Flask-Babel
    keeps the request's locale, whose refresh() and force_locale() drop it with it."""

    def get_translations(self):
        context = g.get("_flask_babel") if has_app_context() else None
        if context is None:
            return super().get_translations()
        catalogue = getattr(context, "babel_translations", None)
        if catalogue is None:
            catalogue = context.babel_translations = super().get_translations()
        return catalogue


def init_babel(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).resolve().parent / "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    babel = Babel(app, locale_selector=select_locale)
    babel.domain_instance = RequestDomain()

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
