"""Chinese by default, English on request (?lang=en, remembered in a cookie)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, request
from flask_babel import Babel, Domain, gettext
from flask_babel import lazy_gettext as _l

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


def one_language(text) -> str:
    """The operations speak "中文 / English" (the API's messages carry both); a page shows
    the half of its language."""
    zh, _sep, en = str(text).partition(" / ")
    return (en or zh) if select_locale() == "en" else zh


# marshmallow's own messages are English only; a page says them in its language
FIELD_PROBLEMS = [
    (re.compile(r"^(Missing data for required field|Field may not be null|Shorter than minimum length 1)\.$"),
     _l("必填")),
    (re.compile(r"^(Not a valid (integer|number)|Number too large|Special numeric values .*)\.$"), _l("须为数字")),
    (re.compile(r"^(Not a valid date\.|.* cannot be formatted as a date\.)$"), _l("日期格式不正确")),
    (re.compile(r"^Must be one of: .*\.$"), _l("请从列表中选择")),
    (re.compile(r"^Must be (greater|less) than .*\.$"), _l("超出允许的范围")),
    (re.compile(r"^Unknown field\.$"), _l("此表单没有这一项")),
    (re.compile(r"^(Not a valid (string|utf-8 string)|Invalid value|Invalid input type)\.$"), _l("输入有误")),
]
TOO_LONG = re.compile(r"^(Longer than maximum length|Length must be between \d+ and) (\d+)\.$")


def page_problem(text) -> str:
    """A field's problem as an operation or a schema put it, in the page's language only."""
    text = str(text)
    longest = TOO_LONG.match(text)
    if longest:
        return gettext("最多 %(count)s 个字", count=longest.group(2))
    for pattern, words in FIELD_PROBLEMS:
        if pattern.match(text):
            return str(words)
    return one_language(text)


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
