"""Signing out, a new password and deactivation end every page session and API token
of the user at once, a captured cookie included; GET /logout only asks."""

import pytest
from click.testing import CliRunner

from hazard_ledger.cli import cli
from tests.conftest import PASSWORD
from tests.test_pages import csrf_token

NEW_PASSWORD = "battery-staple-7"


def sign_in(app, username="officer_a1", password=PASSWORD):
    browser = app.test_client()
    page = browser.get("/login")
    answer = browser.post("/login", data={"username": username, "password": password,
                                          "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302, answer.text
    return browser


def captured(app, browser):
    """Another browser holding a copy of `browser`'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/").status_code == 200
    return thief


def token_of(client, username="officer_a1", password=PASSWORD) -> dict:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json['token']}"}


def signed_in(browser) -> bool:
    answer = browser.get("/")
    assert answer.status_code in (200, 302)
    return answer.status_code == 200


@pytest.fixture
def run(database_url, tmp_path, app):
    config = tmp_path / "fast.toml"
    config.write_text("[passwords]\nargon2_time_cost = 1\nargon2_memory_kib = 1024\nargon2_parallelism = 1\n",
                      encoding="utf-8")
    env = {"HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": str(config)}

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


def test_logout_ends_every_session_and_token_of_the_user(app, client, world):
    browser, other_device = sign_in(app), sign_in(app)
    thief = captured(app, browser)
    token = token_of(client)
    bystander = sign_in(app, "officer_b1")
    page = browser.get("/")
    assert browser.post("/logout", data={"csrf_token": csrf_token(page.text)}).headers["Location"] == "/login"
    assert not signed_in(browser) and not signed_in(thief) and not signed_in(other_device)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert signed_in(bystander)  # another user is untouched
    again = sign_in(app)  # and the user signs in again as before
    assert signed_in(again) and client.get("/api/v1/me", headers=token_of(client)).status_code == 200


def test_get_logout_only_asks(app, world):
    browser = sign_in(app)
    page = browser.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text and 'method="post"' in page.text
    assert signed_in(browser)
    assert app.test_client().get("/logout").headers["Location"] == "/login"  # nobody to ask


def test_logout_without_its_csrf_token_is_refused(app, world):
    browser = sign_in(app)
    assert browser.post("/logout").status_code == 400
    assert browser.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in(browser)


def test_a_new_password_from_the_command_line_ends_sessions_and_tokens(app, client, world, run):
    browser = sign_in(app)
    thief = captured(app, browser)
    token = token_of(client)
    result = run("users", "password", "officer_a1", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert not signed_in(browser) and not signed_in(thief)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": PASSWORD}).status_code == 401
    assert client.get("/api/v1/me", headers=token_of(client, password=NEW_PASSWORD)).status_code == 200
    short = run("users", "password", "officer_a1", "--password", "short")
    assert short.exit_code != 0 and short.output.count("\n") == 1 and "8" in short.output
    unknown = run("users", "password", "nobody", "--password", NEW_PASSWORD)
    assert unknown.exit_code != 0 and "nobody" in unknown.output


def test_a_new_password_on_the_page_keeps_this_browser_and_ends_the_others(app, client, world):
    browser, other_device = sign_in(app), sign_in(app)
    thief = captured(app, browser)
    token = token_of(client)
    form = browser.get("/password")
    assert form.status_code == 200
    wrong = browser.post("/password", data={"csrf_token": csrf_token(form.text), "current_password": "not-it-at-all",
                                            "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    mismatch = browser.post("/password", data={"csrf_token": csrf_token(form.text), "current_password": PASSWORD,
                                               "new_password": NEW_PASSWORD, "repeat_password": "battery-staple-8"})
    assert mismatch.status_code == 422 and signed_in(thief)  # nothing changed
    changed = browser.post("/password", data={"csrf_token": csrf_token(form.text), "current_password": PASSWORD,
                                              "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert changed.status_code == 200 and 'data-testid="password-changed"' in changed.text
    assert signed_in(browser)
    assert not signed_in(thief) and not signed_in(other_device)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert signed_in(sign_in(app, password=NEW_PASSWORD))


def test_deactivation_ends_sessions_and_tokens_and_activation_does_not_revive_them(app, client, world, run):
    browser = sign_in(app)
    thief = captured(app, browser)
    token = token_of(client)
    assert run("users", "deactivate", "officer_a1").exit_code == 0
    assert not signed_in(browser) and not signed_in(thief)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": PASSWORD}).status_code == 401
    assert run("users", "activate", "officer_a1").exit_code == 0
    assert not signed_in(thief) and client.get("/api/v1/me", headers=token).status_code == 401
    assert client.get("/api/v1/me", headers=token_of(client)).status_code == 200
