"""A new report reaches the safety officer, in a real browser (Playwright driving Debian's
Chromium, as tests/test_browser.py), at a 390-px phone's and a 1366-px laptop's width:
a worker reports on /r/<token>, the officer signs in and sees the unread count on the
header's inbox link, opens the inbox, presses 全部已读, and the count is gone. Screenshots
of the inbox before and after, in both languages, go to
test-artifacts/screenshots/inbox-*.png."""

from __future__ import annotations

import os

import pytest

from tests.test_browser import CHROMIUM, browser, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
WIDTHS = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
          "laptop": {"viewport": {"width": 1366, "height": 900}}}


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


def report(browser, server, token: str, location: str, description: str) -> None:
    """A worker on a phone, from the QR code: no login."""
    worker = browser.new_context(**WIDTHS["phone"])
    page = worker.new_page()
    page.goto(f"{server}/r/{token}")
    page.fill("#location", location)
    page.fill("#description", description)
    page.check("#anonymous")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=receipt]")
    worker.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_sees_a_new_report_in_the_header_and_reads_all(server, browser, world, width):  # noqa: F811
    token = world.report_token["A1"]
    report(browser, server, token, "二号车间配电箱旁", "配电箱门未关闭，地面有积水，箱内接线端子裸露，存在触电风险")
    report(browser, server, token, "三号仓库", "灭火器压力不足")
    context = browser.new_context(**WIDTHS[width])
    page = context.new_page()
    sign_in(page, server, "officer_a1")
    badge = page.locator("[data-testid=unread-badge]")
    assert badge.text_content() == "2"
    for language in ("en", "zh"):  # the page speaks the language last chosen: Chinese for what follows
        page.goto(f"{server}/inbox?lang={language}")
        assert page.locator("article.notice.unread").count() == 2
        assert "三号仓库" in page.text_content("main") and "新的隐患报告" in page.text_content("main")
        no_sideways_scroll(page)
        shot(page, f"inbox-unread-{width}-{language}")
    page.click("[data-testid=inbox-link]")
    page.click("[data-testid=read-all]")
    page.wait_for_selector("[data-testid=done]")
    assert page.locator("[data-testid=unread-badge]").count() == 0
    assert page.locator("article.notice.unread").count() == 0 and page.locator("[data-testid=read-all]").count() == 0
    assert "已全部标为已读" in page.text_content("[role=status]")
    no_sideways_scroll(page)
    shot(page, f"inbox-read-{width}-zh")
    page.goto(f"{server}/inbox?lang=en")
    assert page.locator("[data-testid=unread-badge]").count() == 0
    shot(page, f"inbox-read-{width}-en")
    page.goto(f"{server}/ledger?lang=zh")
    assert page.locator("[data-testid=unread-badge]").count() == 0
    context.close()
