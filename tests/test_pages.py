"""The pages of the core, through the test client (the browser suite comes with the
web pages): sign-in, and the QR report form with its receipt."""

import io
import re

import flask

from sqlalchemy import func, select

from hazard_ledger.hazards.models import Attachment, Hazard
from tests.conftest import PASSWORD, PNG


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_login_and_logout(client, world):
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text
    wrong = client.post("/login", data={"username": "officer_a1", "password": "nope", "csrf_token": csrf_token(page.text)})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    right = client.post("/login?next=/", data={"username": "officer_a1", "password": PASSWORD,
                                               "csrf_token": csrf_token(page.text)})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Officer A1" in home.text
    client.post("/logout", data={"csrf_token": csrf_token(home.text)})
    assert client.get("/").status_code == 302


def test_a_signed_in_browser_is_a_stranger_to_the_api(client, world):
    """The API takes bearer tokens only: the pages' session cookie neither signs it in nor
    comes back from it, so a page elsewhere cannot call it with the user's cookie."""
    page = client.get("/login")
    client.post("/login", data={"username": "officer_a1", "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert client.get("/").status_code == 200
    answer = client.get("/api/v1/hazards")
    assert answer.status_code == 401 and "Set-Cookie" not in answer.headers
    assert client.get("/").status_code == 200  # the pages' sign-in is untouched
    app = client.application
    for path, null in (("/api/v1/hazards", True), ("/", False)):
        with app.test_request_context(path):
            assert app.session_interface.is_null_session(flask.session) is null


def test_login_never_redirects_off_site(client, world):
    page = client.get("/login")
    answer = client.post("/login?next=//evil.example/", data={"username": "officer_a1", "password": PASSWORD,
                                                              "csrf_token": csrf_token(page.text)})
    assert answer.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused(client, world):
    answer = client.post("/login", data={"username": "officer_a1", "password": PASSWORD})
    assert answer.status_code == 400
    assert "Traceback" not in answer.text


def test_qr_report_with_photo_gives_a_receipt(client, world, database):
    token = world.report_token["A1"]
    form = client.get(f"/r/{token}")
    assert form.status_code == 200 and "企业A1" in form.text
    answer = client.post(f"/r/{token}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(form.text), "location": "二号车间", "description": "地面油污易滑倒",
        "anonymous": "y", "photos": [(io.BytesIO(PNG), "photo.png")],
    }, follow_redirects=True)
    assert answer.status_code == 200, answer.text
    assert answer.history[0].status_code == 303  # Post/Redirect/Get: a refresh shows the receipt again
    receipt = re.search(r'data-testid="receipt">([^<]+)<', answer.text).group(1)
    status = client.get(f"/api/v1/public/receipts/{receipt}").json
    assert status["state"] == "reported"
    with database.unit_of_work(write=False) as session:
        hazard = session.scalar(select(Hazard).where(Hazard.code == status["code"]))
        assert hazard.anonymous and hazard.reporter_name is None and hazard.reporter_user_id is None
        assert session.scalar(select(Attachment).where(Attachment.hazard_id == hazard.id)).content_type == "image/png"


def test_the_report_form_names_the_bad_field(client, world):
    token = world.report_token["A1"]
    form = client.get(f"/r/{token}")
    answer = client.post(f"/r/{token}", data={"csrf_token": csrf_token(form.text), "location": "", "description": "x",
                                              "phone": "not-a-phone"})
    assert answer.status_code == 422
    assert answer.text.count('class="error"') == 2


def test_a_photo_that_is_not_an_image_loses_nothing_else(client, world, database):
    token = world.report_token["A1"]
    form = client.get(f"/r/{token}")
    answer = client.post(f"/r/{token}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(form.text), "location": "二号车间", "description": "地面油污",
        "photos": [(io.BytesIO(b"#!/bin/sh\necho hi\n"), "photo.png")],
    })
    assert answer.status_code == 422 and "JPEG" in answer.text
    assert 'value="二号车间"' in answer.text  # what the worker typed is still there
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Hazard)) is None


def test_unknown_report_token_is_a_404_page(client, world):
    answer = client.get("/r/not-a-token")
    assert answer.status_code == 404 and "<html" in answer.text
    assert "页面不存在" in answer.text and "not found" not in answer.text  # in the page's language
    assert "Page not found" in client.get("/r/not-a-token?lang=en").text


def test_a_worker_over_the_rate_limit_keeps_what_they_typed(client, world, database):
    token = world.report_token["A1"]
    crowd = {"REMOTE_ADDR": "10.9.9.9"}
    form = client.get(f"/r/{token}", environ_base=crowd)
    data = {"csrf_token": csrf_token(form.text), "location": "三号仓库", "description": "灭火器过期", "anonymous": "y"}
    for _ in range(30):
        assert client.post(f"/r/{token}", data=data, environ_base=crowd).status_code == 303
    refused = client.post(f"/r/{token}", data={**data, "description": "叉车刹车失灵"}, environ_base=crowd)
    assert refused.status_code == 429
    assert "请稍等一分钟再提交" in refused.text and "照片需要重新选择" in refused.text
    assert "叉车刹车失灵" in refused.text and 'value="三号仓库"' in refused.text  # nothing typed is lost
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Hazard)) == 30


def test_english_is_one_click_away(client, world):
    token = world.report_token["A1"]
    assert "隐患举报" in client.get(f"/r/{token}").text
    english = client.get(f"/r/{token}?lang=en")
    assert "Report a hazard" in english.text
    assert "Report a hazard" in client.get(f"/r/{token}").text  # remembered
