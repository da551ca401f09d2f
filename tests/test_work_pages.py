"""The working pages, through the test client: ledger table, audit, inbox, QR poster,
the reporter's status page with the reward claim."""

import re
from datetime import timedelta

from sqlalchemy import event as orm_events

from hazard_ledger.hazards.models import Hazard

from tests.conftest import PASSWORD
from tests.factories import make_hazard, plan, sign_out


def login(client, username):
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302


def test_the_ledger_table_marks_overdue_rows(world, database, client, clock):
    late = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=30))
    make_hazard(database, world, state="reported")
    make_hazard(database, world, enterprise="B1", reporter="worker_b1", responsible=None)
    login(client, "officer_a1")
    page = client.get("/ledger")
    assert page.status_code == 200 and page.text.count("<tr class=") == 2 + 0  # two A1 rows
    assert 'class="overdue"' in page.text and 'data-testid="days-overdue"><strong>20</strong>' in page.text
    assert '共 2 项' in page.text and 'class="badge state-assigned"' in page.text
    only_late = client.get("/ledger?overdue=true&sort=deadline")
    assert f'/hazards/{late}' in only_late.text and only_late.text.count("<tr class=") == 1
    assert client.get("/ledger?cursor=!!").status_code == 404


def test_the_audit_ranks_the_most_overdue_first_with_a_chart(world, database, client, clock):
    now = clock()
    make_hazard(database, world, state="assigned", now=now - timedelta(days=40))
    make_hazard(database, world, state="assigned", now=now - timedelta(days=15))
    make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None,
                now=now - timedelta(days=12))
    login(client, "inspector_city")
    page = client.get("/audit")
    assert page.status_code == 200 and "<svg" in page.text
    ranking = page.text.split('data-testid="ranking"')[1]
    assert ranking.index("企业A1") < ranking.index("企业B1")  # the oldest overdue ranks above
    sign_out(client)
    login(client, "worker_a1")
    assert client.get("/audit").status_code == 403


def test_the_audit_puts_major_overdue_first_and_drills_down_by_age(world, database, client, clock):
    """Major overdue, then the oldest, then the count; each item says its enterprise and
    district; the chart follows the enterprise chosen and its bars open their items; the
    list exports to Excel."""
    now = clock()
    for days in (40, 35, 30):
        make_hazard(database, world, state="assigned", now=now - timedelta(days=days))  # A1: three, oldest 30 days late
    make_hazard(database, world, state="assigned", grade="major", enterprise="B1", reporter="worker_b1",
                responsible=None, now=now - timedelta(days=12))  # B1: one, major, two days late
    login(client, "inspector_city")
    enterprises = world.get("inspector_city", "/api/v1/audit/overdue").json["enterprises"]
    assert [e["code"] for e in enterprises][:2] == ["B1", "A1"]  # the API and the page rank alike
    page = client.get("/audit").text
    ranking = page.split('data-testid="ranking"')[1]
    assert ranking.index("企业B1") < ranking.index("企业A1")
    items = page.split('id="items"')[1]
    assert "企业A1" in items and "企业B1" in items
    a1 = world.enterprise["A1"]
    drilled = client.get(f"/audit?enterprise_id={a1}").text
    chart = drilled.split("<svg")[1].split("</svg>")[0]
    assert f'enterprise_id={a1}' in chart and ">3<" in chart  # A1's three items, by age
    assert "企业B1" not in drilled.split('id="items"')[1]
    aged = client.get("/audit?age=1-7").text.split('id="items"')[1]
    assert "企业B1" in aged and "企业A1" not in aged.split("</table>")[0]  # B1 is 2 days late, A1's 20 or more
    export = drilled.split('data-testid="audit-export"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    answer = client.get(export)
    assert answer.status_code == 200 and answer.mimetype.endswith("sheet")
    answer.close()


def test_the_inbox_marks_read(world, database, client):
    make_hazard(database, world, state="assigned")
    login(client, "worker2_a1")
    page = client.get("/inbox")
    assert "隐患整改" in page.text and "标为已读" in page.text
    notification_id = re.search(r'/inbox/(\d+)/read', page.text).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert client.post(f"/inbox/{notification_id}/read", data={"csrf_token": token}).status_code == 302
    assert "标为已读" not in client.get("/inbox").text


def test_a_qr_poster_points_at_the_report_form(world, client):
    login(client, "officer_a1")
    page = client.get(f"/qr/{world.enterprise['A1']}?location=二号车间")
    assert page.status_code == 200 and "<svg" in page.text and "二号车间" in page.text
    assert f"/r/{world.report_token['A1']}" in page.text
    assert client.get(f"/qr/{world.enterprise['B1']}").status_code == 404


def test_the_reporter_follows_and_claims_with_the_receipt(world, database, client):
    answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards",
                         json={"location": "仓库", "description": "消防通道堵塞", "anonymous": True}).json
    page = client.get(f"/receipt?receipt={answer['receipt']}", follow_redirects=True)
    assert page.status_code == 200 and "待确认" in page.text and "领取奖励" not in page.text
    hazard_id = world.get("admin", "/api/v1/hazards").json["items"][0]["id"]
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
    page = client.get(f"/receipt/{answer['receipt']}")
    assert "100.00" in page.text and "领取奖励" in page.text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    bad = client.post(f"/receipt/{answer['receipt']}", data={"csrf_token": token, "name": "王", "phone": "x",
                                                            "payout_account": "6222000011112222"})
    assert "电话号码格式不正确" in bad.text
    done = client.post(f"/receipt/{answer['receipt']}", data={"csrf_token": token, "name": "王", "phone": "13700000000",
                                                             "payout_account": "6222000011112222"},
                       follow_redirects=True)
    assert "领取信息已提交" in done.text
    assert client.get("/receipt/NOT-A-RECEIPT").status_code == 404


def csrf(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def test_a_safety_officer_works_a_hazard_through_its_page(world, database, client, clock):

    hazard_id = make_hazard(database, world)
    login(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    assert 'data-event="assign"' in page.text and 'data-event="reject"' in page.text
    assert 'data-event="close"' not in page.text
    token = csrf(page)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    wrong = client.post(f"/hazards/{hazard_id}/events/assign", data={"csrf_token": token, "version": version,
                                                                      "grade": "general", "measure": ""})
    assert wrong.status_code == 422 and 'class="field invalid"' in wrong.text  # errors next to the field
    fields = {k: v for k, v in plan().items() if v is not None}
    assert client.post(f"/hazards/{hazard_id}/events/assign",
                       data={"csrf_token": token, "version": version, **fields}).status_code == 302
    page = client.get(f"/hazards/{hazard_id}")
    assert "整改中" in page.text and 'data-event="rectify"' in page.text
    for event, data in (("progress", {"note": "已采购"}), ("rectify", {"note": "已整改", "completed_on": clock.today().isoformat()}),
                        ("close", {"note": "验收合格"})):
        page = client.get(f"/hazards/{hazard_id}")
        assert client.post(f"/hazards/{hazard_id}/events/{event}", data={"csrf_token": csrf(page), **data}).status_code == 302
    assert "已销号" in client.get(f"/hazards/{hazard_id}").text
    stale = client.post(f"/hazards/{hazard_id}/events/reopen", data={"csrf_token": token, "reason": "x"})
    assert stale.status_code == 409
    assert client.post(f"/hazards/{hazard_id}/events/assign", data={"reason": "no token"}).status_code == 400


def test_a_worker_sees_their_reports_and_rewards(world, database, client):
    make_hazard(database, world, state="assigned")
    login(client, "worker_a1")
    page = client.get("/mine")
    assert page.status_code == 200 and "YH-" in page.text and "100.00" in page.text
    assert client.get("/compliance").status_code == 403
    own = client.get("/rewards")  # a worker's own awards (the README lists /rewards)
    assert own.status_code == 200 and "100.00" in own.text and "批准" not in own.text


def test_an_inspector_approves_and_pays_a_reward(world, database, client):
    make_hazard(database, world, state="assigned")
    login(client, "inspector_a")
    page = client.get("/rewards")
    award_id = re.search(r'data-award="(\d+)"', page.text).group(1)
    assert "Worker A1" in page.text
    assert client.post(f"/rewards/{award_id}/approve", data={"csrf_token": csrf(page)}).status_code == 302
    page = client.get("/rewards")
    assert client.post(f"/rewards/{award_id}/pay", data={"csrf_token": csrf(page), "paid_on": "2026-01-01",
                                                         "reference": ""}).status_code == 422
    assert client.post(f"/rewards/{award_id}/pay", data={"csrf_token": csrf(page), "paid_on": "2026-01-01",
                                                         "reference": "财-1"}).status_code == 302
    assert "已发放" in client.get("/rewards").text and "Paid" in client.get("/rewards?lang=en").text


def test_compliance_and_roster_import_pages(world, client, tmp_path):
    import io

    login(client, "officer_a1")
    page = client.get(f"/enterprises/{world.enterprise['A1']}/roster")
    good = "工号,姓名,岗位类别\n001,赵强,其他\n".encode("utf-8")
    answer = client.post(f"/enterprises/{world.enterprise['A1']}/roster", content_type="multipart/form-data",
                         data={"csrf_token": csrf(page), "file": (io.BytesIO(good), "roster.csv")})
    assert answer.status_code == 200 and "赵强" in answer.text and "已导入" in answer.text
    bad = "工号,姓名,岗位类别\n002,,厨师\n".encode("utf-8")
    answer = client.post(f"/enterprises/{world.enterprise['A1']}/roster", content_type="multipart/form-data",
                         data={"csrf_token": csrf(page), "file": (io.BytesIO(bad), "roster.csv")})
    assert answer.status_code == 422 and "第 2 行 [姓名]" in answer.text
    page = client.get("/compliance?year=2026")
    assert page.status_code == 200 and "企业A1" in page.text and "001" in page.text


def test_trainings_drills_and_the_export_from_the_pages(world, client):
    import io

    login(client, "officer_a1")
    roster = f"/enterprises/{world.enterprise['A1']}/roster"
    page = client.get(roster)
    client.post(roster, content_type="multipart/form-data",
                data={"csrf_token": csrf(page), "file": (io.BytesIO("工号,姓名\n001,赵强\n".encode()), "r.csv")})
    activities = f"/enterprises/{world.enterprise['A1']}/activities"
    bad = client.post(activities, data={"csrf_token": csrf(page), "kind": "training", "held_on": "2026-03-01",
                                        "topic": "法规", "hours": "2", "attendees": "001, 999"})
    assert bad.status_code == 422 and "999" in bad.text
    good = client.post(activities, data={"csrf_token": csrf(page), "kind": "training", "held_on": "2026-03-01",
                                         "topic": "法规", "hours": "2", "attendees": "001"})
    assert good.status_code == 302
    drill = client.post(activities, data={"csrf_token": csrf(page), "kind": "drill", "held_on": "2026-04-01",
                                          "drill_kind": "onsite", "scenario": "火灾", "participants": "20"})
    assert drill.status_code == 302
    compliance = client.get("/compliance?year=2026").text
    assert "1 / 1" in compliance  # A1 is high-risk: one drill held of one required
    export = client.get("/ledger/export?format=csv")
    assert export.status_code == 200 and export.data.decode("utf-8-sig").startswith("序号,隐患编号")
    export.close()


def test_the_roster_lists_what_was_recorded_and_the_compliance_gaps_lead_there(world, client, tmp_path):
    import io

    from openpyxl import load_workbook

    login(client, "officer_a1")
    a1 = world.enterprise["A1"]
    roster = f"/enterprises/{a1}/roster"
    page = client.get(roster)
    assert f'href="{roster}"' in page.text  # the roster is in the officer's menu
    assert "/statistics/" in page.text and 'data-testid="statistics-link"' in page.text
    client.post(roster, content_type="multipart/form-data", data={
        "csrf_token": csrf(page), "file": (io.BytesIO("工号,姓名,岗位类别\n001,赵强,主要负责人\n002,钱敏,其他\n".encode()), "r.csv")})
    activities = f"/enterprises/{a1}/activities"
    assert client.post(activities, data={"csrf_token": csrf(page), "kind": "training", "held_on": "2026-03-01",
                                         "topic": "安全生产法规", "hours": "2", "attendees": "001"}).status_code == 302
    assert f'{roster}#drill' in client.get("/compliance?year=2026").text  # a missing drill leads to the drill form
    assert client.post(activities, data={"csrf_token": csrf(page), "kind": "drill", "held_on": "2026-04-01",
                                         "drill_kind": "onsite", "scenario": "配电室火灾", "participants": "20"}).status_code == 302
    page = client.get(roster).text
    assert "安全生产法规" in page and "001 赵强" in page  # a training with who attended
    assert "配电室火灾" in page and "现场处置方案" in page
    assert "主要负责人" in page and "其他从业人员" in page and "principal" not in page.split("<table")[-1]
    english = client.get(f"{roster}?lang=en").text
    assert "Principal" in english and "On-site response plan" in english and "Other employee" in english
    client.get(f"{roster}?lang=zh")

    template = client.get("/roster-template.xlsx")
    assert template.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(template.data)
    template.close()
    assert [cell.value for cell in next(load_workbook(path).active.iter_rows())][:4] == ["工号", "姓名", "部门", "岗位类别"]

    compliance = client.get("/compliance?year=2026").text
    assert "工会活动要求" in compliance and ">union<" not in compliance
    assert "已演练 / 应演练" in compliance
    assert f'{roster}?attendees=002#training' in compliance  # the untrained, pre-filled in the form that closes the gap
    assert f'/enterprises/{world.enterprise["A2"]}/roster#import' not in compliance  # A2 is not the officer's
    sign_out(client)
    login(client, "inspector_a")
    overview = client.get("/compliance?year=2026").text
    assert f'/enterprises/{world.enterprise["A2"]}/roster#import' in overview  # no roster: import one


def test_the_landing_page_counts_what_waits_and_each_number_opens_its_list(world, database, client, clock):
    """Each tile's number is the number of rows of the list it links to, for an officer (their
    enterprise) and an inspector (their subtree); a worker sees only their own."""
    month_ago = clock() - timedelta(days=40)
    make_hazard(database, world, state="assigned", now=month_ago)  # overdue
    make_hazard(database, world, state="assigned", grade="major", now=month_ago)  # major and overdue
    make_hazard(database, world, state="assigned")  # due in ten days
    make_hazard(database, world, state="reported")
    make_hazard(database, world, state="rectified")
    make_hazard(database, world, enterprise="B1", reporter="worker_b1", responsible=None)

    def tiles(page: str) -> dict[str, tuple[int, str]]:
        found = re.findall(r'<a class="tile[^"]*" href="([^"]+)" data-testid="([^"]+)"><strong>(\d+)</strong>', page)
        return {key: (int(number), href.replace("&amp;", "&")) for href, key, number in found}

    def rows(href: str) -> int:
        return client.get(href).text.count("<tr class=")

    for user in ("officer_a1", "inspector_a"):
        login(client, user)
        home = client.get("/").text
        counted = tiles(home)
        assert counted["overdue"][0] == 2 and counted["major-overdue"][0] == 1
        assert counted["to-confirm"][0] == 1  # B1's report is neither the officer's nor in inspector A's subtree
        assert counted["to-verify"][0] == 1 and counted["in-rectification"][0] == 3
        for key in ("overdue", "major-overdue", "to-confirm", "to-verify", "in-rectification", "new-this-month"):
            number, href = counted[key]
            assert rows(href) == number, (user, key, href)
        assert "compliance-gaps" in counted
        sign_out(client)
    login(client, "officer_a1")
    assert 'data-testid="statistics-link"' in client.get("/").text
    assert client.get("/ledger?reported_from=not-a-date").status_code == 200
    sign_out(client)
    login(client, "worker_a1")  # the reporter of every A1 item above
    counted = tiles(client.get("/").text)
    assert "compliance-gaps" not in counted and counted["to-confirm"][0] == 1


def test_the_ledger_shows_a_thumbnail_of_the_first_photo(world, database, client):
    import io

    from PIL import Image

    from tests.test_api import upload

    hazard_id = make_hazard(database, world, state="assigned")
    big = io.BytesIO()
    Image.new("RGB", (1600, 1200), (200, 80, 40)).save(big, "JPEG")
    assert upload(world, "worker_a1", hazard_id, big.getvalue()).status_code == 201
    login(client, "officer_a1")
    page = client.get("/ledger").text
    found = re.search(r'<img src="(/files/\d+/thumbnail)"', page)
    assert found
    small = client.get(found.group(1))
    assert small.status_code == 200 and small.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(small.data)).size) <= 240
    sign_out(client)
    login(client, "officer_b1")  # another enterprise's photo is not there
    assert client.get(found.group(1)).status_code == 404


def test_the_ledger_reads_its_filters_as_the_api_does(world, database, client):
    """One filter parser: the page's filters mean what the API's do; a field a hand-typed
    address gets wrong is dropped and the others still filter."""
    for state, grade in (("assigned", "major"), ("assigned", "general"), ("reported", "general"), ("closed", "general")):
        make_hazard(database, world, state=state, grade=grade)
    login(client, "officer_a1")

    def codes(page: str) -> set[str]:
        return set(re.findall(r'class="code">(YH-[0-9-]+)<', page))

    for query in ("state=assigned", "state=assigned,closed", "grade=major", "q=配电", "overdue=false&state=assigned"):
        api = {item["code"] for item in world.get("officer_a1", f"/api/v1/hazards?{query}").json["items"]}
        assert codes(client.get(f"/ledger?{query}").text) == api, query
    assert codes(client.get("/ledger?state=assigned&grade=bogus&reported_from=not-a-date").text) == \
        codes(client.get("/ledger?state=assigned").text)


def test_the_audit_page_shows_the_worst_first_a_page_of_them(world, database, client, clock, monkeypatch):
    from hazard_ledger.web.views import work

    monkeypatch.setattr(work, "AUDIT_ROWS", 1)
    older = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=40))
    newer = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=15))
    login(client, "inspector_city")
    page = client.get("/audit").get_data(as_text=True)
    assert f'data-hazard="{older}"' in page and f'data-hazard="{newer}"' not in page
    assert "最严重的 1 项，共 2 项" in page
    assert f'data-hazard="{newer}"' in client.get("/audit?age=1-7").get_data(as_text=True)  # the chart's bar reaches it


def test_the_aging_chart_counts_every_overdue_item_not_only_the_rows_shown(world, database, client, clock,
                                                                            monkeypatch):
    from hazard_ledger.web.views import work

    monkeypatch.setattr(work, "AUDIT_ROWS", 1)
    for days in (45, 40, 15, 14):  # deadlines ten days on: 35, 30, 5 and 4 days overdue
        make_hazard(database, world, state="assigned", now=clock() - timedelta(days=days))
    login(client, "inspector_city")

    def bars(page: str) -> list[str]:
        chart = page.split("<svg")[1].split("</svg>")[0]
        return re.findall(r'font-size="13">(\d+)<', chart)

    loaded = []

    def count(hazard, _context):
        loaded.append(hazard.id)

    orm_events.listen(Hazard, "load", count)
    try:
        page = client.get("/audit").get_data(as_text=True)
    finally:
        orm_events.remove(Hazard, "load", count)
    assert bars(page) == ["2", "1", "1"] and "共 4 项" in page
    assert len(loaded) == 1  # counted in the database: only the rows shown are loaded
    assert "最严重的 1 项，共 2 项" in client.get("/audit?age=1-7").get_data(as_text=True)
    assert "最严重的 1 项，共 2 项" in client.get("/audit?age=8-").get_data(as_text=True)
    for nonsense in ("age=x-y", "age=-", "age=7-x", "age=" + "9" * 40, "age=3-1", "age=²-", "age=1-²",
                     "enterprise_id=" + "9" * 30, "enterprise_id=-4"):
        answer = client.get(f"/audit?{nonsense}")
        assert answer.status_code == 200, nonsense


def test_the_ledger_counts_up_to_its_bound_and_says_over_past_it(world, database, client, monkeypatch):
    """Past the bound an exact count would scan every match on each visit: the page says
    "over" instead, and still lists the rows."""
    from hazard_ledger.web.views import work

    monkeypatch.setattr(work, "LEDGER_TOTAL_BOUND", 2)
    for _n in range(3):
        make_hazard(database, world)
    login(client, "officer_a1")
    page = client.get("/ledger").get_data(as_text=True)
    total = page.split('data-testid="total">')[1].split("</p>")[0]
    assert "超过 2 项" in total and "共" not in total
    assert len(re.findall(r'class="code">YH-', page)) == 3
    monkeypatch.setattr(work, "LEDGER_TOTAL_BOUND", 3)
    assert "共 3 项" in client.get("/ledger").get_data(as_text=True)
    english = client.get("/ledger?lang=en").get_data(as_text=True)
    assert "3 in all" in english and "Hazard code" in english.split("<tbody>")[1]  # a card label, translated
