"""The ledger's bulk actions in a real browser, at a phone's and a laptop's width, in both
languages: tick two overdue hazards and press 催办 (the page says how many were nudged),
select all of the page, and 导出所选 downloads a workbook of exactly the ticked rows;
nothing runs off the side. Screenshots: test-artifacts/screenshots/ledger-bulk-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hazard_ledger.hazards.models import Hazard
from tests.factories import make_hazard
from tests.test_browser import CHROMIUM, SHOTS, WIDTHS, browser, overflows, server, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def code_of(database, hazard_id: int) -> str:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(Hazard.code).where(Hazard.id == hazard_id))


def test_tick_nudge_select_all_and_export_the_selection(server, browser, world, database, clock, tmp_path):  # noqa: F811
    month_ago = clock() - timedelta(days=30)
    late = {name: [code_of(database, make_hazard(database, world, state="assigned", now=month_ago,
                                                 location=f"{name} 车间 {n}")) for n in (1, 2)]
            for name in WIDTHS}
    for _n in range(6):  # a list longer than a screen
        make_hazard(database, world, state="assigned", location="未逾期的库房")
    for name, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone", accept_downloads=True)
        page = context.new_page()
        sign_in(page, server, "officer_a1")
        page.goto(f"{server}/ledger?lang=zh")
        assert page.locator("main.wide").count() == 1
        bar = page.locator("[data-testid=bulk-bar]")
        assert bar.locator("[data-count]").text_content().strip() == "已选 0 项"
        assert page.locator("[data-testid=nudge]").is_disabled()
        for code in late[name]:
            page.check(f"[data-testid=pick-{code}]")
        assert bar.locator("[data-count]").text_content().strip() == "已选 2 项"
        assert not overflows(page), f"the ticked ledger overflows at {name}"
        page.evaluate("window.scrollTo(0, 0)")  # the top of a long list: the bar stays on the screen
        box = bar.bounding_box()
        assert box["y"] + box["height"] <= viewport["height"] + 1, f"the bar is off the screen at {name}"
        page.screenshot(path=str(SHOTS / f"ledger-bulk-ticked-{name}-zh.png"))
        with page.expect_navigation():
            page.click("[data-testid=nudge]")
        answer = page.locator("[data-testid=bulk-answer]").text_content()
        assert "已催办 2 项；跳过 0 项" in answer, answer
        assert not overflows(page), f"the answer overflows at {name}"
        # the screen as the user sees it (a full-page capture would draw the sticky bar mid-page)
        page.screenshot(path=str(SHOTS / f"ledger-bulk-nudged-{name}-zh.png"))

        # select all of the page, then only two for the export
        page.locator("[data-select-all]:visible").check()
        assert bar.locator("[data-count]").text_content().strip() == f"已选 {page.locator('input[name=ids]').count()} 项"
        page.locator("[data-select-all]:visible").uncheck()
        for code in late[name]:
            page.check(f"[data-testid=pick-{code}]")
        with page.expect_download() as download:
            page.click("[data-testid=export-selected]")
        path = tmp_path / f"selection-{name}.xlsx"
        download.value.save_as(path)
        rows = list(load_workbook(path).active.iter_rows(min_row=4, values_only=True))
        assert sorted(row[1] for row in rows) == sorted(late[name])

        page.goto(f"{server}/ledger?lang=en")
        for code in late[name]:
            page.check(f"[data-testid=pick-{code}]")
        assert bar.locator("[data-count]").text_content().strip() == "2 selected"
        assert "催办" not in page.content() and "导出所选" not in page.content()
        assert not overflows(page), f"the English ledger overflows at {name}"
        page.screenshot(path=str(SHOTS / f"ledger-bulk-ticked-{name}-en.png"))
        with page.expect_navigation():
            page.click("[data-testid=nudge]")
        assert "Reminders sent for 0 hazard(s); 2 skipped" in page.locator("[data-testid=bulk-answer]").text_content()
        page.screenshot(path=str(SHOTS / f"ledger-bulk-nudged-{name}-en.png"))
        context.close()


def test_the_bulk_form_works_without_javascript(server, browser, world, database, clock):  # noqa: F811
    """No script: no select-all and no live count, but ticking and 催办 still work (a form)."""
    month_ago = clock() - timedelta(days=30)
    codes = [code_of(database, make_hazard(database, world, state="assigned", now=month_ago)) for _n in (1, 2)]
    context = browser.new_context(viewport=WIDTHS["phone"], is_mobile=True, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, "inspector_a")
    page.goto(f"{server}/ledger?lang=zh")
    assert page.locator("[data-select-all]:visible").count() == 0
    assert "勾选隐患后可导出或催办" in page.locator("[data-count]").text_content()
    for code in codes:
        page.check(f"[data-testid=pick-{code}]")
    with page.expect_navigation():
        page.click("[data-testid=nudge]")
    assert "已催办 2 项；跳过 0 项" in page.locator("[data-testid=bulk-answer]").text_content()
    assert not overflows(page)
    page.screenshot(path=str(SHOTS / "ledger-bulk-nudged-nojs-phone-zh.png"))
    context.close()
