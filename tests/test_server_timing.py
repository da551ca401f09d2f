"""The Server-Timing header the page benchmark reads: off by default, and when
[server] server_timing is on, the app's time and CPU time on pages, the API and errors."""

from __future__ import annotations

import re

import pytest

from hazard_ledger import create_app
from hazard_ledger.config import load_settings
from hazard_ledger.config_error import ConfigError

TIMING = re.compile(r"^app;dur=\d+\.\d, cpu;dur=\d+\.\d$")


def test_no_server_timing_by_default(client):
    assert "Server-Timing" not in client.get("/login").headers


def test_server_timing_when_turned_on(settings_override, database):
    app = create_app(settings=load_settings({**settings_override, "server": {"server_timing": True}}, environ={}))
    client = app.test_client()
    try:
        for path, status in (("/login", 200), ("/healthz", 200), ("/api/v1/hazards", 401), ("/no-such-page", 404)):
            answer = client.get(path)
            assert answer.status_code == status, path
            assert TIMING.match(answer.headers["Server-Timing"]), (path, answer.headers.get("Server-Timing"))
    finally:
        app.extensions["hazard_ledger.db"].dispose()


def test_server_timing_is_true_or_false(settings_override):
    with pytest.raises(ConfigError, match="server.server_timing"):
        load_settings({**settings_override, "server": {"server_timing": "yes"}}, environ={})
