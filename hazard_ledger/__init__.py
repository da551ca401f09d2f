"""hazard-ledger: the hidden-danger ledger (隐患台账) of a trade union's safety campaign."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from hazard_ledger.config import Settings, load_settings


def create_app(config_override: Mapping[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """The web application: a flat list of init calls, in order."""
    from hazard_ledger.web import (
        App, init_api, init_auth, init_database, init_errors, init_headers, init_i18n, init_limits, init_pages,
        init_settings,
    )

    app = App(__name__, template_folder="web/templates", static_folder="web/static")
    init_settings(app, settings or load_settings(config_override))
    init_database(app)
    init_i18n(app)
    init_auth(app)
    init_limits(app)
    init_api(app)
    init_pages(app)
    init_errors(app)
    init_headers(app)
    return app
