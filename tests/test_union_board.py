"""The public board (安全生产法 Art. 41) names hazards, never people; and the pages of the
union's instruments through the test client."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hazard_ledger.hazards.models import Attachment, Hazard
from tests.conftest import PASSWORD, PNG
from tests.factories import make_hazard, plan

REPORTER_NAME, REPORTER_PHONE = "李秘密", "13912345678"
FORM_NAME, FORM_PHONE = "王保密", "13800001111"
RESPONSIBLE = "赵责任"


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, username: str) -> None:
    page = client.get("/login")
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302


def test_the_board_never_shows_identity(client, world, database, clock):
    token = world.report_token["A1"]
    # by name through the API, and by name with a photo through the QR form
    by_api = client.post(f"/api/v1/public/enterprises/{token}/hazards", json={
        "location": "三号车间", "description": "行车钢丝绳断股", "name": REPORTER_NAME, "phone": REPORTER_PHONE})
    assert by_api.status_code == 201
    form = client.get(f"/r/{token}")
    assert f'/b/{token}' in form.text  # the QR form links to the board
    by_form = client.post(f"/r/{token}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(form.text), "location": "仓库", "description": "消防通道堵塞", "name": FORM_NAME,
        "phone": FORM_PHONE, "photos": [(io.BytesIO(PNG), "photo.png")]}, follow_redirects=True)
    assert by_form.status_code == 200
    form_receipt = re.search(r'data-testid="receipt">([^<]+)<', by_form.text).group(1)
    receipts = [by_api.json["receipt"], form_receipt]
    with database.unit_of_work(write=False) as session:
        hazards = {h.description: h.id for h in session.scalars(select(Hazard))}
        photo = session.scalar(select(Attachment))
    assert photo is not None
    # the officer confirms both (one named responsible person), rectifies and closes the first
    officer = world.auth("officer_a1")
    for description in ("行车钢丝绳断股", "消防通道堵塞"):
        fields = {**plan(), "responsible_person": RESPONSIBLE}
        answer = client.post(f"/api/v1/hazards/{hazards[description]}/transitions", headers=officer,
                             json={"event": "assign", **fields})
        assert answer.status_code == 200, answer.json
    hid = hazards["行车钢丝绳断股"]
    client.post(f"/api/v1/hazards/{hid}/transitions", headers=officer,
                json={"event": "rectify", "note": "已更换", "completed_on": clock.today().isoformat()})
    client.post(f"/api/v1/hazards/{hid}/transitions", headers=officer, json={"event": "close", "note": "验收合格"})
    make_hazard(database, world, state="assigned")  # a logged-in worker's report
    make_hazard(database, world)  # not yet confirmed: not on the board

    board = client.get(f"/api/v1/public/enterprises/{token}/board")
    assert board.status_code == 200
    body = board.json
    assert body["enterprise"] == {"name": "企业A1"}
    assert sorted(line["description"] for line in body["open"]) == ["消防通道堵塞", "配电箱漏电"]
    assert [line["description"] for line in body["closed_recently"]] == ["行车钢丝绳断股"]
    assert set(body["open"][0]) == {"code", "location", "description", "category", "grade", "measure", "deadline",
                                    "responsible_unit", "state", "days_overdue"}
    assert set(body["closed_recently"][0]) == set(body["open"][0]) | {"closed_at"}
    page = client.get(f"/b/{token}")
    assert page.status_code == 200 and "消防通道堵塞" in page.text and "<svg" in page.text
    for shown in (board.text, page.text):
        for secret in (REPORTER_NAME, REPORTER_PHONE, FORM_NAME, FORM_PHONE, RESPONSIBLE, "Worker A1", photo.sha256,
                       "/files/", "attachments", *receipts):
            assert secret not in shown, secret


def test_the_board_of_an_unknown_token_is_a_404(client, world):
    assert client.get("/api/v1/public/enterprises/nope/board").status_code == 404
    assert client.get("/b/nope").status_code == 404


def test_closed_more_than_90_days_ago_leaves_the_board(client, world, database, app, clock):
    make_hazard(database, world, state="closed")
    token = world.report_token["A1"]
    assert len(client.get(f"/api/v1/public/enterprises/{token}/board").json["closed_recently"]) == 1
    clock.advance(days=91)
    assert client.get(f"/api/v1/public/enterprises/{token}/board").json["closed_recently"] == []


def test_an_inspector_issues_from_the_audit_page_and_the_officer_replies(client, world, database, clock):
    overdue = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=20))
    sign_in(client, "inspector_a")
    audit = client.get("/audit")
    assert 'name="hazard_ids"' in audit.text
    form = client.get(f"/notices/new?hazard_ids={overdue}")
    assert form.status_code == 200 and "企业A1" in form.text and "checked" in form.text
    refused = client.post("/notices/new", data={"csrf_token": csrf_token(form.text), "enterprise_id": world.enterprise["A1"],
                                                "kind": "opinion", "subject": "", "findings": "x"})
    assert refused.status_code == 422
    issued = client.post("/notices/new", data={
        "csrf_token": csrf_token(form.text), "enterprise_id": world.enterprise["A1"], "kind": "opinion",
        "subject": "逾期隐患", "findings": "请立即整改", "reply_working_days": "10", "hazard_ids": [str(overdue)]})
    assert issued.status_code == 302
    notice_path = issued.headers["Location"]
    printed = client.get(f"{notice_path}/print")
    assert printed.status_code == 200 and "工劳监〔" in printed.text and "意见书" in printed.text
    assert "onclick" not in printed.text and "<script>" not in printed.text
    client.post("/logout", data={"csrf_token": csrf_token(printed.text)})
    sign_in(client, "officer_a1")
    home = client.get("/")
    assert 'data-testid="home-notices"' in home.text
    page = client.get(notice_path)
    replied = client.post(f"{notice_path}/reply", data={"csrf_token": csrf_token(page.text), "text": "已整改",
                                                        "measures": "更换配电箱"})
    assert replied.status_code == 302
    assert "已回复" in client.get(notice_path).text
    assert client.post(f"{notice_path}/reply", data={"csrf_token": csrf_token(page.text), "text": "a",
                                                     "measures": "b"}).status_code == 409
    client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    sign_in(client, "officer_a2")
    assert client.get(notice_path).status_code == 404


def test_the_papers_of_an_enterprise(client, world, database, clock):
    make_hazard(database, world, state="closed", grade="major")
    sign_in(client, "officer_a1")
    year = clock.today().year
    report = client.get(f"/enterprises/{world.enterprise['A1']}/major-hazards-report?year={year}")
    assert report.status_code == 200 and "专项应急预案" in report.text
    evidence = client.get(f"/enterprises/{world.enterprise['A1']}/evidence?year={year}")
    assert evidence.status_code == 200 and "Worker A1" not in evidence.text
    assert client.get(f"/enterprises/{world.enterprise['B1']}/evidence").status_code == 404
    assert client.get("/union").status_code == 200


def test_english_pages_speak_one_language(client, world):
    page = client.get(f"/b/{world.report_token['A1']}?lang=en")
    assert page.status_code == 200 and "Hazard board" in page.text and "隐患治理公示栏" not in page.text


def test_odd_form_values_are_refused_not_500(client, world):
    sign_in(client, "inspector_city")
    form = client.get("/campaigns")
    token = csrf_token(form.text)
    for value in ("99999999999999999999", "²", "abc", "-1"):
        answer = client.post("/campaigns", data={"csrf_token": token, "jurisdiction_id": value, "kind": "ankang_cup",
                                                 "title": "x", "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
        assert answer.status_code == 422, value
        assert client.get(f"/notices/new?enterprise_id={value}&hazard_ids={value}").status_code in (200, 403), value
    ancient = client.post("/campaigns", data={"csrf_token": token, "jurisdiction_id": world.jurisdiction["CITY"],
                                              "kind": "ankang_cup", "title": "x", "starts_on": "0001-01-01",
                                              "ends_on": "0001-12-31"})
    assert ancient.status_code == 422


@pytest.mark.frozen_at("2026-12-24 10:00")
def test_an_estimated_reply_deadline_says_so_on_the_page(client, world):
    notice = world.post("inspector_a", "/api/v1/notices", json={
        "enterprise_id": world.enterprise["A1"], "kind": "reminder", "subject": "年末安全检查", "findings": "请自查"}).json
    assert notice["calendar_estimated"] is True
    sign_in(client, "officer_a1")
    page = client.get(f"/notices/{notice['id']}")
    assert "按周末估算，待国务院公布放假安排" in page.text and "2027-01-14" in page.text
