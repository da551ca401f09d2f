"""Dual prevention in a real browser (Playwright driving Debian's Chromium): an officer
registers a risk point by its LEC choices and sees its colour; the assignee, on a phone,
opens the risk point's QR link, fails a check with a photo; the officer finds the new
hazard in the ledger with its source. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os

import pytest

from tests.conftest import PNG
from tests.test_browser import CHROMIUM, browser, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def fits(page) -> None:
    """The page never scrolls sideways."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


def register_point(page, server, enterprise_id, name, location, l, e, c, checks):  # noqa: E741
    page.goto(f"{server}/enterprises/{enterprise_id}/risk-points/new")
    page.fill("#name", name)
    page.select_option("#kind", "equipment")
    page.fill("#location", location)
    page.fill("#dangers", "机械伤害\n触电")
    page.fill("#controls", "双手启动按钮完好\n防护罩完好")
    page.check("#method-lec")
    page.select_option("#lec_l", l)
    page.select_option("#lec_e", e)
    page.select_option("#lec_c", c)
    page.fill("#checks", "\n".join(checks))


def test_an_officer_registers_a_risk_point_by_lec_choices_and_sees_its_colour(server, browser, world):
    for label, options in (("1366", DESKTOP), ("390", PHONE)):
        context = browser.new_context(**options)
        page = context.new_page()
        sign_in(page, server, "officer_a1")
        name = f"冲压机-{label}"
        register_point(page, server, world.enterprise["A1"], name, "二号车间", "6", "6", "7",
                       ["双手按钮是否完好", "防护罩是否完好"])
        preview = page.locator("[data-preview] .chip")  # the page grades as the choices are made
        assert preview.text_content() == "较大风险" and "orange" in preview.get_attribute("class")
        assert page.locator(".matrix-only").first.is_hidden()
        shot(page, f"prevention-point-form-{label}")
        page.click("button[type=submit].primary")
        colour = page.locator("[data-testid=colour]")
        assert colour.get_attribute("data-colour") == "orange" and "较大风险" in colour.text_content()
        assert page.evaluate("getComputedStyle(document.querySelector('[data-testid=colour]')).backgroundColor") \
            == "rgb(249, 115, 22)"
        fits(page)
        shot(page, f"prevention-point-{label}")
        page.goto(f"{server}/enterprises/{world.enterprise['A1']}/risk-points")
        assert page.locator("svg.four-colour g[data-colour=orange]").count() == 1
        fits(page)
        shot(page, f"prevention-register-{label}")
        context.close()


def test_the_assignee_fails_a_check_on_a_phone_and_the_officer_finds_the_hazard(server, browser, world, tmp_path):
    desk = browser.new_context(**DESKTOP)
    officer = desk.new_page()
    sign_in(officer, server, "officer_a1")
    register_point(officer, server, world.enterprise["A1"], "液氨储罐", "罐区", "3", "6", "40",
                   ["压力表是否在检定期内", "泄漏报警器是否正常", "围堰是否完好"])
    officer.click("button[type=submit].primary")
    point_id = int(officer.url.split("/risk-points/")[1].split("?")[0])
    officer.goto(f"{server}/enterprises/{world.enterprise['A1']}/inspection-plans")
    officer.check(f"input[name=risk_point_ids][value='{point_id}']")
    officer.select_option("#frequency", "daily")
    officer.select_option("#assignee_user_id", str(world.user["worker_a1"]))
    officer.click("button[type=submit].primary")
    officer.goto(f"{server}/risk-points/{point_id}/qr")
    address = officer.text_content("[data-testid=address]").strip()
    assert address.endswith(f"/risk-points/{point_id}/inspect")
    shot(officer, "prevention-poster-1366")

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(server + address.split("hazard-ledger.test", 1)[1])  # the QR code's path, on the test server
    assert "/login" in page.url  # sign in first...
    page.fill("#username", "worker_a1")
    page.fill("#password", "correct-horse-9")
    page.click("button[type=submit]")
    page.wait_for_url("**/inspections/*")  # ...then straight to the due inspection
    page.locator(".check-item").first.wait_for()
    assert page.locator(".check-item").count() == 3
    fits(page)
    shot(page, "prevention-inspection-390")
    page.click(".check-item[data-check='0'] label:has(input[value='1'])")
    page.click(".check-item[data-check='1'] label:has(input[value='0'])")
    page.click(".check-item[data-check='2'] label:has(input[value='1'])")
    assert page.locator("#photo-1").is_visible() and page.locator("#photo-0").is_hidden()
    page.fill("#note-1", "报警器无显示")
    photo = tmp_path / "alarm.png"
    photo.write_bytes(PNG)
    page.set_input_files("#photo-1", str(photo))
    shot(page, "prevention-inspection-filled-390")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/inspections/*?submitted=1")
    assert page.locator("[data-testid=state]").text_content() == "已完成"
    assert page.locator("[data-testid=hazard-link]").count() == 1
    fits(page)
    shot(page, "prevention-inspection-done-390")
    phone.close()

    officer.goto(f"{server}/ledger")
    row = officer.locator("table.ledger tbody tr").first
    row.wait_for()
    assert "液氨储罐" in row.text_content() and "隐患排查" in row.text_content()
    assert row.locator("[data-testid=source]").text_content() == "隐患排查"
    shot(officer, "prevention-ledger-1366")
    row.locator("a").first.click()
    officer.wait_for_url("**/hazards/**")
    assert "隐患排查" in officer.text_content("[data-testid=source]")
    assert officer.locator(".photos img").count() == 1
    shot(officer, "prevention-hazard-1366")
    desk.close()
