"""The reward engine, table by table from the shipped profiles, and the awards' lifecycle."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from hazard_ledger.config import ConfigError
from hazard_ledger.rewards.engine import Facts, assess
from hazard_ledger.rewards.models import Award
from hazard_ledger.rewards.operations import lapse_unclaimed
from hazard_ledger.rewards.profiles import load_profiles, parse_profile, profile_for
from tests.clock import service_now, service_today
from tests.factories import SHANGHAI, award_of, make_hazard, plan

DEFAULT = profile_for(date(2026, 6, 1))
TIERED = profile_for(date(2027, 6, 1))


def facts(**overrides) -> Facts:
    values = {"grade": "general", "reporter_role": "worker", "own_unit": True, "duplicate": False,
              "month_so_far": Decimal("0"), "budget_used": Decimal("0")}
    values.update(overrides)
    return Facts(**values)


@pytest.mark.parametrize("profile, given, amount, says", [
    (DEFAULT, {}, "100.00", "一般隐患奖励 100"),
    (DEFAULT, {"grade": "major"}, "1000.00", "重大隐患奖励 1000"),
    (DEFAULT, {"reporter_role": None, "own_unit": False}, "100.00", "拟奖励 100.00"),
    (DEFAULT, {"month_so_far": Decimal("950")}, "50.00", "按剩余额度 50"),
    (DEFAULT, {"month_so_far": Decimal("1000"), "grade": "major"}, "0.00", "按剩余额度 0"),
    (DEFAULT, {"budget_used": Decimal("499980")}, "20.00", "仅余 20"),
    (DEFAULT, {"budget_used": Decimal("500000")}, "0.00", "仅余 0"),
    (DEFAULT, {"reporter_role": "safety_officer"}, "0.00", "不予奖励"),
    (DEFAULT, {"duplicate": True}, "0.00", "首位有效举报人"),
    (TIERED, {}, "240.00", "加奖 20"),
    (TIERED, {"own_unit": False}, "200.00", "可在 100.00–500.00 元间调整"),
    (TIERED, {"grade": "major", "own_unit": False}, "2000.00", "重大隐患奖励 2000"),
    (TIERED, {"reporter_role": "inspector"}, "0.00", "不予奖励"),
    (TIERED, {"grade": "major", "month_so_far": Decimal("2500")}, "500.00", "月度上限 3000"),
])
def test_the_engine_table(profile, given, amount, says):
    result = assess(facts(**given), profile)
    assert result.amount == Decimal(amount)
    assert any(says in line for line in result.explain("zh")), result.explain("zh")
    assert len(result.explain("en")) == len(result.lines)
    assert assess(facts(**given), profile).lines == result.lines  # deterministic


def test_profiles_switch_at_effective_from():
    assert profile_for(date(2026, 12, 31)).name == "union-default"
    assert profile_for(date(2027, 1, 1)).name == "tiered-2027"
    assert [p.name for p in load_profiles()] == ["union-default", "tiered-2027"]


@pytest.mark.parametrize("text, key", [
    ('name = "x"\neffective_from = 2026-01-01\n[amounts]\ngeneral = 100\n[rules]\n', "amounts.major"),
    ('name = "x"\neffective_from = "soon"\n[amounts]\n[rules]\n', "effective_from"),
    ('name = "x"\neffective_from = 2026-01-01\n[amounts]\ngeneral = -5\nmajor = 1\n[rules]\n', "amounts.general"),
    ('name = "x"\neffective_from = 2026-01-01\n[amounts]\nmajor = 1\n[amounts.general]\nmin = 5\ndefault = 1\nmax = 9\n'
     '[rules]\n', "amounts.general"),
    ('name = "x"\neffective_from = 2026-01-01\n[amounts]\ngeneral = 1\nmajor = 1\n[rules]\nexcluded_roles = ["boss"]\n',
     "rules.excluded_roles"),
])
def test_a_malformed_profile_names_the_file_and_the_key(tmp_path, text, key):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        parse_profile(path)
    assert "broken.toml" in str(raised.value) and key in str(raised.value) and "\n" not in str(raised.value)


# ---- the lifecycle, through the API -----------------------------------------------------

def test_a_confirmed_worker_report_is_proposed_approved_and_paid(world, database, clock):
    hazard_id = make_hazard(database, world, state="assigned")
    mine = world.get("worker_a1", "/api/v1/rewards").json["items"]
    assert len(mine) == 1 and mine[0]["amount"] == "100.00" and mine[0]["status"] == "proposed"
    assert mine[0]["reporter"] is None  # the worker sees the award, not the payout details
    award_id = mine[0]["id"]
    assert world.get("officer_a1", "/api/v1/rewards").status_code == 403
    assert world.post("worker_a1", f"/api/v1/rewards/{award_id}/approve", json={}).status_code == 403
    assert world.post("inspector_b", f"/api/v1/rewards/{award_id}/approve", json={}).status_code == 404
    approved = world.post("inspector_a", f"/api/v1/rewards/{award_id}/approve", json={})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert approved.json["reporter"]["user_id"] == world.user["worker_a1"]
    paid = world.post("inspector_a", f"/api/v1/rewards/{award_id}/pay",
                      json={"paid_on": clock.today().isoformat(), "reference": "财务-2026-118"})
    assert paid.status_code == 200 and paid.json["status"] == "paid"
    kinds = [n["kind"] for n in world.get("worker_a1", "/api/v1/notifications").json["items"]]
    assert kinds.count("reward") == 2
    assert world.post("inspector_a", f"/api/v1/rewards/{award_id}/approve", json={}).status_code == 409
    assert award_of(database, hazard_id).payment_reference == "财务-2026-118"


def test_no_award_for_a_safety_officers_own_report_or_a_rejected_one(world, database):
    make_hazard(database, world, state="assigned", reporter="officer_a1")
    make_hazard(database, world, state="rejected")
    assert world.get("admin", "/api/v1/rewards").json["items"] == []


def test_the_monthly_cap_runs_through_the_system(world, database):
    for _ in range(11):
        make_hazard(database, world, state="assigned")
    amounts = sorted(Decimal(i["amount"]) for i in world.get("worker_a1", "/api/v1/rewards").json["items"])
    assert amounts == [Decimal("0")] + [Decimal("100")] * 10
    capped = [i for i in world.get("worker_a1", "/api/v1/rewards").json["items"] if i["amount"] == "0.00"][0]
    assert any("月度上限" in line for line in capped["explanation"])


def test_approving_never_exceeds_the_budget(world, database):
    first, second = make_hazard(database, world, state="assigned"), make_hazard(database, world, state="assigned")
    with database.unit_of_work() as session:
        # another reporter's: this one's monthly cap is not what is tested here
        session.execute(update(Award).where(Award.hazard_id == first).values(amount=Decimal("499950"), status="approved",
                                                                            reporter_key="phone:13900000000"))
    award_id = award_of(database, second).id
    # the engine judges the approval too: what is left of the year's budget, and says so
    approved = world.post("admin", f"/api/v1/rewards/{award_id}/approve", json={})
    assert approved.status_code == 200 and approved.json["amount"] == "50.00"
    assert any("仅余 50" in line for line in approved.json["explanation"])
    assert approved.json["explanation"][-1] == "核定奖励 50.00 元"


def test_approving_at_a_consequence_tier_of_the_profile(world, database):
    award_id = award_of(database, make_hazard(database, world, state="assigned")).id
    # union-default has no tiers: a tier is refused by name
    answer = world.post("admin", f"/api/v1/rewards/{award_id}/approve", json={"tier": "严重"})
    assert answer.status_code == 422 and "tier" in answer.json["error"]["fields"]
    # a report of 2027 falls under tiered-2027, whose tiers the approval applies
    approved = world.post("admin", f"/api/v1/rewards/{tiered_award(world, database)}/approve", json={"tier": "较重"})
    assert approved.status_code == 200 and approved.json["amount"] == "360.00"  # 300, and 20 % for one's own unit
    assert any("较重" in line for line in approved.json["explanation"])


def test_reject_with_a_reason(world, database):
    award_id = award_of(database, make_hazard(database, world, state="assigned")).id
    assert world.post("admin", f"/api/v1/rewards/{award_id}/reject", json={}).status_code == 422
    rejected = world.post("admin", f"/api/v1/rewards/{award_id}/reject", json={"reason": "举报内容与事实不符"})
    assert rejected.json["status"] == "rejected" and rejected.json["rejected_reason"] == "举报内容与事实不符"


def anonymous_report(world, client) -> str:
    answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards",
                         json={"location": "仓库", "description": "消防通道堵塞", "anonymous": True})
    return answer.json["receipt"]


def assign_by_receipt(world, database, receipt):
    from hazard_ledger.hazards.operations import hazard_by_receipt

    with database.unit_of_work(write=False) as session:
        hazard_id = hazard_by_receipt(session, receipt).id
    assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
    return hazard_id


def test_an_anonymous_reporter_claims_with_the_receipt(world, client, database, clock):
    receipt = anonymous_report(world, client)
    assert client.get(f"/api/v1/public/receipts/{receipt}").json["reward"] is None
    hazard_id = assign_by_receipt(world, database, receipt)
    status = client.get(f"/api/v1/public/receipts/{receipt}").json["reward"]
    assert status["amount"] == "100.00" and status["claimed"] is False and status["claim_deadline"]
    award_id = award_of(database, hazard_id).id
    assert world.post("admin", f"/api/v1/rewards/{award_id}/approve", json={}).status_code == 200
    unpaid = world.post("admin", f"/api/v1/rewards/{award_id}/pay", json={"paid_on": clock.today().isoformat(),
                                                                           "reference": "x"})
    assert unpaid.status_code == 409  # nobody to pay yet
    claim = {"name": "匿名职工", "phone": "13700000000", "payout_account": "6222 0000 1111 2222"}
    assert client.post(f"/api/v1/public/receipts/{receipt}/claim", json={"name": "x"}).status_code == 422
    assert client.post(f"/api/v1/public/receipts/{receipt}/claim", json=claim).status_code == 200
    assert client.post(f"/api/v1/public/receipts/{receipt}/claim", json=claim).status_code == 409
    seen = [i for i in world.get("inspector_a", "/api/v1/rewards").json["items"] if i["id"] == award_id][0]
    assert seen["reporter"]["payout_account"] == "6222 0000 1111 2222"
    assert world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["reporter"] is None
    assert world.post("admin", f"/api/v1/rewards/{award_id}/pay", json={"paid_on": clock.today().isoformat(),
                                                                         "reference": "x"}).status_code == 200


def test_an_unclaimed_anonymous_award_lapses(world, client, database, settings, clock):
    receipt = anonymous_report(world, client)
    hazard_id = assign_by_receipt(world, database, receipt)
    now = clock()
    with database.unit_of_work() as session:
        assert lapse_unclaimed(session, now + timedelta(days=29), settings) == "lapsed 0"
    with database.unit_of_work() as session:
        assert lapse_unclaimed(session, now + timedelta(days=32), settings) == "lapsed 1"
    assert award_of(database, hazard_id).status == "lapsed"
    late = client.post(f"/api/v1/public/receipts/{receipt}/claim",
                       json={"name": "迟到", "phone": "13700000000", "payout_account": "6222000011112222"})
    assert late.status_code == 409


def test_summary_and_the_finance_export(world, database, tmp_path, clock):
    for _ in range(2):
        award_id = award_of(database, make_hazard(database, world, state="assigned")).id
        world.post("admin", f"/api/v1/rewards/{award_id}/approve", json={})
    year = clock.today().year
    summary = world.get("inspector_city", f"/api/v1/rewards/summary?year={year}").json["items"]
    assert summary == [{"enterprise_id": world.enterprise["A1"], "month": summary[0]["month"], "count": 2,
                        "amount": "200.00"}]
    answer = world.get("inspector_city", f"/api/v1/rewards/export?year={year}")
    path = tmp_path / "rewards.xlsx"
    path.write_bytes(answer.data)
    answer.close()
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "隐患编号", "企业编号", "月份", "金额（元）")
    assert len(rows) == 3 and rows[1][4] == 100 and rows[1][6] == "Worker A1"


# ---- every award, not the first thousand (issue "Trust", item 14) ---------------------------

MANY = 1203


def insert_awards(database, world, count: int) -> None:
    """`count` hazards of A1, each with an award (approved or paid, but every tenth one
    only proposed), written in two statements: the operations would take minutes."""
    from sqlalchemy import insert

    from hazard_ledger.hazards.models import Hazard

    now = service_now()
    year = service_today().year
    hazards = [{"id": 100000 + n, "code": f"YH-T-{n:06d}", "enterprise_id": world.enterprise["A1"],
                "state": "assigned", "grade": "general", "location": "车间", "description": "隐患", "reported_at": now,
                "channel": "login", "anonymous": False, "reporter_user_id": world.user["worker_a1"],
                "chain_head": "0" * 64, "history_length": 1, "version": 1} for n in range(count)]
    awards = [{"hazard_id": 100000 + n, "enterprise_id": world.enterprise["A1"],
               "top_jurisdiction_id": world.jurisdiction["CITY"], "reporter_user_id": world.user["worker_a1"],
               "reporter_key": f"user:{world.user['worker_a1']}", "year": year, "month": f"{year}-0{1 + n % 2}",
               "profile": "union-default", "amount": Decimal("100.00"), "explanation": [["x", "x"]],
               "status": ("proposed", "approved", "paid")[0 if n % 10 == 0 else 1 + n % 2], "anonymous": False,
               "proposed_at": now} for n in range(count)]
    with database.engine.begin() as connection:
        connection.execute(insert(Hazard), hazards)
        connection.execute(insert(Award), awards)


def test_summary_and_export_count_every_award_of_the_year(world, database, tmp_path, clock):
    insert_awards(database, world, MANY)
    payable = [n for n in range(MANY) if n % 10 != 0]
    year = clock.today().year
    summary = world.get("inspector_city", f"/api/v1/rewards/summary?year={year}").json["items"]
    assert sum(item["count"] for item in summary) == len(payable)
    by_month = {item["month"]: item for item in summary}
    january = [n for n in payable if n % 2 == 0]
    assert by_month[f"{year}-01"] == {"enterprise_id": world.enterprise["A1"], "month": f"{year}-01",
                                      "count": len(january), "amount": f"{100 * len(january)}.00"}
    for fmt in ("xlsx", "csv"):
        answer = world.get("inspector_city", f"/api/v1/rewards/export?year={year}&format={fmt}")
        assert answer.status_code == 200
        path = tmp_path / f"rewards.{fmt}"
        path.write_bytes(answer.data)
        answer.close()
        if fmt == "xlsx":
            book = load_workbook(path, read_only=True)
            rows = list(book.active.iter_rows(values_only=True))
            book.close()
        else:
            import csv

            rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        assert len(rows) == 1 + len(payable)
        assert [str(row[0]) for row in rows[1:]] == [str(n) for n in range(1, len(payable) + 1)]
        assert {str(row[1]) for row in rows[1:]} == {f"YH-T-{n:06d}" for n in payable}
        assert str(rows[-1][6]) == "Worker A1"
    assert world.get("inspector_b", f"/api/v1/rewards/summary?year={year}").json["items"] == []


# ---- the engine decides at approval too (issue "Trust", item 15) ----------------------------

IN_2027 = datetime(2027, 3, 2, 10, tzinfo=SHANGHAI)  # reports of 2027 fall under the tiered profile


def tiered_award(world, database, grade="general", own_unit=True, phone="13900000001") -> int:
    """An award proposed through the real operations for a report of 2027: a worker's of
    their own unit, or a public report by name (not the reporter's own unit)."""
    from hazard_ledger.hazards import operations as ops
    from hazard_ledger.organisations.models import User

    if own_unit:
        hazard_id = make_hazard(database, world, state="assigned", grade=grade, now=IN_2027)
    else:
        with database.unit_of_work() as session:
            hazard, _receipt = ops.report_publicly(session, world.report_token["A1"], ops.Report(
                "仓库", "消防通道堵塞", None, anonymous=False, reporter_name="赵强", reporter_phone=phone),
                IN_2027, SHANGHAI)
            officer = session.get(User, world.user["officer_a1"])
            ops.transition(session, officer, hazard.id, "assign",
                           plan(grade, deadline=IN_2027.date() + timedelta(days=10)), version=None, now=IN_2027,
                           zone=SHANGHAI)
            hazard_id = hazard.id
    award = award_of(database, hazard_id)
    assert award.profile == "tiered-2027"
    return award.id


@pytest.mark.parametrize("grade, own_unit, body, amount, says", [
    ("general", True, {"amount": "400", "reason": "避免了重大损失"}, "480.00", ["审核调整为 400", "加奖 20.00%"]),
    ("general", False, {"tier": "严重"}, "500.00", ["按后果分档“严重”"]),
    ("general", True, {"tier": "严重"}, "600.00", ["按后果分档“严重”", "加奖 20.00%（100.00 元）"]),
    ("major", False, {"tier": "特别重大"}, "3000.00", ["按后果分档“特别重大”", "月度上限 3000"]),
    ("major", True, {"amount": "5000", "reason": "重大险情"}, "3000.00", ["审核调整为 5000", "月度上限 3000"]),
    ("general", True, {}, "240.00", ["加奖 20.00%", "核定奖励 240.00 元"]),
])
def test_approving_a_tier_or_an_adjustment_goes_through_the_engine(world, database, grade, own_unit, body, amount,
                                                                  says):
    award_id = tiered_award(world, database, grade, own_unit)
    approved = world.post("admin", f"/api/v1/rewards/{award_id}/approve", json=body)
    assert approved.status_code == 200, approved.json
    assert approved.json["amount"] == amount and approved.json["status"] == "approved"
    for words in says:
        assert any(words in line for line in approved.json["explanation"]), approved.json["explanation"]
    assert award_of(database, award_id).amount == Decimal(amount)


def test_an_adjusted_amount_is_capped_by_the_reporters_month(world, database):
    tiered_award(world, database, "major")        # 2000 + 20 % = 2400 of the 3000 a month
    tiered_award(world, database, "general")      # 200 + 20 % = 240
    third = tiered_award(world, database, "major")
    assert award_of(database, third).amount == Decimal("360.00")  # what is left, at the proposal
    approved = world.post("admin", f"/api/v1/rewards/{third}/approve", json={"amount": "1500", "reason": "险情较大"})
    assert approved.status_code == 200 and approved.json["amount"] == "360.00"  # and at the approval
    assert any("按剩余额度 360" in line for line in approved.json["explanation"])


@pytest.mark.parametrize("body, field", [
    ({"amount": "900", "reason": "x"}, "amount"),  # above the general band's 500
    ({"amount": "50", "reason": "x"}, "amount"),   # below its 100
    ({"tier": "惊天动地"}, "tier"),
    ({"amount": "300"}, "reason"),
])
def test_an_approval_the_profile_does_not_allow_is_refused_by_field(world, database, body, field):
    award_id = tiered_award(world, database)
    refused = world.post("admin", f"/api/v1/rewards/{award_id}/approve", json=body)
    assert refused.status_code == 422 and field in refused.json["error"]["fields"], refused.json
    assert award_of(database, award_id).status == "proposed"
