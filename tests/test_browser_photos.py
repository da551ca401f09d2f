"""Before/after photos in a real browser (issue 17, item 9): a safety officer rectifies with
an after-photo on the hazard's page, and sees 整改前 / 整改后 side by side at 1366 px and
stacked at 390 px, in both languages; the reporter's own page shows the same two stages.
Screenshots: test-artifacts/screenshots/stage-photos-*.png."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from tests.conftest import PASSWORD
from tests.factories import make_hazard, plan
from tests.test_api import upload
from tests.test_browser import CHROMIUM, browser, server, shot  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDTHS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def picture(colour: str, label: str) -> bytes:
    image = Image.new("RGB", (800, 600), colour)
    ImageDraw.Draw(image).rectangle((250, 200, 550, 400), outline="white", width=12)
    ImageDraw.Draw(image).text((280, 280), label, fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def sign_in(page, server, username):
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def photos_shown(page) -> None:
    """The photos (loaded lazily: brought into view) have all arrived and been drawn."""
    page.locator("[data-testid=stage-photos]").scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('[data-testid=stage-photos] img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")


def side_by_side_on_a_laptop_stacked_on_a_phone(page, width: str) -> None:
    before, after = (page.locator(f"[data-testid=stage-photos] [data-stage={side}]").bounding_box()
                     for side in ("before", "after"))
    if width == "laptop":
        assert abs(before["y"] - after["y"]) < 2 and after["x"] >= before["x"] + before["width"]
    else:
        assert after["y"] >= before["y"] + before["height"]
    assert not page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth + 1")


def test_rectify_with_an_after_photo_and_see_before_and_after_side_by_side(server, browser, world, database,
                                                                            clock, tmp_path):  # noqa: F811
    hazard_id = make_hazard(database, world, state="reported")
    assert upload(world, "worker_a1", hazard_id, picture("#b03a2e", "before")).status_code == 201  # with the report
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
    after = tmp_path / "after.jpg"
    after.write_bytes(picture("#1e8449", "after"))
    for name, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = context.new_page()
        sign_in(page, server, "officer_a1")
        page.goto(f"{server}/hazards/{hazard_id}")
        if name == "laptop":  # the first pass rectifies; the second only looks
            page.click("details[data-event=rectify] summary")
            page.fill("#rectify-note", "已更换防水配电箱")
            page.fill("#rectify-completed_on", clock.today().isoformat())
            page.set_input_files("#rectify-photos", str(after))
            with page.expect_navigation():  # (the photo is shrunk first, then the form goes)
                page.click("details[data-event=rectify] button[type=submit]")
            assert "待验收" in page.content()
        for language, words in (("zh", ("整改前", "整改后")), ("en", ("Before", "After"))):
            page.goto(f"{server}/hazards/{hazard_id}?lang={language}")
            assert page.locator("[data-stage=before] img").count() == 1
            assert page.locator("[data-stage=after] img").count() == 1
            photos_shown(page)
            assert [page.text_content(f"[data-stage={side}] h3") for side in ("before", "after")] == list(words)
            side_by_side_on_a_laptop_stacked_on_a_phone(page, name)
            page.locator("[data-testid=stage-photos]").scroll_into_view_if_needed()
            shot(page, f"stage-photos-hazard-{name}-{language}")
        context.close()
        reporter = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = reporter.new_page()
        sign_in(page, server, "worker_a1")
        for language in ("zh", "en"):
            page.goto(f"{server}/mine/{hazard_id}?lang={language}")
            assert page.locator("[data-stage=before] img").count() == 1
            assert page.locator("[data-stage=after] img").count() == 1
            photos_shown(page)
            side_by_side_on_a_laptop_stacked_on_a_phone(page, name)
            shot(page, f"stage-photos-receipt-{name}-{language}")
        reporter.close()


def test_a_twelve_megabyte_after_photo_is_shrunk_in_the_phone_and_goes(app, server, browser, world, database, clock,
                                                                       tmp_path, monkeypatch):  # noqa: F811
    """A camera photo larger than the upload limit (10 MiB) goes with `progress`: the page
    shrinks it to 2000 px JPEG before sending, and its sha256 is chained with the event."""
    from sqlalchemy import select

    from hazard_ledger.hazards.models import Attachment

    hazard_id = make_hazard(database, world, state="assigned")
    # the limit as shipped (config/default.toml: 10 MiB; the suite's is 256 KiB), and a camera's
    # 27 megapixels with its sensor's grain: more than 12 MB as it comes
    monkeypatch.setitem(app.extensions["hazard_ledger.settings"]["uploads"], "max_bytes", 10 * 1024 * 1024)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10 * 1024 * 1024 + 64 * 1024)
    scene = Image.blend(Image.linear_gradient("L").resize((6000, 4500)).convert("RGB"),
                        Image.effect_noise((6000, 4500), 50).convert("RGB"), 0.1)
    large = tmp_path / "IMG_0001.jpg"
    scene.save(large, "JPEG", quality=100)
    assert large.stat().st_size > 12 * 1024 * 1024
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, server, "officer_a1")
    page.goto(f"{server}/hazards/{hazard_id}")
    page.click("details[data-event=progress] summary")
    page.fill("#progress-note", "已拍下更换中的配电箱")
    page.set_input_files("#progress-photos", str(large))
    with page.expect_navigation(timeout=60_000):
        page.click("details[data-event=progress] button[type=submit]")
    shot(page, "stage-photos-large-progress-phone-zh")
    assert "已办理" in page.content(), page.inner_text("main")[:500]
    with database.unit_of_work(write=False) as session:
        stored = session.scalars(select(Attachment).where(Attachment.hazard_id == hazard_id)).all()
    assert len(stored) == 1 and stored[0].stage == "progress" and stored[0].size < large.stat().st_size // 10
    history = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["history"]
    assert history[-1]["event"] == "progress" and history[-1]["data"]["photos"] == [stored[0].sha256]
    context.close()
