"""The hazard's work page in a real browser at a phone's and a laptop's width: an action
sent with mistakes shows all of them at once, fixed it succeeds with a message, a reload
does not fire it again; the duplicate picker finds a code by words of its description;
nothing runs off the side. Screenshots (both widths, both languages) go to
test-artifacts/screenshots/hazard-work-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_hazard
from tests.test_browser import CHROMIUM, WIDTHS, browser, overflows, playwright_api, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


expect = playwright_api.expect


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_fixes_a_refused_action_and_a_reload_does_not_repeat_it(server, browser, world, database, clock,  # noqa: F811
                                                                          width):
    make_hazard(database, world, description="二号车间消防通道被成箱货物堵塞，宽度不足一米")
    hazard_id = make_hazard(database, world, description="二号车间东侧配电箱门锁损坏，箱内接线端子裸露，地面有积水")
    late = make_hazard(database, world, state="assigned", grade="major", now=clock() - timedelta(days=30))
    context = browser.new_context(viewport=WIDTHS[width], is_mobile=width == "phone")
    page = context.new_page()
    sign_in(page, server, "officer_a1")
    page.goto(f"{server}/hazards/{hazard_id}?lang=zh")
    assert "待确认" in page.text_content("[data-testid=state]")

    page.click("details[data-event=assign] summary")
    page.select_option("#assign-grade", "major")
    page.fill("#assign-protective_measures", "设置警戒线，断电挂牌")
    page.click("details[data-event=assign] button[type=submit]")
    problems = page.locator("[data-testid=error-summary] li")
    assert problems.count() == 6  # measure, deadline, unit, person, funds, plan: all at once
    assert page.locator("details[data-event=assign] .field.invalid").count() == 6
    assert page.input_value("#assign-protective_measures") == "设置警戒线，断电挂牌"  # kept
    assert not overflows(page), f"the refused form overflows at {width}"
    shot(page, f"hazard-work-errors-{width}-zh")

    page.fill("#assign-measure", "更换防水配电箱，线路穿管")
    page.fill("#assign-deadline", (clock.today() + timedelta(days=7)).isoformat())
    page.fill("#assign-responsible_unit", "设备科")
    page.fill("#assign-responsible_person", "张三")
    page.fill("#assign-funds", "12000")
    page.fill("#assign-emergency_plan", "触电事故现场处置方案")
    page.select_option("#assign-responsible_user_id", label="Worker A1")
    page.click("details[data-event=assign] button[type=submit]")
    assert "确认并制定整改方案" in page.text_content("[data-testid=done]")
    assert "整改中" in page.text_content("[data-testid=state]")
    entries = page.locator("[data-testid=timeline-entry]").count()
    shot(page, f"hazard-work-done-{width}-zh")
    page.reload()
    assert page.locator("[data-testid=done]").count() == 0
    assert page.locator("[data-testid=timeline-entry]").count() == entries == 2  # not fired twice

    for language in ("zh", "en"):
        for hazard, title in ((hazard_id, "assigned"), (late, "overdue")):
            page.goto(f"{server}/hazards/{hazard}?lang={language}")
            assert not overflows(page), f"{title} overflows at {width} in {language}"
            shot(page, f"hazard-work-{title}-{width}-{language}")
    page.goto(f"{server}/hazards/{late}?lang=en")
    assert "days overdue" in page.text_content("[data-testid=deadline]").lower() or \
        "overdue" in page.text_content("[data-testid=deadline]").lower()
    page.goto(f"{server}/hazards/{hazard_id}/print?lang=zh")
    assert page.locator("details[data-event]").count() == 0
    context.close()


def test_the_duplicate_picker_finds_a_code_by_words_and_errors_speak_english(server, browser, world, database):  # noqa: F811
    original = make_hazard(database, world, description="消防通道被货物堵塞")
    make_hazard(database, world, description="配电箱漏电")
    hazard_id = make_hazard(database, world, description="消防通道又被堵")
    context = browser.new_context(viewport=WIDTHS["phone"], is_mobile=True)
    page = context.new_page()
    sign_in(page, server, "officer_a1")
    page.goto(f"{server}/hazards/{hazard_id}?lang=en")
    page.click("details[data-event=assign] summary")
    page.click("details[data-event=reject] summary")
    assert page.get_attribute("details[data-event=assign]", "open") is None  # one form open at a time
    page.select_option("#reject-reason", "duplicate")
    page.click("details[data-event=reject] button[type=submit]")
    summary = page.text_content("[data-testid=error-summary]")
    assert "Code of the hazard this duplicates" in summary and "/" not in summary
    shot(page, "hazard-work-errors-phone-en")
    page.fill("#reject-duplicate_of", "货物")
    expect(page.locator("#reject-duplicate_of-codes option")).to_have_count(1)  # the server's answer to what was typed
    code = page.get_attribute("#reject-duplicate_of-codes option", "value")
    page.fill("#reject-duplicate_of", code)
    page.click("details[data-event=reject] button[type=submit]")
    assert page.locator("[data-testid=done]").count() == 1
    assert "Rejected" in page.text_content("[data-testid=state]")
    assert world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["duplicate_of"] == original
    context.close()
