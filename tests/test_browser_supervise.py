"""督办 in a real browser, at a phone's and a laptop's width, in both languages: an
inspector opens the overdue audit, presses 督办 on an item, sends the form empty (the
errors show next to the fields), fills it in and sees the item under supervision.
Screenshots go to test-artifacts/screenshots/audit-supervise-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_hazard
from tests.test_browser import CHROMIUM, WIDTHS, browser, overflows, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_inspector_supervises_an_overdue_item_from_the_audit(server, browser, world, database, clock):  # noqa: F811
    late = {name: make_hazard(database, world, state="assigned", now=clock() - timedelta(days=days),
                              location=f"{days}号仓库")
            for name, days in (("phone", 30), ("laptop", 20))}
    make_hazard(database, world, state="assigned", grade="major", enterprise="B1", reporter="worker_b1",
                responsible=None, now=clock() - timedelta(days=12), location="锅炉房")
    due_on = (clock.today() + timedelta(days=7)).isoformat()
    for name, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = context.new_page()
        sign_in(page, server, "inspector_city")
        hazard = late[name]
        page.goto(f"{server}/audit?lang=zh")
        page.click(f"[data-testid=supervise-{hazard}]")
        page.click(f"button[form=supervise-{hazard}]")  # sent empty
        row = page.locator(f"tr[data-hazard='{hazard}']")
        assert "请填写督办意见" in row.text_content() and "请填写督办期限" in row.text_content()
        assert not overflows(page), f"the audit overflows at {name}"
        page.locator(f"#note-{hazard}").scroll_into_view_if_needed()
        shot(page, f"audit-supervise-error-{name}-zh")
        page.fill(f"#note-{hazard}", "请于一周内完成整改并书面回复工会")
        page.fill(f"#due-on-{hazard}", due_on)
        page.click(f"button[form=supervise-{hazard}]")
        page.wait_for_selector("[data-testid=supervised-message]")
        row = page.locator(f"tr[data-hazard='{hazard}']")
        assert due_on in row.locator("[data-testid=under-supervision]").text_content()
        assert not overflows(page), f"the audit overflows at {name}"
        shot(page, f"audit-supervise-done-{name}-zh")
        page.goto(f"{server}/audit?lang=en")
        page.click(f"[data-testid=supervise-{hazard}]")  # again: the form opens in English
        page.click(f"button[form=supervise-{hazard}]")
        row = page.locator(f"tr[data-hazard='{hazard}']")
        assert "write what the enterprise must do" in row.text_content()
        assert "Supervised, due" in row.text_content()
        assert not overflows(page), f"the audit overflows at {name} in English"
        shot(page, f"audit-supervise-error-{name}-en")
        context.close()
    record = browser.new_page(viewport=WIDTHS["laptop"])
    sign_in(record, server, "officer_a1")
    record.goto(f"{server}/hazards/{late['laptop']}?lang=zh")
    assert "请于一周内完成整改并书面回复工会" in record.content()  # on the hazard's timeline
    shot(record, "audit-supervise-timeline-zh")
