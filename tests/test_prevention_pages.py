"""The dual prevention pages through the test client: the register with its four-colour
picture, the risk point form, plans, the QR poster and its inspection form, the
overview; and a finding's source in the ledger, the hazard page and the Excel ledger."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.conftest import PNG
from tests.helpers import sign_out
from tests.test_work_pages import login


def csrf(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def register_by_form(client, enterprise_id, **fields):
    form = client.get(f"/enterprises/{enterprise_id}/risk-points/new")
    assert form.status_code == 200
    data = {"csrf_token": csrf(form), "name": "配电室", "kind": "place", "location": "一号车间",
            "dangers": "触电\n电气火灾", "controls": "配电柜门上锁\n绝缘垫完好", "method": "lec",
            "lec_l": "3", "lec_e": "6", "lec_c": "40", "checks": "柜门是否上锁\n绝缘垫是否完好", **fields}
    return client.post(f"/enterprises/{enterprise_id}/risk-points/new", data=data)


def test_an_officer_registers_a_risk_point_and_sees_its_colour(world, client):
    login(client, "officer_a1")
    a1 = world.enterprise["A1"]
    form = client.get(f"/enterprises/{a1}/risk-points/new")
    assert '<option value="0.5">0.5 — 很不可能，可以设想</option>' in form.text  # choices, not free numbers
    assert "<script>" not in form.text and "onclick" not in form.text
    refused = register_by_form(client, a1, lec_e="5")
    assert refused.status_code == 422 and "须为取值表中的值" in refused.text and 'value="配电室"' in refused.text
    saved = register_by_form(client, a1)
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"])
    assert 'data-colour="red"' in page.text and "重大风险" in page.text  # 3 x 6 x 40 = 720
    register = client.get(f"/enterprises/{a1}/risk-points")
    assert register.status_code == 200 and "<svg" in register.text and 'data-colour="red"' in register.text
    assert "重大风险 1" in register.text
    assert client.get(f"/enterprises/{world.enterprise['A2']}/risk-points").status_code == 404
    english = client.get(f"/enterprises/{a1}/risk-points?lang=en")
    assert "Four-colour risk map" in english.text and "Major risk" in english.text


def test_workers_and_inspectors_see_what_is_theirs(world, client):
    login(client, "officer_a1")
    register_by_form(client, world.enterprise["A1"])
    sign_out(client)
    login(client, "inspector_city")
    assert client.get("/prevention").headers["Location"].endswith("/prevention/overview")
    overview = client.get("/prevention/overview")
    assert overview.status_code == 200 and "企业A1" in overview.text and "市总工会" in overview.text
    assert client.get(f"/enterprises/{world.enterprise['A1']}/risk-points/new").status_code == 403
    sign_out(client)
    login(client, "worker_a1")
    assert client.get("/prevention").headers["Location"].endswith("/inspections")
    assert client.get(f"/enterprises/{world.enterprise['A1']}/risk-points").status_code == 403
    assert client.get("/prevention/overview").status_code == 403


def test_the_qr_code_opens_the_due_inspection_and_a_failed_check_becomes_a_hazard(world, client, database):
    a1 = world.enterprise["A1"]
    login(client, "officer_a1")
    point_page = register_by_form(client, a1).headers["Location"]
    point_id = int(point_page.split("/risk-points/")[1].split("?")[0])
    plans = client.get(f"/enterprises/{a1}/inspection-plans")
    made = client.post(f"/enterprises/{a1}/inspection-plans", data={
        "csrf_token": csrf(plans), "risk_point_ids": [str(point_id)], "frequency": "weekly",
        "assignee_user_id": str(world.user["worker_a1"])})
    assert made.status_code == 302
    poster = client.get(f"/risk-points/{point_id}/qr")
    assert poster.status_code == 200 and f"http://hazard-ledger.test/risk-points/{point_id}/inspect" in poster.text
    sign_out(client)
    # the assignee scans: sign in first, then back to the inspection
    scanned = client.get(f"/risk-points/{point_id}/inspect")
    assert scanned.status_code == 302 and "/login" in scanned.headers["Location"]
    login_page = client.get(scanned.headers["Location"])
    back = client.post(scanned.headers["Location"], data={"username": "worker_a1", "password": "correct-horse-9",
                                                          "csrf_token": csrf(login_page)})
    assert back.headers["Location"] == f"/risk-points/{point_id}/inspect"
    opened = client.get(back.headers["Location"])
    assert opened.status_code == 302 and "/inspections/" in opened.headers["Location"]
    form = client.get(opened.headers["Location"])
    assert "柜门是否上锁" in form.text and "不合格" in form.text
    incomplete = client.post(opened.headers["Location"], data={"csrf_token": csrf(form), "ok-0": "1"})
    assert incomplete.status_code == 422 and "请选择合格或不合格" in incomplete.text
    done = client.post(opened.headers["Location"], content_type="multipart/form-data", data={
        "csrf_token": csrf(form), "ok-0": "1", "ok-1": "0", "note-1": "绝缘垫破损",
        "photo-1": (io.BytesIO(PNG), "pad.png")})
    assert done.status_code == 302
    record = client.get(done.headers["Location"])
    assert "已完成" in record.text and 'data-testid="hazard-link"' in record.text
    hazard_path = re.search(r'href="(/hazards/\d+)(?:/print)?" data-testid="hazard-link"', record.text).group(1)
    again = client.post(opened.headers["Location"], data={"csrf_token": csrf(form), "ok-0": "1", "ok-1": "1"})
    assert again.status_code in (200, 409)  # the record, no form: nothing written twice
    sign_out(client)
    login(client, "officer_a1")
    ledger = client.get("/ledger")
    assert "隐患排查" in ledger.text.split('data-testid="source"')[1]
    hazard = client.get(hazard_path)
    assert "隐患排查" in hazard.text and f"/risk-points/{point_id}" in hazard.text and "/files/" in hazard.text
    export = client.get("/ledger/export")
    workbook = load_workbook(io.BytesIO(export.data), read_only=True)
    export.close()
    _title, _scope, header, *rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    source = header.index("来源")
    assert [row[source] for row in rows] == ["隐患排查"]


def test_the_register_imports_and_exports_from_the_page(world, client, tmp_path):
    a1 = world.enterprise["A1"]
    login(client, "officer_a1")
    page = client.get(f"/enterprises/{a1}/risk-points")
    good = ("风险点名称,类型,所在区域,危险因素,管控措施,评价方法,L,E,C,S\n"
            "冲压机,设备设施,二号车间,机械伤害,双手按钮完好,LEC,6,6,7,\n").encode("utf-8-sig")
    bad = good + "叉车,设备设施,仓库,碰撞,限速,风险矩阵,6,,,2\n".encode()
    refused = client.post(f"/enterprises/{a1}/risk-points/import", content_type="multipart/form-data",
                          data={"csrf_token": csrf(page), "file": (io.BytesIO(bad), "register.csv")})
    assert refused.status_code == 422 and "第 3 行 [L]" in refused.text and "冲压机" not in refused.text
    taken = client.post(f"/enterprises/{a1}/risk-points/import", content_type="multipart/form-data",
                        data={"csrf_token": csrf(page), "file": (io.BytesIO(good), "register.csv")})
    assert taken.status_code == 200 and "冲压机" in taken.text and "较大风险" in taken.text
    exported = client.get(f"/enterprises/{a1}/risk-points/export")
    header = next(load_workbook(io.BytesIO(exported.data), read_only=True).worksheets[0].iter_rows(values_only=True))
    exported.close()
    assert header[:4] == ("序号", "风险点名称", "类型", "所在区域") and "风险等级" in header
