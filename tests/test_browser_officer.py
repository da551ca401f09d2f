"""The landing page, the ledger (cards on a phone), the roster and the compliance overview in a real browser, at a phone's and a laptop's
width, in both languages: nothing runs off the side, the recorded training is listed, and
a gap on the compliance page opens the form that closes it. Screenshots go to
test-artifacts/screenshots/home-*.png, ledger-*.png, roster-*.png and compliance-*.png."""

from __future__ import annotations


import pytest

from tests.factories import make_hazard
from tests.test_browser import CHROMIUM, WIDTHS, browser, overflows, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
def test_the_landing_page_roster_and_compliance_gaps_at_both_widths(server, browser, world, database, clock):  # noqa: F811
    from datetime import timedelta

    for state in ("reported", "assigned", "rectified"):
        make_hazard(database, world, state=state)
    make_hazard(database, world, state="assigned", grade="major", now=clock() - timedelta(days=30),
                description="二号车间东侧配电箱门锁损坏，箱内接线端子裸露，地面有积水")
    roster = f"{server}/enterprises/{world.enterprise['A1']}/roster"
    for name, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = context.new_page()
        sign_in(page, server, "officer_a1")
        page.goto(roster)
        if name == "phone":  # the first pass records; the second only looks
            page.set_input_files("#import input[type=file]", files=[{
                "name": "roster.csv", "mimeType": "text/csv",
                "buffer": "工号,姓名,岗位类别\n001,赵强,主要负责人\n002,钱敏,其他\n".encode()}])
            page.click("#import button[type=submit]")
            page.fill("#training input[name=held_on]", "2026-03-01")
            page.fill("#training input[name=topic]", "安全生产法规")
            page.fill("#training input[name=hours]", "2")
            page.fill("#training input[name=attendees]", "001")
            page.click("#training button[type=submit]")
        assert "001 赵强" in page.text_content("[data-testid=trainings]")
        pages = {"home-officer": f"{server}/?", "ledger": f"{server}/ledger?", "roster": f"{roster}?",
                 "compliance": f"{server}/compliance?year=2026&"}
        for language in ("zh", "en"):
            for title, address in pages.items():
                page.goto(f"{address}lang={language}")
                assert not overflows(page), f"{title} overflows at {name} in {language}"
                shot(page, f"{title}-{name}-{language}")
        page.goto(f"{server}/compliance?year=2026&lang=zh")
        page.click("[data-testid=untrained]")
        assert page.input_value("#training input[name=attendees]") == "002"  # the gap's form, pre-filled
        context.close()
