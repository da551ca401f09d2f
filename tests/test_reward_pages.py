"""The inspector's rewards page through the test client: filters in the address done by
the database, enterprise and hazard columns, the year's budget as the operation reckons
it, approving several at once (all or none), errors inline keeping what was typed, and
an unclaimed anonymous award waiting for its claim."""

import re

from sqlalchemy import select

from hazard_ledger.organisations.models import User
from hazard_ledger.rewards.models import Award, AwardStatus
from hazard_ledger.rewards.operations import budgets_of_year, reject_award
from tests.factories import make_hazard
from tests.test_rewards import anonymous_report, assign_by_receipt
from tests.test_work_pages import csrf, login

ROW = re.compile(r'<tr data-award="(\d+)"')


def awards_by_hazard(database) -> dict[int, int]:
    with database.unit_of_work(write=False) as session:
        return dict(session.execute(select(Award.hazard_id, Award.id)).all())


def statuses(database) -> dict[int, str]:
    with database.unit_of_work(write=False) as session:
        return {award_id: str(status) for award_id, status in session.execute(select(Award.id, Award.status))}


def test_filters_columns_and_the_budget(world, database, client, clock):
    a1 = [make_hazard(database, world, state="assigned") for _ in range(2)]
    b1 = make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None)
    ids = awards_by_hazard(database)
    year = clock().year
    login(client, "inspector_city")
    page = client.get("/rewards")
    assert page.status_code == 200 and len(ROW.findall(page.text)) == 3
    assert f'href="/hazards/{b1}"' in page.text and "待审批" in page.text  # the hazard's link, the status in words
    only_b1 = client.get(f"/rewards?enterprise={world.enterprise['B1']}&year={year}")
    assert ROW.findall(only_b1.text) == [str(ids[b1])]
    assert f'<option value="{world.enterprise["B1"]}" selected' in only_b1.text
    assert client.post(f"/rewards/{ids[a1[0]]}/approve?status=approved",
                       data={"csrf_token": csrf(page)}).headers["Location"].endswith("/rewards?status=approved")
    assert ROW.findall(client.get("/rewards?status=approved").text) == [str(ids[a1[0]])]
    assert ROW.findall(client.get(f"/rewards?year={year - 1}").text) == []
    assert len(ROW.findall(client.get("/rewards?year=abc&status=nonsense&enterprise=x").text)) == 3  # dropped, no 500
    with database.unit_of_work(write=False) as session:
        budget, = budgets_of_year(session, session.get(User, world.user["inspector_city"]), year, clock().date())
    assert (budget.committed, budget.proposed) == (100, 200) and budget.left == budget.budget - 300
    figures = client.get("/rewards").text
    for name, value in (("total", budget.budget), ("committed", budget.committed), ("proposed", budget.proposed),
                        ("left", budget.left)):
        assert f'data-testid="budget-{name}">{value}<' in figures
    english = client.get("/rewards?lang=en").text
    assert "Approved" in english and "待审批" not in english and "left" in english and "Award budget" in english


def test_approving_three_together_is_all_or_none(world, database, client, clock):
    hazards = [make_hazard(database, world, state="assigned") for _ in range(3)]
    ids = [awards_by_hazard(database)[h] for h in hazards]
    login(client, "inspector_a")
    page = client.get("/rewards")
    with database.unit_of_work() as session:  # a colleague rejects the third meanwhile
        reject_award(session, session.get(User, world.user["admin"]), ids[2],
                     "重复举报", clock())
    failed = client.post("/rewards/approve", data={"csrf_token": csrf(page), "award": [str(i) for i in ids]})
    assert failed.status_code == 409
    assert set(statuses(database)[i] for i in ids[:2]) == {"proposed"}  # nothing approved
    row = failed.text.split(f'data-award="{ids[2]}"')[1].split("</tr>")[0]
    assert 'data-testid="problem"' in row and "不能批准" in row and " / " not in row  # inline, in Chinese only
    assert all(f'value="{i}" form="bulk" aria-label' in failed.text and "checked" in
               failed.text.split(f'value="{i}" form="bulk"')[1][:80] for i in ids[:2])  # the ticks are kept
    english = client.post("/rewards/approve?lang=en",
                          data={"csrf_token": csrf(page), "award": [str(i) for i in ids]})
    assert "cannot be approved" in english.text and "不能批准" not in english.text.split(f'data-award="{ids[2]}"')[1]
    done = client.post("/rewards/approve", data={"csrf_token": csrf(page), "award": [str(i) for i in ids[:2]]})
    assert done.status_code == 302 and [statuses(database)[i] for i in ids[:2]] == ["approved", "approved"]
    none = client.post("/rewards/approve?lang=zh", data={"csrf_token": csrf(page)})
    assert none.status_code == 422 and "请先勾选" in none.text
    assert client.post("/rewards/approve", data={"award": [str(ids[0])]}).status_code == 400  # no CSRF token


def test_reject_and_pay_errors_inline_keeping_what_was_typed(world, database, client):
    hazards = [make_hazard(database, world, state="assigned") for _ in range(2)]
    first, second = (awards_by_hazard(database)[h] for h in hazards)
    login(client, "inspector_a")
    page = client.get("/rewards")
    token = csrf(page)
    blank = client.post(f"/rewards/{first}/reject", data={"csrf_token": token, "reason": "  "})
    assert blank.status_code == 422 and "请填写驳回理由" in blank.text and "<!doctype html>" in blank.text.lower()
    assert 'data-testid="problem"' in blank.text.split(f'data-award="{first}"')[1].split("</tr>")[0]
    assert client.post(f"/rewards/{first}/approve", data={"csrf_token": token}).status_code == 302
    missing = client.post(f"/rewards/{first}/pay", data={"csrf_token": token, "paid_on": "2026-01-02", "reference": ""})
    assert missing.status_code == 422 and "请填写付款凭证号" in missing.text
    assert 'value="2026-01-02"' in missing.text  # the date typed is kept
    bad_date = client.post(f"/rewards/{first}/pay", data={"csrf_token": token, "paid_on": "2026-13-40",
                                                          "reference": "财-7"})
    assert bad_date.status_code == 422 and 'value="财-7"' in bad_date.text and "日期格式不正确" in bad_date.text
    english = client.post(f"/rewards/{first}/pay?lang=en", data={"csrf_token": token, "paid_on": "2026-01-02"})
    assert "the payment reference" in english.text and "请填写付款凭证号" not in english.text
    assert statuses(database)[first] == "approved"
    assert client.post(f"/rewards/{second}/reject", data={"csrf_token": token, "reason": "不属实"}).status_code == 302
    assert statuses(database)[second] == "rejected"


def test_an_unclaimed_anonymous_award_waits_for_its_claim(world, database, client):
    hazard_id = assign_by_receipt(world, database, anonymous_report(world, client))
    award_id = awards_by_hazard(database)[hazard_id]
    login(client, "inspector_a")
    page = client.get("/rewards")
    assert client.post(f"/rewards/{award_id}/approve", data={"csrf_token": csrf(page)}).status_code == 302
    row = client.get("/rewards").text.split(f'data-award="{award_id}"')[1].split("</tr>")[0]
    assert "待领取" in row and 'name="reference"' not in row
    assert "Awaiting claim" in client.get("/rewards?lang=en").text
