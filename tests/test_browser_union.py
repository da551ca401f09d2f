"""The union's pages in a real browser (Playwright driving Debian's Chromium), at 1366 and
390 pixels: a notice issued from the audit, answered and escalated; a campaign created,
enrolled, scored, honoured and exported; a worker's phone opening the board from the QR
form. Screenshots go to test-artifacts/screenshots/union-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_hazard
from tests.test_browser import CHROMIUM, browser, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="Debian's chromium is not installed")]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits(page) -> None:
    """The page never scrolls sideways: wide tables scroll inside their card."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


def look_on_a_phone(browser, server, username: str, paths: list[str], name: str) -> None:  # noqa: F811
    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    page = phone.new_page()
    sign_in(page, server, username)
    for index, path in enumerate(paths):
        answer = page.goto(server + path)
        assert answer.status == 200, path
        shot(page, f"union-phone-{name}-{index}")
        fits(page)
    phone.close()


def test_an_inspector_issues_an_opinion_from_the_audit_the_officer_replies_the_inspector_escalates(
        server, browser, world, database, clock):  # noqa: F811
    hazard_id = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=20))
    inspector = browser.new_context(viewport=WIDE).new_page()
    sign_in(inspector, server, "inspector_a")
    inspector.goto(f"{server}/audit")
    inspector.check(f"input[name=hazard_ids][value='{hazard_id}']")
    shot(inspector, "union-audit-selected")
    inspector.click("[data-testid=issue-notice]")
    assert inspector.is_checked(f"input[name=hazard_ids][value='{hazard_id}']")
    inspector.select_option("#kind", "opinion")
    inspector.fill("#subject", "重大隐患逾期未整改")
    inspector.fill("#findings", "经监督检查，你单位二号车间配电箱漏电隐患已超过整改时限，尚未整改。")
    shot(inspector, "union-notice-form")
    inspector.click("[data-testid=issue]")
    number = inspector.text_content("[data-testid=number]").strip()
    assert number == f"甲区工劳监〔{clock.today().year}〕1号"
    assert "待回复" in inspector.text_content("[data-testid=state]")
    notice_url = inspector.url
    inspector.goto(f"{notice_url}/print")
    assert "意见书" in inspector.content()
    shot(inspector, "union-notice-print")

    officer = browser.new_context(viewport=WIDE).new_page()
    sign_in(officer, server, "officer_a1")
    assert number in officer.text_content("[data-testid=home-notices]")
    officer.click(f"text={number}")
    officer.fill("#reply-text", "收到意见书后立即停用该配电箱。")
    officer.fill("#reply-measures", "更换防水配电箱，加装漏电保护器，已完成。")
    officer.click("details[data-move=reply] button[type=submit]")
    assert "已回复" in officer.text_content("[data-testid=state]")
    shot(officer, "union-notice-replied")

    inspector.goto(notice_url)
    inspector.click("details[data-move=escalate] summary")
    inspector.fill("#escalate-authority", "兰山区应急管理局")
    inspector.fill("#escalate-note", "企业整改措施未落实到位，建议依法督促整改。")
    inspector.click("details[data-move=escalate] button[type=submit]")
    assert "已提出建议" in inspector.text_content("[data-testid=state]")
    inspector.click("[data-testid=recommendation]")
    assert "建议书" in inspector.content() and "兰山区应急管理局" in inspector.content()
    assert inspector.text_content("[data-testid=number]").strip() == f"甲区工劳监〔{clock.today().year}〕2号"
    shot(inspector, "union-recommendation")
    officer.goto(server + "/")
    assert officer.locator("[data-testid=home-notices]").count() == 0  # nothing left for the officer to answer
    inspector.goto(f"{notice_url}/print?lang=en")
    assert "Labour protection opinion" in inspector.content() and "劳动保护监督" not in inspector.content()
    shot(inspector, "union-notice-print-english")
    look_on_a_phone(browser, server, "officer_a1", ["/", notice_url.removeprefix(server), "/union"], "officer")


def test_a_union_creates_a_campaign_enrols_scores_selects_honours_and_exports(
        server, browser, world, database, tmp_path, clock):  # noqa: F811
    make_hazard(database, world, state="assigned")  # worker_a1's confirmed report: a candidate
    page = browser.new_context(viewport=WIDE, accept_downloads=True).new_page()
    sign_in(page, server, "inspector_city")
    page.goto(f"{server}/campaigns")
    year = clock.today().year
    page.select_option("#kind", "ankang_cup")
    page.fill("#title", f"{year}年“安康杯”竞赛")
    page.fill("#theme", "落实安全责任 推动安全发展")
    page.fill("#focus", "隐患排查治理\n全员安全培训")
    page.fill("#starts_on", f"{year}-01-01")
    page.fill("#ends_on", f"{year}-12-31")
    page.click("[data-testid=create-campaign]")
    campaign_url = page.url
    page.check("input[data-check-all=enterprise_ids]")
    page.click("[data-testid=enrol]")
    coverage = page.text_content("[data-testid=coverage]")
    assert "100%" in coverage
    shot(page, "union-campaign")
    page.click("[data-testid=scores] >> text=企业A1")
    assert "依据" in page.content()
    page.fill("#points-management", "14")
    page.fill("#note-management", "制度健全，台账规范")
    page.fill("#points-union_role", "9")
    page.click("[data-testid=save-scores]")
    assert "评分已保存" in page.content()
    shot(page, "union-campaign-score")
    page.fill("#points-management", "16")
    page.click("[data-testid=save-scores]")
    assert "0 至 15" in page.content()
    page.goto(campaign_url)
    page.click("[data-testid=honours-link]")
    candidate = page.locator("[data-testid=individual-candidate]").first
    candidate.locator("input[name=reason]").fill("主动报告配电箱漏电隐患")
    candidate.locator("button").click()
    assert "Worker A1" in page.text_content("[data-testid=honours]")
    shot(page, "union-honours")
    page.goto(campaign_url)
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    saved = tmp_path / "results.xlsx"
    download.value.save_as(saved)
    from openpyxl import load_workbook
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[0][0] == "名次" and {row[1] for row in rows[1:]} == {"A1", "A2", "B1"}
    page.goto(f"{campaign_url}/result")
    shot(page, "union-campaign-result")
    fits(page)
    look_on_a_phone(browser, server, "inspector_city", [campaign_url.removeprefix(server), "/campaigns"], "inspector")


def test_a_worker_opens_the_board_from_the_qr_form_on_a_phone(server, browser, world, database, clock):  # noqa: F811
    make_hazard(database, world, state="assigned", now=clock() - timedelta(days=12))
    make_hazard(database, world, state="closed", location="仓库", description="消防通道堵塞")
    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{server}/r/{world.report_token['A1']}")
    page.click("[data-testid=board-link]")
    assert "隐患治理公示栏" in page.content()
    assert "逾期 2 天" in page.text_content("[data-testid=open]")
    assert "消防通道堵塞" in page.text_content("[data-testid=closed]")
    assert "张三" not in page.content()  # the responsible person is not named on the board
    shot(page, "union-board-phone")
    fits(page)
    phone.close()
    wide = browser.new_page(viewport=WIDE)
    wide.goto(f"{server}/b/{world.report_token['A1']}")
    shot(wide, "union-board-wide")
