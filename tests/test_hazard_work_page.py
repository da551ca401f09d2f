"""The hazard's work page (/hazards/<id>), through the test client: the state and the
deadline at the top, the allowed actions as short forms that show every problem at once
in the page's one language and keep what was typed, Post/Redirect/Get with a success
message, pickers instead of ids, the stale form; and the print sheet without forms."""

from __future__ import annotations

import re

from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations import operations as orgs
from hazard_ledger.organisations.models import User
from tests.factories import make_hazard, plan, sign_in

CJK = re.compile(r"[\u4e00-\u9fff]")


def csrf(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def version(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.text).group(1)


def summary(html: str) -> str:
    return html.split('data-testid="error-summary"')[1].split("</div>")[0]


def field_problem(html: str, event: str, name: str) -> str | None:
    found = re.search(rf'id="{event}-{name}-error">([^<]*)<', html)
    return found.group(1) if found else None


def hazard(database, hazard_id: int) -> Hazard:
    with database.unit_of_work(write=False) as session:
        found = session.get(Hazard, hazard_id)
        session.expunge(found)
        return found


def test_the_page_opens_with_where_the_hazard_stands_and_what_to_do(world, database, client, clock):
    from datetime import timedelta

    late = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=30))
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{late}").text
    head = page.split('data-testid="hazard-head"')[1].split("</section>")[0]
    assert 'class="badge state-assigned"' in head and "整改中" in head and "一般" in head
    assert "逾期 20 天" in head and "企业A1" in head and "二号车间" in head and "配电箱漏电" in head
    assert page.index('data-testid="actions"') < page.index('data-testid="photos"') < page.index('data-testid="timeline"')
    assert f'href="/hazards/{late}/print"' in page
    assert page.count('data-testid="timeline-entry"') == 2  # reported, assigned: one block each


def test_every_problem_at_once_next_to_its_field_and_at_the_top_with_what_was_typed_kept(world, database, client):
    hazard_id = make_hazard(database, world)
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    answer = client.post(f"/hazards/{hazard_id}/events/assign", data={
        "csrf_token": csrf(page), "version": version(page), "grade": "major", "measure": "  ",
        "deadline": "not-a-date", "protective_measures": "设置警戒线", "funds": "abc"})
    assert answer.status_code == 422
    html = answer.text
    wanted = {"measure": "必填", "deadline": "日期格式不正确", "responsible_unit": "必填",
              "responsible_person": "必填", "funds": "须为数字", "emergency_plan": "重大隐患必须有应急预案"}
    for name, problem in wanted.items():
        assert field_problem(html, "assign", name) == problem, name
        assert f'href="#assign-{name}"' in summary(html)
    assert html.count('class="field invalid"') == len(wanted)
    assert "设置警戒线</textarea>" in html and 'value="abc"' in html  # what was typed stays
    assert 'option value="major" selected' in html
    assert re.search(r'<details name="actions" open data-event="assign"', html)
    assert "Missing data" not in html and " / " not in summary(html)  # one language
    assert hazard(database, hazard_id).version == 1  # nothing changed


def test_the_rules_that_need_the_clock_or_the_database_are_told_in_the_same_round(world, database, client):
    """A deadline before today and a responsible account of another enterprise (the
    rulebook's checks) come with the fields' own problems, not one submit later."""
    hazard_id = make_hazard(database, world)
    outsider = world.user["officer_b1"]
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    answer = client.post(f"/hazards/{hazard_id}/events/assign", data={
        "csrf_token": csrf(page), "version": version(page), "grade": "general", "measure": "",
        "deadline": "2020-01-01", "responsible_unit": "设备科", "responsible_person": "王工",
        "protective_measures": "设置警戒线", "responsible_user_id": str(outsider)})
    assert answer.status_code == 422
    wanted = {"measure": "必填", "deadline": "整改时限不能早于今天", "responsible_user_id": "须为本企业的在用账号"}
    for name, problem in wanted.items():
        assert field_problem(answer.text, "assign", name) == problem, name
    api = world.fire("officer_a1", hazard_id, "assign", **{**plan(), "measure": "", "deadline": "2020-01-01"})
    assert api.status_code == 422
    assert set(api.json["error"]["fields"]) == {"measure", "deadline"}
    assert hazard(database, hazard_id).version == 1  # nothing changed


def test_an_english_page_says_its_problems_in_english_only(world, database, client):
    hazard_id = make_hazard(database, world)
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}?lang=en")
    fields = {k: v for k, v in plan().items() if v is not None}
    answer = client.post(f"/hazards/{hazard_id}/events/assign?lang=en", data={
        "csrf_token": csrf(page), "version": version(page), **fields, "deadline": "2020-01-01", "measure": ""})
    assert answer.status_code == 422
    assert field_problem(answer.text, "assign", "measure") == "required"
    assert not CJK.search(summary(answer.text)), summary(answer.text)
    # a rule of the operation ("中文 / English" in the API) shows its English half only
    past = client.post(f"/hazards/{hazard_id}/events/assign?lang=en", data={
        "csrf_token": csrf(page), "version": version(page), **fields, "deadline": "2020-01-01"})
    assert field_problem(past.text, "assign", "deadline") == "the deadline cannot be before today"
    chinese = client.post(f"/hazards/{hazard_id}/events/assign?lang=zh", data={
        "csrf_token": csrf(page), "version": version(page), **fields, "deadline": "2020-01-01"})
    assert field_problem(chinese.text, "assign", "deadline") == "整改时限不能早于今天"
    api = world.fire("officer_a1", hazard_id, "assign", **{**fields, "deadline": "2020-01-01"}).json
    assert api["error"]["fields"]["deadline"] == ["整改时限不能早于今天 / the deadline cannot be before today"]


def test_success_redirects_with_a_message_a_refresh_does_not_repeat(world, database, client):
    hazard_id = make_hazard(database, world)
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    fields = {k: v for k, v in plan().items() if v is not None}
    answer = client.post(f"/hazards/{hazard_id}/events/assign", data={"csrf_token": csrf(page), "version": version(page),
                                                                       **fields})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/hazards/{hazard_id}")
    shown = client.get(f"/hazards/{hazard_id}").text
    assert 'data-testid="done"' in shown and "已办理：确认并制定整改方案" in shown
    again = client.get(f"/hazards/{hazard_id}").text
    assert 'data-testid="done"' not in again and hazard(database, hazard_id).version == 2
    # a refused form's address opened again (the language switch) is the hazard's page
    assert client.get(f"/hazards/{hazard_id}/events/assign?lang=en").headers["Location"].endswith(
        f"/hazards/{hazard_id}?lang=en")


def test_a_stale_form_says_someone_else_changed_it_and_shows_the_fresh_state(world, database, client):
    hazard_id = make_hazard(database, world)
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    assert world.fire("officer_a1", hazard_id, "reject", reason="not_a_hazard").status_code == 200
    stale = client.post(f"/hazards/{hazard_id}/events/assign", data={
        "csrf_token": csrf(page), "version": version(page), **{k: v for k, v in plan().items() if v is not None}})
    assert stale.status_code == 409
    assert "刚被他人办理或修改" in summary(stale.text) and 'class="badge state-rejected"' in stale.text


def test_the_responsible_picker_offers_the_enterprise_s_active_users_by_name(world, database, client):
    hazard_id = make_hazard(database, world)
    with database.unit_of_work() as session:
        orgs.set_active(session, session.get(User, world.user["admin"]), session.get(User, world.user["worker2_a1"]), False)
        names = {u.username: u.display_name for u in session.query(User)}
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    picker = page.text.split('data-testid="responsible-picker"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', picker)
    assert {name for value, name in offered if value} == {names["officer_a1"], names["worker_a1"]}
    assert names["worker_b1"] not in picker and names["worker2_a1"] not in picker
    assert not re.search(r'<input[^>]*name="responsible_user_id"', page.text)  # a name to pick, no id to type
    chosen = next(value for value, name in offered if name == names["worker_a1"])
    fields = {**{k: v for k, v in plan().items() if v is not None}, "responsible_user_id": chosen}
    assert client.post(f"/hazards/{hazard_id}/events/assign", data={"csrf_token": csrf(page), **fields}).status_code == 302
    assert hazard(database, hazard_id).responsible_user_id == world.user["worker_a1"]
    page = client.get(f"/hazards/{hazard_id}").text
    timeline = page.split('data-testid="timeline"')[1]
    assert f"<dd>{names['worker_a1']}</dd>" in timeline and f"<dd>{world.user['worker_a1']}</dd>" not in timeline


def test_a_duplicate_is_chosen_by_its_code_and_a_code_out_of_sight_is_refused(world, database, client):
    original = make_hazard(database, world, description="消防通道被货物堵塞")
    other = make_hazard(database, world, enterprise="B1", reporter="worker_b1", responsible=None)
    hazard_id = make_hazard(database, world)
    first, elsewhere = hazard(database, original).code, hazard(database, other).code
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    reject = page.text.split('data-event="reject"')[1].split("</details>")[0]
    assert f'<option value="{first}">' in reject and elsewhere not in reject and 'list="reject-duplicate_of-codes"' in reject
    found = client.get(f"/hazards/{hazard_id}/codes?q=消防").json["items"]
    assert [item["code"] for item in found] == [first]
    assert client.get(f"/hazards/{hazard_id}/codes?q={elsewhere}").json["items"] == []
    assert client.get(f"/hazards/{hazard_id}/codes?q=%25").json["items"] == []  # a literal %, not a wildcard
    assert client.get(f"/hazards/{hazard_id}/codes?q=%00").status_code < 500
    refused = client.post(f"/hazards/{hazard_id}/events/reject", data={
        "csrf_token": csrf(page), "reason": "duplicate", "duplicate_of": elsewhere, "comment": "同一处"})
    assert refused.status_code == 422
    assert field_problem(refused.text, "reject", "duplicate_of") == "没有这个编号的隐患，或它不在您的查看范围内"
    assert f'value="{elsewhere}"' in refused.text and "同一处</textarea>" in refused.text
    assert hazard(database, hazard_id).state.value == "reported"
    done = client.post(f"/hazards/{hazard_id}/events/reject", data={
        "csrf_token": csrf(page), "reason": "duplicate", "duplicate_of": first.lower()})
    assert done.status_code == 302
    assert hazard(database, hazard_id).duplicate_of_id == original
    page = client.get(f"/hazards/{hazard_id}").text
    assert f'data-testid="original">{first}</a>' in page and f"<dd>{first}</dd>" in page.split('data-testid="timeline"')[1]
    assert world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["duplicate_of"] == original  # the API: an id


def test_the_print_sheet_has_no_forms_and_links_back(world, database, client):
    hazard_id = make_hazard(database, world, state="assigned")
    sign_in(client, "officer_a1")
    sheet = client.get(f"/hazards/{hazard_id}/print").text
    assert "/events/" not in sheet and "data-event=" not in sheet and 'name="version"' not in sheet
    assert 'class="sheet"' in sheet and f'href="/hazards/{hazard_id}"' in sheet
    work = client.get(f"/hazards/{hazard_id}").text
    assert 'class="sheet"' not in work and 'data-event="progress"' in work


def test_an_english_work_page_has_english_labels_and_the_photos_as_thumbnails(world, database, client):
    from tests.conftest import PNG
    from tests.test_api import upload

    hazard_id = make_hazard(database, world, state="assigned")
    assert upload(world, "worker_a1", hazard_id, PNG, name="photo.png").status_code == 201
    sign_in(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}?lang=en").text
    labels = re.findall(r"<(?:dt|summary|h1|h2|button|label)[^>]*>([^<]+)<", page)
    assert labels and not [text for text in labels if CJK.search(text)]
    assert "Being rectified" in page and "Timeline" in page
    photos = page.split('data-testid="photos"')[1].split("</section>")[0]
    thumbnail = re.search(r'<img src="(/files/\d+/thumbnail)"', photos).group(1)
    assert client.get(thumbnail).mimetype == "image/jpeg"
    chinese = client.get(f"/hazards/{hazard_id}?lang=zh").text
    assert "整改中" in chinese and "Timeline" not in chinese and "处理过程" in chinese
