"""Every main page, as each role reaches it (the header's menu and the pages it leads to),
at a phone's and a laptop's width, in Chinese and in English: it answers, nothing runs off
the side, and it speaks the one language asked (no "中文 / English" pairs). Screenshots go
to test-artifacts/screenshots/tour-<role>-<page>-<width>-<language>.png, to be looked at."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.factories import make_hazard
from tests.test_browser import WIDTHS, browser, overflows, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# a Chinese phrase, " / ", then an English word: the pairs the API's messages carry, which a page never shows
PAIR = re.compile(r"[\u4e00-\u9fff][^\n/]{0,60} / [A-Za-z]{2}")


def _menu(page, server: str) -> list[str]:
    """The paths the header's menu offers (not the language switch, nor signing out)."""
    links = page.eval_on_selector_all("header nav a[href]", "links => links.map(a => a.getAttribute('href'))")
    return [urlsplit(link).path for link in links if not link.startswith("?") and urlsplit(link).path != "/logout"]


def _world_to_tour(database, world, clock) -> dict[str, list[str]]:
    """Hazards in every state (an overdue major one among them), a notice, a campaign and a
    risk point; the pages each role is taken to besides its menu."""
    ids = {state: make_hazard(database, world, state=state) for state in ("reported", "assigned", "rectified", "closed")}
    ids["overdue"] = make_hazard(database, world, state="assigned", grade="major", now=clock() - timedelta(days=30),
                                 description="二号车间东侧配电箱门锁损坏，箱内接线端子裸露，地面有积水")
    a1 = world.enterprise["A1"]
    notice = world.post("inspector_a", "/api/v1/notices", json={
        "enterprise_id": a1, "kind": "opinion", "subject": "配电箱隐患逾期未整改",
        "findings": "二号车间配电箱隐患逾期三十日未整改。", "hazard_ids": [ids["overdue"]]})
    assert notice.status_code == 201, notice.json
    campaign = world.post("inspector_city", "/api/v1/campaigns", json={
        "jurisdiction_id": world.jurisdiction["CITY"], "year": 2026, "kind": "ankang_cup", "title": "2026年安康杯竞赛",
        "theme": "安全生产月", "focus": ["隐患排查"], "starts_on": "2026-05-01", "ends_on": "2026-12-31"})
    assert campaign.status_code == 201, campaign.json
    point = world.post("officer_a1", f"/api/v1/enterprises/{a1}/risk-points", json={
        "name": "配电室", "kind": "place", "location": "一号楼", "dangers": ["触电"], "controls": ["绝缘垫"],
        "method": "lec", "l": 3, "e": 6, "c": 15, "checks": ["绝缘垫完好"]})
    assert point.status_code == 201, point.json
    hazard = f"/hazards/{ids['assigned']}"
    return {
        "officer_a1": ["/", hazard, f"{hazard}/print", f"/hazards/{ids['closed']}", "/inbox", f"/statistics/{a1}/2026Q2",
                       f"/qr/{a1}", f"/enterprises/{a1}/risk-points", f"/risk-points/{point.json['id']}",
                       "/inspections", f"/notices/{notice.json['id']}"],
        "inspector_city": ["/", f"/hazards/{ids['overdue']}", f"/notices/{notice.json['id']}",
                           f"/notices/{notice.json['id']}/print", f"/campaigns/{campaign.json['id']}/result",
                           "/prevention/overview"],
        "worker_a1": ["/", f"/mine/{ids['assigned']}", "/rewards"],
        "admin": ["/"],
    }


def _look(page, server: str, path: str, name: str) -> None:
    for language in ("zh", "en"):
        joiner = "&" if "?" in path else "?"
        answer = page.goto(f"{server}{path}{joiner}lang={language}")
        assert answer.status < 400, f"{path} answered {answer.status} in {language}"
        assert not overflows(page), f"{path} overflows at {name} in {language}"
        text = page.inner_text("body")
        assert not PAIR.search(text), f"{path} in {language} shows a pair: {PAIR.search(text).group()!r}"
        # (a token or a receipt in the path is "x": one file per page, whatever the run)
        stable = "/".join("x" if len(part) > 15 else part for part in path.strip("/").split("/"))
        slug = re.sub(r"[^a-z0-9]+", "-", stable.lower()) or "home"
        shot(page, f"tour-{name}-{slug}-{language}")


def test_every_main_page_at_both_widths_in_both_languages(server, browser, world, database, clock):  # noqa: F811
    extra = _world_to_tour(database, world, clock)
    token = world.report_token["A1"]
    for width, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=width == "phone")
        page = context.new_page()
        # the worker without an account: the QR form, its receipt, the lookup and the status page, the board
        page.goto(f"{server}/r/{token}")
        page.fill("[name=location]", "三号车间")
        page.fill("[name=description]", "消防通道堆放纸箱")
        page.click("form button[type=submit]")
        receipt = page.locator("[data-testid=receipt]").inner_text().strip()
        for path in (f"/r/{token}", "/receipt", f"/receipt/{receipt}", f"/b/{token}"):
            _look(page, server, path, f"public-{width}")
        for role, pages in extra.items():
            sign_in(page, server, role)
            menu = _menu(page, server)
            assert menu, f"{role} has no menu"
            for path in dict.fromkeys(menu + pages):
                _look(page, server, path, f"{role.split('_')[0]}-{width}")
            page.context.clear_cookies()
        context.close()
