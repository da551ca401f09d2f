"""Training and drill compliance: both profiles on hand-built cases, rosters, the job."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hazard_ledger.cli import cli
from hazard_ledger.compliance import engine
from hazard_ledger.compliance.operations import compliance_job
from hazard_ledger.notifications.models import Notification
from tests import factories
from tests.factories import SHANGHAI

HOURS = {"joined_late_from": "10-01", "hours_principal": 12, "hours_safety_manager": 12,
         "hours_high_risk_managers": 16, "hours_high_risk_frontline": 20, "hours_other": 8}


def person(number, category="other", **kw):
    return engine.Person(number, category, **kw)


def training(day, hours, *who):
    return engine.Session(day, Decimal(hours), frozenset(who))


def test_union_profile_counts_the_right_people_on_the_right_days():
    people = [person("E1"), person("E2"), person("E3", joined_on=date(2026, 11, 5)),
              person("E4", left_on=date(2026, 5, 1)), person("E5", active=False), person("E6", joined_on=date(2026, 9, 30))]
    trainings = [training(date(2026, 12, 31), 2, "E1"), training(date(2027, 1, 1), 2, "E2"),
                 training(date(2025, 12, 31), 2, "E6")]
    result = engine.check_enterprise("union", 2026, unionized=True, high_risk=True, people=people, trainings=trainings,
                                     drills=[engine.DrillHeld(date(2025, 12, 31), "onsite")], settings=HOURS)
    assert result.employees == 3 and result.untrained == ["E2", "E6"]  # E3 joined in November, E4 left, E5 inactive
    assert (result.drills_required, result.drills_held, result.drills_compliant) == (1, 0, False)
    drilled = engine.check_enterprise("union", 2026, unionized=True, high_risk=True, people=[person("E1")],
                                      trainings=[training(date(2026, 2, 1), 1, "E1")],
                                      drills=[engine.DrillHeld(date(2026, 6, 30), "special")], settings=HOURS)
    assert drilled.compliant
    ordinary = engine.check_enterprise("union", 2026, unionized=False, high_risk=False, people=people, trainings=[],
                                       drills=[], settings=HOURS)
    assert ordinary.compliant  # not unionized, not high-risk: the campaign asks nothing


def test_statutory_profile_half_years_and_hours():
    drills = [engine.DrillHeld(date(2026, 3, 1), "comprehensive"), engine.DrillHeld(date(2026, 6, 30), "onsite"),
              engine.DrillHeld(date(2026, 7, 1), "onsite")]
    full = engine.check_enterprise("statutory", 2026, unionized=True, high_risk=True, people=[], trainings=[],
                                   drills=drills, settings=HOURS)
    assert full.drills_compliant and full.drills_required == 5
    first_half_only = engine.check_enterprise("statutory", 2026, unionized=True, high_risk=True, people=[],
                                              trainings=[], drills=drills[:2], settings=HOURS)
    assert any("下半年" in m for m in first_half_only.missing)
    people = [person("P", "principal"), person("F", "high_risk_frontline"), person("O")]
    trainings = [training(date(2026, 1, 10), 12, "P", "F", "O"), training(date(2026, 12, 31), 8, "F")]
    hours = engine.check_enterprise("statutory", 2026, unionized=True, high_risk=True, people=people,
                                    trainings=trainings, drills=[], settings=HOURS)
    assert hours.untrained == ["P"]  # 12 h of 16 for a high-risk principal; F has 20, O has 12 of 8
    low = engine.check_enterprise("statutory", 2026, unionized=True, high_risk=False, people=people,
                                  trainings=trainings, drills=[], settings=HOURS)
    assert low.untrained == []  # 12 h is enough for a principal outside the high-risk sectors


def test_a_leap_day_belongs_to_its_year():
    result = engine.check_enterprise("union", 2028, unionized=True, high_risk=False, people=[person("E1")],
                                     trainings=[training(date(2028, 2, 29), 1, "E1")], drills=[], settings=HOURS)
    assert result.compliant


# ---- through the API ----------------------------------------------------------------------

ROSTER = [{"number": "001", "name": "赵强", "job_category": "high_risk_frontline"},
          {"number": "002", "name": "钱敏", "unit": "二车间"}]


@pytest.fixture
def rosters(world):
    for enterprise in ("A1", "A2"):
        factories.roster(world, enterprise, ROSTER)
    return world


def test_rosters_trainings_and_drills_are_checked(rosters):
    world = rosters
    a1 = world.enterprise["A1"]
    assert world.client.put(f"/api/v1/enterprises/{a1}/employees", headers=world.auth("worker_a1"),
                            json=ROSTER).status_code == 403
    assert world.client.put(f"/api/v1/enterprises/{a1}/employees", headers=world.auth("officer_b1"),
                            json=ROSTER).status_code == 404
    assert [e["number"] for e in world.get("inspector_a", f"/api/v1/enterprises/{a1}/employees").json["items"]] == \
        ["001", "002"]
    good = {"enterprise_id": a1, "held_on": "2026-03-01", "topic": "有限空间作业安全", "hours": "4",
            "attendees": ["001", "002"]}
    for change, field in (({"attendees": ["001", "999"]}, "attendees"), ({"held_on": "2999-01-01"}, "held_on"),
                          ({"hours": "-2"}, "hours")):
        answer = world.post("officer_a1", "/api/v1/trainings", json={**good, **change})
        assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json
    assert world.post("officer_a1", "/api/v1/trainings", json=good).status_code == 201
    drill = {"enterprise_id": a1, "held_on": "2026-05-12", "kind": "special", "scenario": "储罐泄漏", "participants": 40}
    assert world.post("officer_a1", "/api/v1/drills", json={**drill, "kind": "fire"}).status_code == 422
    assert world.post("officer_a1", "/api/v1/drills", json=drill).status_code == 201
    answer = world.get("inspector_a", f"/api/v1/compliance?year=2026&enterprise_id={a1}").json
    row, = answer["enterprises"]
    assert row["training"] == {"employees": 2, "trained": 2, "untrained": [], "compliant": True, "no_roster": False}
    assert row["drills"]["compliant"] is True and answer["profile"] == "union"
    statutory = world.get("inspector_a", f"/api/v1/compliance?year=2026&enterprise_id={a1}&profile=statutory").json
    assert statutory["enterprises"][0]["training"]["untrained"] == ["001", "002"]
    assert world.get("officer_b1", f"/api/v1/compliance?year=2026&enterprise_id={a1}").status_code == 404


def test_coverage_and_union_classes(rosters):
    world = rosters
    for enterprise in ("A1", "A2"):
        world.post("admin", "/api/v1/trainings", json={"enterprise_id": world.enterprise[enterprise],
                                                       "held_on": "2026-04-01", "topic": "安全生产法",
                                                       "hours": "2", "attendees": ["001", "002"] if enterprise == "A2"
                                                       else ["001"]})
    world.post("admin", "/api/v1/drills", json={"enterprise_id": world.enterprise["A1"], "held_on": "2026-05-01",
                                                "kind": "onsite", "scenario": "火灾", "participants": 10})
    klass = {"jurisdiction_id": world.jurisdiction["A"], "held_on": "2026-06-01", "topic": "职工安全大讲堂",
             "partners": "区经信局、区应急局", "attendees": 300}
    assert world.post("inspector_b", "/api/v1/training-classes", json=klass).status_code == 404
    assert world.post("officer_a1", "/api/v1/training-classes", json=klass).status_code == 403
    assert world.post("inspector_a", "/api/v1/training-classes", json=klass).status_code == 201
    answer = world.get("inspector_city", "/api/v1/compliance?year=2026").json
    by_code = {j["code"]: j for j in answer["jurisdictions"]}
    assert by_code["A"]["compliant"] is True and by_code["A"]["classes_held"] == 1
    assert by_code["B"]["compliant"] is False and by_code["CITY"]["compliant"] is False
    # A1 lacks 002's training, A2 is fully compliant (not high-risk): one of two
    assert by_code["A"]["coverage"] == {"unionized_enterprises": 2, "fully_compliant": 1, "share": 0.5}
    assert by_code["CITY"]["coverage"]["unionized_enterprises"] == 3


def test_the_job_reminds_monthly_from_october_and_files_the_year(rosters, database, settings):
    world = rosters

    def run_at(moment: datetime):
        with database.unit_of_work() as session:
            return compliance_job(session, moment, settings)

    def kinds():
        with database.unit_of_work(write=False) as session:
            return sorted((n.kind, n.recipient_user_id) for n in session.scalars(
                select(Notification).where(Notification.kind.in_(("training_due", "drill_due")))))

    run_at(datetime(2026, 9, 30, 9, tzinfo=SHANGHAI))
    assert kinds() == []
    run_at(datetime(2026, 10, 1, 9, tzinfo=SHANGHAI))
    first = kinds()
    assert ("drill_due", world.user["officer_a1"]) in first  # A1 is high-risk and has not drilled
    assert ("training_due", world.user["officer_a2"]) in first
    assert ("drill_due", world.user["officer_a2"]) not in first
    run_at(datetime(2026, 10, 20, 9, tzinfo=SHANGHAI))
    assert kinds() == first  # once a month
    run_at(datetime(2026, 11, 1, 9, tzinfo=SHANGHAI))
    assert len(kinds()) == 2 * len(first)
    with database.unit_of_work(write=False) as session:
        message = session.scalar(select(Notification.message).where(Notification.kind == "training_due").limit(1))
    assert "001" in message and "002" in message
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: the year is over here
    assert "stored 3" in run_at(datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))
    reports = world.get("inspector_a", "/api/v1/compliance/reports?year=2026").json["items"]
    assert [r["jurisdiction"]["code"] for r in reports] == ["A"]
    assert {e["code"] for e in reports[0]["enterprises"]} == {"A1", "A2"}
    assert world.get("officer_a1", "/api/v1/compliance/reports?year=2026").status_code == 403


def test_roster_import_good_and_bad(world, database_url, tmp_path, database):
    run = lambda *args: CliRunner().invoke(cli, list(args), env={"HAZARD_LEDGER_DATABASE_URL": database_url})  # noqa: E731
    good = tmp_path / "roster.csv"
    good.write_bytes("工号,姓名,部门,岗位类别,在职,入职日期\n001,赵强,一车间,高危岗位,是,2020/3/1\n002,钱敏,二车间,其他,否,\n"
                     .encode("gb18030"))
    result = run("employees", "import", "A1", str(good))
    assert result.exit_code == 0 and "2 employee" in result.output
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["工号", "姓名", "岗位类别", "入职日期"])
    book.active.append([3, "孙丽", "主要负责人", datetime(2021, 5, 1)])
    book.active.append([None, "无号", "其他", None])
    book.active.append([4, "", "厨师", "明年"])
    bad = tmp_path / "roster.xlsx"
    book.save(bad)
    result = run("employees", "import", "A1", str(bad))
    assert result.exit_code != 0
    for expected in ("第 3 行 [工号]", "第 4 行 [姓名]", "第 4 行 [岗位类别]", "第 4 行 [入职日期]"):
        assert expected in result.output
    assert "第 2 行" not in result.output
    numbers = [e["number"] for e in world.get("officer_a1", f"/api/v1/enterprises/{world.enterprise['A1']}/employees")
               .json["items"]]
    assert numbers == ["001", "002"]  # nothing of the bad file


# ---- a roster of nobody is not compliance (issue "Trust", item 11) ------------------------

def test_no_roster_is_not_compliance_in_the_engine():
    nobody = engine.check_enterprise("union", 2026, unionized=True, high_risk=False, people=[], trainings=[],
                                     drills=[], settings=HOURS)
    assert nobody.no_roster and not nobody.training_compliant and not nobody.compliant
    left = engine.check_enterprise("union", 2026, unionized=True, high_risk=False, people=[person("E1", active=False)],
                                   trainings=[], drills=[], settings=HOURS)
    assert left.no_roster and not left.compliant  # only people who left: nobody on the roster
    ununionized = engine.check_enterprise("union", 2026, unionized=False, high_risk=False, people=[], trainings=[],
                                          drills=[], settings=HOURS)
    assert ununionized.compliant and not ununionized.no_roster  # the campaign asks nothing of it
    statutory = engine.check_enterprise("statutory", 2026, unionized=False, high_risk=False, people=[], trainings=[],
                                        drills=[], settings=HOURS)
    assert statutory.no_roster and not statutory.training_compliant  # the law asks training of everyone
    late = engine.check_enterprise("union", 2026, unionized=True, high_risk=False,
                                   people=[person("E1", joined_on=date(2026, 11, 2))], trainings=[], drills=[],
                                   settings=HOURS)
    assert late.compliant and not late.no_roster  # a roster whose only employee joined too late to be asked


def test_an_enterprise_without_a_roster_is_not_compliant_anywhere(rosters, database, settings, client):
    """B1 (unionized, not high-risk) has no roster: the API, the page, the coverage share,
    the monthly reminder and the year-end report all say it is not compliant."""
    world = rosters
    answer = world.get("inspector_city", "/api/v1/compliance?year=2026").json
    b1 = next(row for row in answer["enterprises"] if row["code"] == "B1")
    assert b1["training"] == {"employees": 0, "trained": 0, "untrained": [], "compliant": False, "no_roster": True}
    a2 = next(row for row in answer["enterprises"] if row["code"] == "A2")
    assert a2["training"]["no_roster"] is False
    county_b = next(j for j in answer["jurisdictions"] if j["code"] == "B")
    assert county_b["coverage"] == {"unionized_enterprises": 1, "fully_compliant": 0, "share": 0.0}
    own = world.get("officer_b1", "/api/v1/compliance?year=2026").json["enterprises"]
    assert [(row["code"], row["training"]["compliant"]) for row in own] == [("B1", False)]

    from tests.test_work_pages import login

    login(client, "inspector_city")
    page = client.get("/compliance?year=2026").text
    row = page.split('data-testid="no-roster"')[0].rsplit("<tr", 1)[1]
    assert "企业B1" in row and 'class="overdue"' in row and "未登记花名册" in page
    assert page.count('data-testid="no-roster"') == 1

    with database.unit_of_work() as session:
        compliance_job(session, datetime(2026, 10, 1, 9, tzinfo=SHANGHAI), settings)
    with database.unit_of_work(write=False) as session:
        reminder = session.scalar(select(Notification).where(Notification.kind == "training_due",
                                                             Notification.recipient_user_id == world.user["officer_b1"]))
    assert reminder is not None and "花名册" in reminder.message
    with database.unit_of_work() as session:
        compliance_job(session, datetime(2027, 1, 1, 9, tzinfo=SHANGHAI), settings)
    report, = world.get("inspector_b", "/api/v1/compliance/reports?year=2026").json["items"]
    assert report["jurisdiction"]["coverage"]["fully_compliant"] == 0
    assert report["enterprises"][0]["training"]["no_roster"] is True
