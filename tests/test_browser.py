"""The pages in a real browser: Playwright driving Debian's Chromium against the app
served on loopback. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, PNG
from tests.factories import make_hazard

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it as root)"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}


def overflows(page) -> bool:
    """Whether the page runs off the side (scrolls sideways)."""
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth + 1")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, server, username):
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_worker_reports_from_a_phone_and_gets_a_receipt(server, browser, world, tmp_path):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{server}/r/{world.report_token['A1']}")
    shot(page, "qr-form-phone")
    page.fill("#location", "二号车间配电箱旁")
    page.fill("#description", "配电箱门未关闭，地面有积水")
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    page.set_input_files("#photos", str(photo))
    page.check("#anonymous")
    page.click("button[type=submit]")
    receipt = page.text_content("[data-testid=receipt]").strip()
    assert len(receipt) == 24
    shot(page, "receipt-phone")
    page.goto(f"{server}/receipt/{receipt}")
    assert "待确认" in page.text_content("[data-testid=state]")
    phone.close()


def test_a_safety_officer_assigns_progresses_rectifies_and_closes(server, browser, world, database, clock):
    hazard_id = make_hazard(database, world)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "officer_a1")
    page.goto(f"{server}/ledger")
    shot(page, "ledger")
    page.goto(f"{server}/hazards/{hazard_id}")
    page.click("details[data-event=assign] summary")
    page.fill("#assign-measure", "更换防水配电箱")
    page.fill("#assign-deadline", (clock.today() + timedelta(days=7)).isoformat())
    page.fill("#assign-responsible_unit", "设备科")
    page.fill("#assign-responsible_person", "张三")
    page.fill("#assign-protective_measures", "设置警戒线")
    page.click("details[data-event=assign] button[type=submit]")
    assert "整改中" in page.content()
    for event, fields in (("progress", {"note": "已采购"}),
                          ("rectify", {"note": "已更换", "completed_on": clock.today().isoformat()}),
                          ("close", {"note": "验收合格，同意销号"})):
        page.click(f"details[data-event={event}] summary")
        for name, value in fields.items():
            page.fill(f"#{event}-{name}", value)
        page.click(f"details[data-event={event}] button[type=submit]")
    assert "已销号" in page.content() and "验收销号" in page.content()
    shot(page, "hazard-closed")


def test_an_inspector_sees_the_most_overdue_enterprise_first(server, browser, world, database, clock):
    now = clock()
    make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None,
                now=now - timedelta(days=60))
    make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None,
                now=now - timedelta(days=20))
    make_hazard(database, world, state="assigned", now=now - timedelta(days=15))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "inspector_city")
    page.goto(f"{server}/audit")
    first = page.locator("[data-testid=ranking] tbody tr").first.text_content()
    assert "企业B1" in first
    shot(page, "audit")


PHONE_PAGES = {
    "officer_a1": ["/ledger", "/inbox", "/compliance", "/enterprises/{A1}/roster", "/qr/{A1}"],
    "inspector_city": ["/audit", "/compliance", "/rewards"],
    "worker_a1": ["/mine"],
}


@pytest.mark.parametrize("username", sorted(PHONE_PAGES))
def test_every_main_page_fits_a_phone(server, browser, world, database, username, clock):
    """On a 390-pixel screen the page never scrolls sideways: wide tables scroll inside their card."""
    make_hazard(database, world, state="assigned", now=clock() - timedelta(days=12))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    sign_in(page, server, username)
    for path in PHONE_PAGES[username]:
        answer = page.goto(server + path.format(A1=world.enterprise["A1"]))
        assert answer.status == 200, path
        shot(page, f"phone-{username}-{path.strip('/').split('/')[0]}")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    phone.close()


def test_a_form_without_its_csrf_token_is_refused(server, browser, world):
    page = browser.new_page()
    answer = page.request.post(f"{server}/login", form={"username": "officer_a1", "password": PASSWORD})
    assert answer.status == 400


def test_english_is_one_click_away(server, browser, world):
    page = browser.new_page()
    page.goto(f"{server}/r/{world.report_token['A1']}")
    assert "隐患举报" in page.content()
    page.click("a.lang")
    assert "Report a hazard" in page.content()
    shot(page, "qr-form-english")


def test_the_pages_obey_their_policy_and_the_header_button_signs_out(server, browser, world, database):
    """Under the Content-Security-Policy nothing a page needs is refused (styles, the print
    script, the QR code); the header's sign-out button POSTs, and the session is gone."""
    hazard_id = make_hazard(database, world, state="closed")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    sign_in(page, server, "officer_a1")
    for path in ("/", "/ledger", f"/hazards/{hazard_id}", f"/hazards/{hazard_id}/print",
                 f"/qr/{world.enterprise['A1']}", "/password", f"/r/{world.report_token['A1']}"):
        assert page.goto(server + path).status == 200, path
    page.goto(f"{server}/hazards/{hazard_id}/print")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("[data-print]")
    assert page.evaluate("() => window.printed") == 1  # the print button's script ran, from its own file
    assert refused == []
    page.goto(f"{server}/ledger")
    page.click("header form button.link")
    assert page.url == f"{server}/login"
    assert page.goto(f"{server}/ledger").url.startswith(f"{server}/login")
