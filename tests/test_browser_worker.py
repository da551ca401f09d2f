"""The worker's journey in a real browser (Playwright driving Debian's Chromium, as
tests/test_browser.py): on a 390-px phone and a 1366-px laptop, refresh after submit,
a double tap, a 12 MB camera photo, 匿名, the poster's location, the receipt and the
status page, 我的举报, and a report made offline that is filed exactly once when the
network returns. Screenshots of each page at both widths in both languages go to
test-artifacts/screenshots/worker-*.png."""

from __future__ import annotations

import os
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from hazard_ledger.hazards.models import Attachment, Hazard
from tests.factories import make_hazard, plan
from tests.test_browser import CHROMIUM, browser, server, shot, sign_in  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser, pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def settings_override(settings_override):
    """The production photo limit (10 MB), so that the phone's 12 MB photo meets it."""
    return {**settings_override, "uploads": {**settings_override["uploads"], "max_bytes": 10 * 1024 * 1024}}


def count(database, model=Hazard) -> int:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def camera_photo(path) -> int:
    """A 4000 x 3000 photo of noise, over 12 MB as a phone's camera makes them."""
    image = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    image.save(path, "JPEG", quality=95)
    return path.stat().st_size


def no_sideways_scroll(page) -> None:
    page.wait_for_load_state()
    # against the screen's width: a phone's browser widens its layout to fit what overflows
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (page.url, width)


def test_a_worker_reports_a_12_mb_photo_with_a_double_tap_and_refreshes_the_receipt(server, browser, world,
                                                                                   database, settings, tmp_path):
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(f"{server}/r/{world.report_token['A1']}")
    page.fill("#location", "二号车间配电箱旁")
    page.fill("#description", "配电箱门未关闭，地面有积水")
    page.fill("#category", "物的不安全状态")
    photo = tmp_path / "IMG_0001.jpg"
    assert camera_photo(photo) > 12_000_000
    page.set_input_files("#photos", str(photo))
    page.check("#anonymous")
    assert page.is_hidden("#name") and page.is_hidden("#phone")  # 匿名 hides name and phone
    page.dblclick("#report-form button[type=submit]")  # a double tap
    page.wait_for_url(re.compile(r"/receipt/"), timeout=30000)
    receipt = page.text_content("[data-testid=receipt]").strip()
    assert len(receipt) == 24
    page.reload()  # a refresh shows the receipt again and files nothing
    assert page.text_content("[data-testid=receipt]").strip() == receipt
    page.go_back()
    assert count(database) == 1 and count(database, Attachment) == 1
    with database.unit_of_work(write=False) as session:
        stored = session.scalar(select(Attachment))
        hazard = session.scalar(select(Hazard))
    assert hazard.anonymous and hazard.category == "物的不安全状态"
    with Image.open(settings.upload_dir / stored.sha256[:2] / stored.sha256) as kept:
        assert max(kept.size) == 2000  # shrunk in the browser
    phone.close()


def test_a_photo_that_is_not_a_photo_is_named_next_to_the_field_and_nothing_typed_is_lost(server, browser, world,
                                                                                         database, tmp_path):
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{server}/r/{world.report_token['A1']}")
    page.fill("#location", "仓库")
    page.fill("#description", "消防通道堵塞")
    fake = tmp_path / "photo.png"
    fake.write_bytes(b"#!/bin/sh\necho not a photo\n" * 10)
    page.set_input_files("#photos", str(fake))
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("[data-field=photos] .error")
    assert page.input_value("#location") == "仓库" and page.input_value("#description") == "消防通道堵塞"
    assert count(database) == 0 and "/r/" in page.url
    assert page.is_enabled("#report-form button[type=submit]")


def test_a_location_poster_fills_in_the_location(server, browser, world):
    officer = browser.new_context(**LAPTOP).new_page()
    sign_in(officer, server, "officer_a1")
    officer.goto(f"{server}/qr/{world.enterprise['A1']}?location=三号仓库北门")
    address = officer.text_content(".poster .muted.small").strip()
    worker = browser.new_context(**PHONE).new_page()
    worker.goto(address.replace("http://hazard-ledger.test", server))
    assert worker.input_value("#location") == "三号仓库北门"


def test_the_status_page_shows_what_the_enterprise_did(server, browser, world, database):
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{server}/r/{world.report_token['A1']}")
    page.fill("#location", "二号车间")
    page.fill("#description", "砂轮机防护罩缺失")
    page.check("#anonymous")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/receipt/"))
    page.click("[data-copy]")
    page.wait_for_selector("[data-copied]", state="visible", timeout=5000)  # the clipboard answers asynchronously
    with page.expect_download() as saved:
        page.click("[data-save]")
    assert saved.value.suggested_filename.endswith(".png")
    hazard_id = world.get("admin", "/api/v1/hazards").json["items"][0]["id"]
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
    page.click("[data-testid=status-link]")
    assert "整改中" in page.text_content("[data-testid=state]")
    assert "更换破损绝缘垫" in page.text_content("[data-testid=measure]")
    assert "100.00" in page.text_content("[data-testid=reward]")


def test_a_signed_in_worker_reports_from_the_header_and_finds_it_in_my_reports(server, browser, world, database):
    page = browser.new_context(**PHONE).new_page()
    sign_in(page, server, "worker_a1")
    page.click("[data-testid=report-link]")
    page.fill("#location", "锅炉房")
    page.fill("#description", "压力表过期未检")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/receipt/"))
    code = page.text_content("[data-testid=code]").strip()
    page.goto(f"{server}/mine")
    assert code in page.text_content("[data-testid=my-reports]")
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Hazard.reporter_user_id)) == world.user["worker_a1"]


def test_a_report_made_offline_is_filed_once_when_the_network_returns(server, browser, world, database, tmp_path):
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    form = f"{server}/r/{world.report_token['A1']}"
    page.goto(form)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps the form
    assert page.evaluate("() => !!navigator.serviceWorker.controller")
    phone.set_offline(True)
    page.reload()  # in the basement: the form still opens
    page.fill("#location", "地下二层泵房")
    page.fill("#description", "排水泵漏电")
    photo = tmp_path / "pump.jpg"
    Image.new("RGB", (3000, 2000), (90, 120, 150)).save(photo, "JPEG")
    page.set_input_files("#photos", str(photo))
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#outbox li[data-state=queued]")
    assert "待发送" in page.text_content("#outbox")
    shot(page, "worker-offline-queued-phone-zh")
    assert count(database) == 0
    phone.set_offline(False)
    page.wait_for_selector("#outbox li[data-state=sent]", timeout=20000)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # the network returns once more
    page.wait_for_timeout(1000)
    page.reload()
    assert count(database) == 1 and count(database, Attachment) == 1
    assert page.text_content("#outbox li[data-state=sent]").count("YH-") == 1
    shot(page, "worker-offline-sent-phone-zh")
    phone.close()


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_worker_page_fits_and_is_photographed(server, browser, world, database, width, language):
    """Each page of the journey, at the phone's and the laptop's width, in each language:
    nothing scrolls sideways; the screenshots are looked at by a person."""
    hazard_id = make_hazard(database, world, state="assigned")
    context = browser.new_context(**(PHONE if width == 390 else LAPTOP))
    page = context.new_page()
    name = f"{'phone' if width == 390 else 'laptop'}-{language}"
    page.goto(f"{server}/r/{world.report_token['A1']}?lang={language}")
    no_sideways_scroll(page)
    shot(page, f"worker-form-{name}")
    page.click("#report-form button[type=submit]")  # nothing filled in: the errors next to their fields
    page.wait_for_selector("[data-field=location] .error")
    no_sideways_scroll(page)
    shot(page, f"worker-form-errors-{name}")
    page.fill("#location", "二号车间")
    page.fill("#description", "配电箱门未关闭")
    page.check("#anonymous")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/receipt/"))
    no_sideways_scroll(page)
    shot(page, f"worker-receipt-{name}")
    with page.expect_navigation():
        page.click("[data-testid=status-link]")
    no_sideways_scroll(page)
    shot(page, f"worker-status-{name}")
    page.goto(f"{server}/receipt")
    no_sideways_scroll(page)
    shot(page, f"worker-lookup-{name}")
    sign_in(page, server, "worker_a1")
    for path, label in (("/mine", "mine"), (f"/mine/{hazard_id}", "my-report"), ("/rewards", "my-rewards")):
        assert page.goto(server + path).status == 200
        no_sideways_scroll(page)
        shot(page, f"worker-{label}-{name}")
    context.close()
    officer = browser.new_context(**(PHONE if width == 390 else LAPTOP)).new_page()
    officer.goto(f"{server}/?lang={language}")
    sign_in(officer, server, "officer_a1")
    officer.goto(f"{server}/qr/{world.enterprise['A1']}?location=二号车间")
    no_sideways_scroll(officer)
    shot(officer, f"worker-poster-{name}")
