"""The inspector's rewards page in a real browser at a phone's and a laptop's width, in
both languages: nothing runs off the side, and ticking proposed awards approves them
together. Screenshots go to test-artifacts/screenshots/rewards-*.png."""

from __future__ import annotations

import pytest

from tests.factories import make_hazard
from tests.test_browser import CHROMIUM, browser, server, shot, sign_in  # noqa: F401 (fixtures)
from tests.test_browser_officer import WIDTHS, overflows
from tests.test_reward_pages import awards_by_hazard, statuses
from tests.test_rewards import anonymous_report, assign_by_receipt

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_rewards_page_fits_and_approves_ticked_awards(server, browser, world, database, client):  # noqa: F811
    hazards = [make_hazard(database, world, state="assigned") for _ in range(4)]
    hazards.append(make_hazard(database, world, state="assigned", description=(
        "三号仓库东侧消防通道被成品托盘长期占用，应急照明损坏，疏散指示标志被遮挡")))
    hazards.append(assign_by_receipt(world, database, anonymous_report(world, client)))
    ids = awards_by_hazard(database)
    for name, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = context.new_page()
        sign_in(page, server, "inspector_a")
        if name == "phone":  # the first pass approves two by ticking; the second only looks
            page.goto(f"{server}/rewards?lang=zh")
            for hazard_id in (*hazards[:2], hazards[-1]):
                page.check(f"input[name=award][value='{ids[hazard_id]}']")
            page.click("[data-testid=approve-selected]")
            page.wait_for_url("**/rewards*")
            assert [statuses(database)[ids[h]] for h in hazards] == ["approved"] * 2 + ["proposed"] * 3 + ["approved"]
            assert "待领取" in page.text_content(f"tr[data-award='{ids[hazards[-1]]}']")  # no pay form until claimed
            page.fill(f"tr[data-award='{ids[hazards[0]]}'] input[name=reference]", "")
            page.click(f"tr[data-award='{ids[hazards[0]]}'] form.decide button")
            assert "请填写付款凭证号" in page.text_content(f"tr[data-award='{ids[hazards[0]]}']")
        for language in ("zh", "en"):
            page.goto(f"{server}/rewards?lang={language}")
            assert not overflows(page), f"rewards overflows at {name} in {language}"
            shot(page, f"rewards-{name}-{language}")
        context.close()
