"""The key that signs sessions, CSRF tokens and API tokens is never one anyone can read:
the placeholder the code once shipped and short keys stop start-up in one line, and
without a key one is generated into the instance folder once and kept."""

import logging
import os
import signal
import stat
import subprocess
import sys

import pytest

from hazard_ledger import create_app
from hazard_ledger.config import ConfigError, load_settings
from tests.conftest import PASSWORD, ROOT
from tests.test_pages import csrf_token
from tests.test_serve import free_port

PLACEHOLDER = "change-me-in-production"


@pytest.mark.parametrize("key, problem", [(PLACEHOLDER, "placeholder"), ("short-key", "too short"),
                                          (" " * 40, "too short"), ("a" * 40, "not random")])
def test_a_known_or_short_key_stops_start_up_in_one_line(tmp_path, key, problem):
    by_file = tmp_path / "site.toml"
    by_file.write_text(f'[app]\nsecret_key = "{key}"\n', encoding="utf-8")
    for environ in ({"HAZARD_LEDGER_SECRET_KEY": key}, {"HAZARD_LEDGER_CONFIG": str(by_file)}):
        with pytest.raises(ConfigError) as raised:
            load_settings(environ=environ, instance_dir=tmp_path)
        message = str(raised.value)
        assert "HAZARD_LEDGER_SECRET_KEY" in message and problem in message and "\n" not in message
    with pytest.raises(ConfigError, match="HAZARD_LEDGER_SECRET_KEY"):
        create_app({"app": {"secret_key": key}})


def test_serve_refuses_the_placeholder_before_it_starts_anything(tmp_path, database_url):
    server = subprocess.Popen(
        [sys.executable, "-m", "hazard_ledger.cli", "serve", "--port", str(free_port()), "--workers", "1",
         "--no-scheduler"],
        env={**os.environ, "HAZARD_LEDGER_SECRET_KEY": PLACEHOLDER, "HAZARD_LEDGER_DATABASE_URL": database_url},
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # it served on the placeholder
        os.killpg(server.pid, signal.SIGKILL)
        server.communicate()
        pytest.fail("serve started with the shipped placeholder key")
    assert server.returncode != 0 and stdout == ""
    assert stderr.count("\n") == 1 and "HAZARD_LEDGER_SECRET_KEY" in stderr and "placeholder" in stderr
    assert "Traceback" not in stderr and not (tmp_path / "instance").exists()


def test_without_a_key_one_is_generated_once_and_kept_across_restarts(tmp_path, settings_override, world, caplog):
    override = {**settings_override, "app": {**settings_override["app"], "secret_key": ""}}
    settings = load_settings(override, environ={}, instance_dir=tmp_path / "instance")
    key_file = tmp_path / "instance" / "secret_key"
    with caplog.at_level(logging.WARNING, logger="hazard_ledger"):
        first = create_app(settings=settings)
    generated = [r.getMessage() for r in caplog.records if "secret key" in r.getMessage()]
    assert generated == [f"generated a secret key in {key_file}; it is kept for the next start "
                         f"(set HAZARD_LEDGER_SECRET_KEY to use your own)"]
    assert first.secret_key == key_file.read_text().strip() and len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # the owner's alone
    # a browser signed in before a restart is still signed in after it: the same key
    browser = first.test_client()
    page = browser.get("/login")
    assert browser.post("/login", data={"username": "officer_a1", "password": PASSWORD,
                                        "csrf_token": csrf_token(page.text)}).status_code == 302
    cookie = browser.get_cookie("session").value
    first.extensions["hazard_ledger.db"].dispose()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hazard_ledger"):
        second = create_app(settings=settings)
    try:
        assert second.secret_key == first.secret_key
        assert not [r for r in caplog.records if "secret key" in r.getMessage()]  # said once, on the first start
        after_restart = second.test_client()
        after_restart.set_cookie("session", cookie)
        assert after_restart.get("/").status_code == 200
    finally:
        second.extensions["hazard_ledger.db"].dispose()


def test_the_shipped_defaults_carry_no_key():
    assert 'secret_key = ""' in (ROOT / "config" / "default.toml").read_text(encoding="utf-8")
