"""The worker's journey through the pages (issue 17, items 1-6), with the Flask test
client on each database: the report form's Post/Redirect/Get under its idempotency
key, photos too large, the pick list, 匿名, the poster's location, the receipt, the
progress page, a signed-in worker's own reports and awards, the service worker."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from hazard_ledger.config import default_base_url_warning, load_settings
from hazard_ledger.hazards.models import Attachment, Hazard
from hazard_ledger.organisations.models import User
from tests.conftest import PNG
from tests.factories import make_hazard, plan, sign_in

KEY = "k" * 16 + "double-tap-1"


def csrf(text: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)


def hazards(database) -> list[Hazard]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(Hazard).order_by(Hazard.id)))


def report(client, token: str, key: str | None = KEY, **fields):
    form = client.get(f"/r/{token}")
    data = {"csrf_token": csrf(form.text), "location": "二号车间", "description": "配电箱门未关闭", **fields}
    if key is not None:
        data["submission"] = key
    return client.post(f"/r/{token}", data=data, content_type="multipart/form-data")


def test_a_refresh_and_a_second_tap_file_one_report_and_show_one_receipt(client, world, database):
    token = world.report_token["A1"]
    first = report(client, token, anonymous="y")
    assert first.status_code == 303
    receipt_page = first.headers["Location"]
    shown = [client.get(receipt_page) for _ in range(2)]  # the receipt page, and its refresh
    receipts = {re.search(r'data-testid="receipt">([^<]+)<', page.text).group(1) for page in shown}
    assert len(receipts) == 1 and all(page.status_code == 200 for page in shown)
    again = report(client, token, anonymous="y")  # the same form sent again (a double tap, the back button)
    assert again.status_code == 303 and again.headers["Location"] == receipt_page
    assert len(hazards(database)) == 1
    changed = report(client, token, anonymous="y", description="叉车刹车失灵")  # same key, other content
    assert changed.status_code == 422 and "已经提交过" in changed.text and "叉车刹车失灵" in changed.text
    assert receipt_page in changed.text  # the first receipt is one tap away
    assert csrf(changed.text) and 'name="submission"' in changed.text
    new_key = re.search(r'name="submission"[^>]*value="([^"]+)"', changed.text).group(1)
    assert new_key != KEY  # the next tap is a new report
    assert len(hazards(database)) == 1
    assert report(client, token, key=None).status_code == 303  # a client without the key: still one report a post
    assert len(hazards(database)) == 2


def test_the_receipt_page_of_an_unknown_key_is_a_page_not_a_500(client, world):
    token = world.report_token["A1"]
    for key in ("not-a-key-at-all-but-long", "x", "..%2F..%2Fetc"):
        answer = client.get(f"/r/{token}/receipt/{key}")
        assert answer.status_code == 404 and "<html" in answer.text
    assert client.get("/r/nope/receipt/aaaaaaaaaaaaaaaaaaaa").status_code == 404


def test_a_photo_too_large_is_named_next_to_the_photos_and_keeps_what_was_typed(client, world, database, settings):
    token = world.report_token["A1"]
    too_large = PNG + b"\0" * settings["uploads"]["max_bytes"]
    answer = report(client, token, name="王五", photos=[(io.BytesIO(too_large), "big.png")])
    assert answer.status_code == 422
    photo_field = re.search(r'data-field="photos">(.*?)</div>', answer.text, re.S).group(1)
    assert 'class="error"' in photo_field and "MB" in photo_field
    assert 'value="二号车间"' in answer.text and "配电箱门未关闭" in answer.text and 'value="王五"' in answer.text
    assert "/ only" not in answer.text  # the page's language only
    assert hazards(database) == []
    # a whole request beyond even the form's allowance: the form again, never a dead end
    beyond = b"\0" * (6 * (settings["uploads"]["max_bytes"] + 64 * 1024))
    body = (b'--b\r\nContent-Disposition: form-data; name="photos"; filename="huge.jpg"\r\n\r\n' + beyond
            + b"\r\n--b--\r\n")  # bytes, not a file: the test client keeps no temporary file open
    refused = client.post(f"/r/{token}", data=body, content_type="multipart/form-data; boundary=b")
    assert refused.status_code == 413 and 'id="report-form"' in refused.text and "照片太大" in refused.text


def test_the_form_marks_required_fields_offers_the_categories_and_takes_free_text(client, world, database):
    token = world.report_token["A1"]
    page = client.get(f"/r/{token}").text
    assert page.count('class="required"') >= 3  # the legend, location, description
    for category in ("人的不安全行为", "物的不安全状态", "环境不安全因素", "管理缺陷", "其他"):
        assert f'<option value="{category}">' in page
    assert 'list="categories"' in page and "capture" not in page
    assert report(client, token, category="高处作业无防护").status_code == 303
    assert hazards(database)[0].category == "高处作业无防护"
    assert 'data-field="location"' in report(client, token, key="another-key-0123456789", location="").text


def test_anonymous_keeps_no_name_even_when_one_was_typed(client, world, database):
    assert report(client, world.report_token["A1"], anonymous="y", name="王五", phone="13800000000").status_code == 303
    hazard = hazards(database)[0]
    assert hazard.anonymous and hazard.reporter_name is None and hazard.reporter_phone is None


def test_a_location_poster_fills_the_location_with_a_signed_link(client, world):
    sign_in(client, "officer_a1")
    poster = client.get(f"/qr/{world.enterprise['A1']}?location=二号车间东门")
    address = re.search(r'<p class="muted small">([^<]+)</p>', poster.text).group(1).replace("&amp;", "&")
    assert address.startswith(f"http://hazard-ledger.test/r/{world.report_token['A1']}?location=")
    signed = parse_qs(urlsplit(address).query)["location"][0]
    form = client.get(f"/r/{world.report_token['A1']}?location={signed}")
    assert 'value="二号车间东门"' in form.text
    forged = client.get(f"/r/{world.report_token['A1']}?location=%E5%81%87")
    assert 'name="location" required type="text" value=""' in forged.text or 'value="假"' not in forged.text
    elsewhere = client.get(f"/r/{world.report_token['B1']}?location={signed}")  # bound to its enterprise
    assert "二号车间东门" not in elsewhere.text


def test_the_default_public_address_is_warned_about(client, world, settings_override):
    assert default_base_url_warning(load_settings(settings_override, environ={})) is None
    default = {**settings_override, "app": {**settings_override["app"], "base_url": "http://127.0.0.1:8000"}}
    assert "base_url" in default_base_url_warning(load_settings(default, environ={}))


def test_the_receipt_has_copy_save_and_a_qr_and_the_form_links_the_lookup(client, world):
    token = world.report_token["A1"]
    assert 'href="/receipt"' in client.get(f"/r/{token}").text
    receipt_page = client.get(report(client, token, anonymous="y").headers["Location"]).text
    assert "data-copy" in receipt_page and "data-save" in receipt_page
    assert 'src="data:image/svg+xml;base64,' in receipt_page
    receipt = re.search(r'data-testid="receipt">([^<]+)<', receipt_page).group(1)
    assert f"/receipt/{receipt}" in receipt_page


def test_the_status_page_shows_what_the_enterprise_did_and_never_who(client, world, database, settings):
    token = world.report_token["A1"]
    receipt_page = client.get(report(client, token, anonymous="y").headers["Location"]).text
    receipt = re.search(r'data-testid="receipt">([^<]+)<', receipt_page).group(1)
    hazard_id = hazards(database)[0].id
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
    upload = world.post("officer_a1", f"/api/v1/hazards/{hazard_id}/attachments",
                        data={"file": (io.BytesIO(PNG), "after.png")}, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    status = client.get(f"/receipt/{receipt}")
    assert status.status_code == 200
    assert "更换破损绝缘垫" in status.text and plan()["deadline"] in status.text and "整改中" in status.text
    assert "张三" not in status.text and "设备科" not in status.text  # the responsible person and unit
    assert "100.00" in status.text and "领取奖励" in status.text  # the reward with its claim
    photo = re.search(rf'src="(/receipt/{receipt}/photos/\d+)"', status.text).group(1)
    with client.get(photo) as served:
        assert served.status_code == 200 and served.mimetype == "image/png"
    with database.unit_of_work(write=False) as session:
        other = session.scalar(select(func.max(Attachment.id))) + 1
    assert client.get(f"/receipt/{receipt}/photos/{other}").status_code == 404


def test_a_signed_in_worker_reports_to_their_account_and_follows_it(client, world, database):
    sign_in(client, "worker_a1")
    token = world.report_token["A1"]
    home = client.get("/mine")
    assert f'href="/r/{token}"' in home.text and "我要举报" in home.text
    form = client.get(f"/r/{token}")
    assert 'name="name"' not in form.text  # the account is the name
    filed = client.get(report(client, token, category="其他").headers["Location"])
    assert filed.status_code == 200 and 'data-testid="receipt"' not in filed.text and "我的举报" in filed.text
    hazard = hazards(database)[0]
    assert hazard.reporter_user_id == world.user["worker_a1"]
    mine = client.get("/mine")
    assert hazard.code in mine.text
    assert hazard.location in client.get(f"/mine/{hazard.id}").text
    # ticked 匿名: nothing links the report to the account
    assert report(client, token, key="anonymous-while-signed-in", anonymous="y").status_code == 303
    assert hazards(database)[1].reporter_user_id is None and hazards(database)[1].code not in client.get("/mine").text


def test_a_worker_never_follows_another_workers_report(client, world, database):
    hazard_id = make_hazard(database, world, reporter="worker2_a1")
    sign_in(client, "worker_a1")
    assert client.get(f"/mine/{hazard_id}").status_code == 404


def test_a_worker_sees_their_own_awards_on_the_rewards_page(client, world, database):
    make_hazard(database, world, state="assigned")
    make_hazard(database, world, state="assigned", reporter="worker2_a1")
    sign_in(client, "worker_a1")
    page = client.get("/rewards")
    assert page.status_code == 200 and page.text.count("100.00") == 1 and "待审批" in page.text
    with database.unit_of_work(write=False) as session:
        assert session.get(User, world.user["worker_a1"]) is not None


def test_the_service_worker_is_served_by_the_app_under_the_forms(client, world):
    with client.get("/r/report-worker.js") as answer:
        assert answer.status_code == 200 and answer.mimetype == "text/javascript"
        assert "caches" in answer.text and "://" not in answer.text  # nothing from another site
    page = client.get(f"/r/{world.report_token['A1']}").text
    assert 'data-worker="/r/report-worker.js"' in page and "<script>" not in page


def test_the_apis_idempotency_header_on_the_page_changes_nothing(client, world, database):
    """The page keeps its key in the form; an Idempotency-Key header (the API's) must not
    roll back a report answered with a redirect."""
    token = world.report_token["A1"]
    form = client.get(f"/r/{token}")
    answer = client.post(f"/r/{token}", headers={"Idempotency-Key": "header-key"}, data={
        "csrf_token": csrf(form.text), "location": "仓库", "description": "消防通道堵塞", "submission": KEY})
    assert answer.status_code == 303 and client.get(answer.headers["Location"]).status_code == 200
    assert len(hazards(database)) == 1
