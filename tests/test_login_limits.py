"""Failed logins are counted in the database: every worker process and host, the sign-in
page and the API share one count. The guesser is refused with 429 and Retry-After while
the real user still signs in; the public form's limit holds across processes too, and
behind a trusted reverse proxy counts each reporter's own address."""


import pytest
from sqlalchemy import select

from hazard_ledger import create_app
from hazard_ledger.config import load_settings
from hazard_ledger.throttle.models import LoginAttempt, RateLimitCounter
from tests.conftest import PASSWORD
from tests.test_api import assert_error
from tests.test_pages import csrf_token

GUESSER = {"REMOTE_ADDR": "198.51.100.66"}
OFFICE = {"REMOTE_ADDR": "192.0.2.10"}


def api_login(client, username, password, address=GUESSER):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password}, environ_base=address)


def page_login(client, username, password, address=GUESSER):
    form = client.get("/login", environ_base=address)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(form.text)}, environ_base=address)


@pytest.fixture
def second_app(settings, clock):
    """Another worker process: its own app, engine and limiter state, the same database."""
    other = create_app(settings=settings)
    other.config.update(TESTING=True, CLOCK=clock)
    yield other
    other.extensions["hazard_ledger.db"].dispose()


def test_the_page_and_the_api_share_one_count(client, world):
    for attempt in range(10):
        login = page_login if attempt % 2 else api_login
        assert login(client, "officer_a1", "wrong-guess").status_code == 401
    refused = api_login(client, "officer_a1", PASSWORD)  # refused without a look at the password
    assert_error(refused, 429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    page = page_login(client, "officer_a1", PASSWORD)
    assert page.status_code == 429 and "登录失败次数过多" in page.text and page.headers["Retry-After"]


def test_two_processes_share_the_count(app, second_app, world):
    clients = [app.test_client(), second_app.test_client()]
    for attempt in range(10):
        assert api_login(clients[attempt % 2], "officer_a1", "wrong-guess").status_code == 401
    for client in clients:
        assert_error(api_login(client, "officer_a1", PASSWORD), 429, "rate_limited")
        assert page_login(client, "officer_a1", PASSWORD).status_code == 429


def test_the_real_user_signs_in_from_elsewhere_while_the_guesser_is_refused(client, world):
    for _ in range(10):
        assert api_login(client, "officer_a1", "wrong-guess").status_code == 401
    assert api_login(client, "officer_a1", PASSWORD).status_code == 429
    assert api_login(client, "officer_a1", PASSWORD, OFFICE).status_code == 200
    assert page_login(client, "officer_a1", PASSWORD, OFFICE).status_code == 302


def test_many_usernames_from_one_address_are_refused(client, world):
    for n in range(50):
        assert api_login(client, f"guess{n}", "wrong-guess").status_code == 401
    assert_error(api_login(client, "officer_b1", PASSWORD), 429, "rate_limited")
    assert api_login(client, "officer_b1", PASSWORD, OFFICE).status_code == 200


def test_a_guess_from_many_addresses_spares_the_users_known_address(client, world):
    assert api_login(client, "officer_a1", PASSWORD, OFFICE).status_code == 200  # the user's usual address
    for n in range(30):
        assert api_login(client, "officer_a1", "wrong-guess", {"REMOTE_ADDR": f"203.0.113.{n}"}).status_code == 401
    assert_error(api_login(client, "officer_a1", PASSWORD, {"REMOTE_ADDR": "203.0.113.200"}), 429, "rate_limited")
    assert api_login(client, "officer_a1", PASSWORD, OFFICE).status_code == 200
    assert api_login(client, "officer_b1", PASSWORD, {"REMOTE_ADDR": "203.0.113.200"}).status_code == 200


def test_the_refusal_ends_when_the_window_moves_on(app, client, world, clock):
    for _ in range(10):
        assert api_login(client, "officer_a1", "wrong-guess").status_code == 401
        clock.advance(seconds=30)
    refused = api_login(client, "officer_a1", PASSWORD)
    wait = int(refused.headers["Retry-After"])
    assert refused.status_code == 429 and wait == 15 * 60 - 10 * 30  # until the first guess leaves the window
    clock.advance(seconds=wait - 1)
    assert api_login(client, "officer_a1", PASSWORD).status_code == 429
    clock.advance(seconds=1)
    assert api_login(client, "officer_a1", PASSWORD).status_code == 200


def test_a_successful_login_forgives_the_earlier_typos(client, world):
    for _ in range(9):
        assert api_login(client, "officer_a1", "typo").status_code == 401
    assert api_login(client, "officer_a1", PASSWORD).status_code == 200
    for _ in range(9):
        assert api_login(client, "officer_a1", "typo").status_code == 401
    assert api_login(client, "officer_a1", PASSWORD).status_code == 200


def test_the_database_keeps_no_username_nor_address_in_clear(client, database, world):
    api_login(client, "my-password-typed-as-username", "x")
    api_login(client, "officer_a1", PASSWORD)
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(select(LoginAttempt)).all()
    assert len(rows) == 2
    for row in rows:
        assert "password" not in row.account and "officer" not in row.account and "198.51" not in row.address


def test_the_public_form_limit_holds_across_processes(app, second_app, world, database):
    url = f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards"
    body = {"location": "车间", "description": "漏油", "anonymous": True}
    clients = [app.test_client(), second_app.test_client()]
    for n in range(30):
        assert clients[n % 2].post(url, json=body, environ_base=GUESSER).status_code == 201
    for client in clients:
        assert_error(client.post(url, json=body, environ_base=GUESSER), 429, "rate_limited")
    assert clients[1].post(url, json=body, environ_base=OFFICE).status_code == 201
    with database.unit_of_work(write=False) as session:
        keys = session.scalars(select(RateLimitCounter.key)).all()
    assert keys and not [key for key in keys if "198.51" in key]  # no reporter's address is kept


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_trusted_proxy_each_reporter_has_their_own_count(settings_override, world, proxies):
    override = {**settings_override, "server": {"trusted_proxies": proxies}}
    proxied = create_app(settings=load_settings(override, environ={}))
    proxied.config.update(TESTING=True)
    client = proxied.test_client()
    url = f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards"
    body = {"location": "车间", "description": "漏油", "anonymous": True}
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    try:
        for n in range(30):
            forwarded = {"X-Forwarded-For": f"203.0.113.{n % 2}"}
            assert client.post(url, json=body, headers=forwarded, environ_base=proxy).status_code == 201
        after = client.post(url, json=body, headers={"X-Forwarded-For": "203.0.113.99"}, environ_base=proxy)
        # trusted: a new reporter behind the proxy is not refused; untrusted: X-Forwarded-For
        # changes nothing, so nobody escapes the limit by sending it
        assert after.status_code == (201 if proxies else 429)
    finally:
        proxied.extensions["hazard_ledger.db"].dispose()
