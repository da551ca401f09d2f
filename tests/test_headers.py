"""Security headers on every response: a Content-Security-Policy without inline script,
no framing, no sniffing, no referrer (the QR form's address carries the report token),
HSTS over https, and no-store on every page, API answer, export and file."""

import re
from pathlib import Path

import pytest
from werkzeug.routing import Rule

from hazard_ledger import create_app
from hazard_ledger.config import load_settings
from tests.conftest import PASSWORD, PNG
from tests.factories import make_hazard
from tests.test_api import upload
from tests.test_pages import csrf_token

TEMPLATES = Path(__file__).resolve().parent.parent / "hazard_ledger" / "web" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def assert_secure(response, cacheable=False):
    where = f"{response.request.method} {response.request.path} ({response.status_code})"
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";") if d.strip())
    assert directives.get("script-src") == "'self'" and "unsafe" not in policy, where
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "no-referrer", where
    assert "Strict-Transport-Security" not in response.headers, where  # the tests' base_url is http
    if not cacheable:
        assert response.headers.get("Cache-Control") == "no-store", where
    if response.mimetype == "text/html":
        assert not INLINE_SCRIPT.search(response.get_data(as_text=True)), where


def sign_in(client, username):
    page = client.get("/login")
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf_token(page.text)}).status_code == 302


@pytest.fixture
def values(world, database, client):
    hazard_id = make_hazard(database, world, state="assigned")
    attachment = upload(world, "worker_a1", hazard_id, PNG, name="photo.png")
    assert attachment.status_code == 201
    receipt = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards",
                          json={"location": "车间", "description": "漏油", "anonymous": True}).json["receipt"]
    return {"hazard_id": hazard_id, "attachment_id": attachment.json["id"], "enterprise_id": world.enterprise["A1"],
            "period": "2026Q3", "event": "progress", "notification_id": 1, "report_token": world.report_token["A1"],
            "receipt": receipt, "award_id": 1, "action": "approve", "key": "a-form-key-never-sent",
            # ids of things not made here: their pages answer 404, with the same headers
            "notice_id": 1, "campaign_id": 1, "risk_point_id": 1, "plan_id": 1, "inspection_id": 1}


def page_rules(app) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if not rule.rule.startswith("/api/") and rule.endpoint not in ("static", "healthz")]


@pytest.mark.parametrize("username", [None, "admin", "officer_a1", "worker_a1"])
def test_every_page_route_sends_the_security_headers(app, client, values, username):
    if username:
        sign_in(client, username)
    seen = set()
    for rule in page_rules(app):
        path = rule.build({name: values[name] for name in rule.arguments})[1]
        method = "GET" if "GET" in rule.methods else "POST"  # a POST without its CSRF token: refused, still covered
        response = client.open(path, method=method)
        assert response.status_code < 500
        assert_secure(response)
        response.close()
        seen.add(rule.endpoint)
    assert {"pages.login", "pages.logout", "pages.report_form", "records.attachment_file", "work.ledger_export",
            "records.hazard_record", "work.poster", "records.statistics_record"} <= seen


def test_files_and_exports_are_never_cached(client, values):
    sign_in(client, "admin")
    photo = client.get(f"/files/{values['attachment_id']}")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    export = client.get("/ledger/export?format=xlsx")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    for response in (photo, export):
        assert_secure(response)
        response.close()


def test_a_sample_of_api_routes_sends_the_security_headers(world, client, values):
    token = world.auth("admin")
    for method, path, headers, status in [
        ("GET", "/healthz", {}, 200),
        ("GET", "/api/v1/openapi.json", {}, 200),
        ("GET", "/api/v1/me", {}, 401),
        ("GET", "/api/v1/me", token, 200),
        ("GET", "/api/v1/hazards", token, 200),
        ("GET", f"/api/v1/hazards/{values['hazard_id']}", token, 200),
        ("GET", "/api/v1/hazards/export?format=xlsx", token, 200),
        ("GET", "/api/v1/hazards/export?format=csv", token, 200),
        ("GET", f"/api/v1/attachments/{values['attachment_id']}", token, 200),
        ("GET", "/api/v1/rewards/export?year=2026", token, 200),
        ("GET", f"/api/v1/public/enterprises/{values['report_token']}", {}, 200),
        ("GET", f"/api/v1/public/receipts/{values['receipt']}", {}, 200),
        ("GET", "/api/v1/nowhere", {}, 404),
        ("POST", "/api/v1/auth/token", {}, 422),
    ]:
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == status, (path, response.status_code)
        assert_secure(response)
        response.close()


def test_static_files_may_be_cached_but_carry_the_policy(client):
    for name in ("app.css", "print.css", "print.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"
        assert_secure(response, cacheable=True)
        response.close()


def test_hsts_when_the_public_address_is_https(settings_override, world):
    override = {**settings_override, "app": {**settings_override["app"], "base_url": "https://ledger.example.org"}}
    secure = create_app(settings=load_settings(override, environ={}))
    try:
        for path in ("/login", "/healthz", "/static/app.css"):
            response = secure.test_client().get(path)
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
            response.close()
    finally:
        secure.extensions["hazard_ledger.db"].dispose()


def test_no_template_has_inline_script():
    for template in TEMPLATES.rglob("*.html"):
        assert not INLINE_SCRIPT.search(template.read_text(encoding="utf-8")), template
