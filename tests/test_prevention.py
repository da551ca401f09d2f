"""Dual prevention (CONTRACT §6): grading at every threshold, plans and their periods, the
`inspections` job (once per period, also with two runs at once), missed inspections,
results that become hazards, and the register as a workbook."""

from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hazard_ledger.config import load_settings
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.jobs import run_job
from hazard_ledger.notifications.models import Notification
from hazard_ledger.prevention import grading
from hazard_ledger.prevention.models import Inspection
from hazard_ledger.prevention.operations import period_of
from hazard_ledger.rewards.models import Award
from hazard_ledger.tabular import Column, write_table
from tests.factories import plan as assignment

RULES = grading.rules_from(load_settings(environ={})["risk"])


# ---- grading ---------------------------------------------------------------------------

@pytest.mark.parametrize("method,score,level", [
    ("lec", 320, "major"), ("lec", 319, "high"), ("lec", 160, "high"), ("lec", 159, "general"),
    ("lec", 70, "general"), ("lec", 69, "low"), ("lec", 0.05, "low"), ("lec", 10000, "major"),
    ("lec", Decimal("319.99"), "high"), ("lec", Decimal("69.99"), "low"),
    ("matrix", 20, "major"), ("matrix", 19, "high"), ("matrix", 15, "high"), ("matrix", 14, "general"),
    ("matrix", 9, "general"), ("matrix", 8, "low"), ("matrix", 1, "low"), ("matrix", 25, "major"),
])
def test_a_score_has_its_level_at_every_threshold(method, score, level):
    assert grading.level_of(score, method, RULES) == level


def test_colours_and_tiers_follow_the_level():
    assessment = grading.assess("lec", {"l": 10, "e": 6, "c": 15}, RULES)  # 900
    assert (assessment.score, assessment.level, assessment.colour, assessment.tier) == (900, "major", "red", "company")
    assessment = grading.assess("matrix", {"l": 2, "s": 4}, RULES)
    assert (assessment.score, assessment.level, assessment.colour, assessment.tier) == (8, "low", "blue", "post")


@pytest.mark.parametrize("method,given,field", [
    ("lec", {"l": 5, "e": 6, "c": 15}, "l"), ("lec", {"l": 3, "e": 5, "c": 15}, "e"),
    ("lec", {"l": 3, "e": 6, "c": 50}, "c"), ("lec", {"l": 3, "e": 6}, "c"),
    ("lec", {"l": 3, "e": 6, "c": 7, "s": 2}, "s"),
    ("lec", {"l": "x", "e": 6, "c": 7}, "l"), ("matrix", {"l": 6, "s": 2}, "l"), ("matrix", {"l": 2.5, "s": 2}, "l"),
    ("matrix", {"l": 2, "s": 0}, "s"), ("matrix", {"l": 2, "s": 3, "e": 6}, "e"),
])
def test_values_outside_the_tables_are_refused(method, given, field):
    with pytest.raises(grading.GradingError) as refused:
        grading.assess(method, given, RULES)
    assert field in refused.value.problems


def test_a_bad_risk_table_stops_start_up():
    from hazard_ledger.config import ConfigError

    with pytest.raises(ConfigError, match="risk.lec_thresholds"):
        load_settings({"risk": {"lec_thresholds": [70, 160, 320]}}, environ={})


# ---- the register over the API ------------------------------------------------------------

def lec_point(**overrides) -> dict:
    body = {"name": "配电室", "kind": "place", "location": "一号车间", "dangers": ["触电", "电气火灾"],
            "controls": ["配电柜门上锁", "绝缘垫完好"], "method": "lec", "l": 3, "e": 6, "c": 15}
    body.update(overrides)
    return body


def register(world, enterprise="A1", username=None, **overrides) -> dict:
    username = username or f"officer_{enterprise.lower()}"
    answer = world.post(username, f"/api/v1/enterprises/{world.enterprise[enterprise]}/risk-points",
                        json=lec_point(**overrides))
    assert answer.status_code == 201, answer.json
    return answer.json


def _products(method) -> list[tuple[Decimal, tuple]]:
    """Every score the method's tables can give, with the factors that give it."""
    tables = [RULES.choices(method, name) for name in grading.FACTORS[method]]
    found = []
    for factors in itertools.product(*tables):
        score = Decimal(1)
        for value in factors:
            score *= value
        found.append((score, factors))
    return found


@pytest.mark.parametrize("method", ["lec", "matrix"])
def test_the_api_grades_table_values_either_side_of_every_threshold(world, method):
    """319 is no LEC product: the API is checked with the nearest table values either side."""
    products = _products(method)
    for threshold, (above, below) in zip(RULES.thresholds[method],
                                         [("major", "high"), ("high", "general"), ("general", "low")], strict=True):
        at_least = min((p for p in products if p[0] >= threshold), key=lambda p: p[0])
        under = max((p for p in products if p[0] < threshold), key=lambda p: p[0])
        for (score, factors), level in ((at_least, above), (under, below)):
            names = grading.FACTORS[method]
            given = {name: float(value) for name, value in zip(names, factors, strict=True)}
            point = register(world, name=f"{method}-{score}", method=method, **{"e": None, "c": None, **given})
            assert (Decimal(str(point["score"])), point["level"]) == (score, level)
            assert point["colour"] == grading.COLOURS[level]


def test_the_register_refuses_values_outside_the_tables_naming_the_field(world):
    path = f"/api/v1/enterprises/{world.enterprise['A1']}/risk-points"
    for body, field in ((lec_point(e=5), "e"), (lec_point(l=11), "l"), (lec_point(c=None), "c"),
                        (lec_point(method="matrix", l=2, e=None, c=None, s=6), "s"),
                        (lec_point(method="matrix", l=2.5, e=None, c=None, s=2), "l")):
        answer = world.post("officer_a1", path, json=body)
        assert answer.status_code == 422, body
        assert answer.json["error"]["code"] == "validation_error" and field in answer.json["error"]["fields"]
    assert world.get("officer_a1", path).json["items"] == []


def test_who_keeps_and_who_reads_the_register(world):
    point = register(world)
    assert point["checks"] == ["配电柜门上锁", "绝缘垫完好"]  # one check per control measure by default
    path = f"/api/v1/enterprises/{world.enterprise['A1']}/risk-points"
    assert world.post("officer_a2", path, json=lec_point()).status_code == 404
    assert world.post("worker_a1", path, json=lec_point()).status_code == 403
    assert world.post("inspector_a", path, json=lec_point()).status_code == 403
    assert world.get("officer_b1", path).status_code == 404
    assert world.get("inspector_b", path).status_code == 404
    assert world.get("worker_a1", path).status_code == 403
    assert [p["id"] for p in world.get("inspector_a", path).json["items"]] == [point["id"]]
    assert world.post("officer_a1", path, json=lec_point()).status_code == 422  # the same name in the same area
    changed = world.client.put(f"/api/v1/risk-points/{point['id']}", headers=world.auth("officer_a1"),
                               json=lec_point(c=40, checks=["柜门是否上锁"]))
    assert changed.status_code == 200 and changed.json["level"] == "major" and changed.json["checks"] == ["柜门是否上锁"]


# ---- plans and periods ------------------------------------------------------------------------

def shanghai(text: str) -> datetime:
    """A local Shanghai time as the UTC instant a job is run at."""
    return datetime.fromisoformat(text + "+08:00").astimezone(timezone.utc)


@pytest.mark.parametrize("frequency,day,period", [
    ("daily", date(2026, 3, 31), (date(2026, 3, 31), date(2026, 3, 31))),
    ("weekly", date(2026, 4, 1), (date(2026, 3, 30), date(2026, 4, 5))),
    ("weekly", date(2027, 1, 1), (date(2026, 12, 28), date(2027, 1, 3))),
    ("monthly", date(2026, 2, 28), (date(2026, 2, 1), date(2026, 2, 28))),
    ("monthly", date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
    ("quarterly", date(2026, 11, 15), (date(2026, 10, 1), date(2026, 12, 31))),
    ("quarterly", date(2027, 1, 1), (date(2027, 1, 1), date(2027, 3, 31))),
])
def test_periods(frequency, day, period):
    assert period_of(frequency, day) == period


def make_plan(world, frequency, points, assignee="worker_a1", enterprise="A1"):
    path = f"/api/v1/enterprises/{world.enterprise[enterprise]}/inspection-plans"
    answer = world.post(f"officer_{enterprise.lower()}", path, json={
        "risk_point_ids": points, "frequency": frequency, "assignee_user_id": world.user[assignee]})
    assert answer.status_code == 201, answer.json
    return answer.json


def periods(database, **where) -> list[tuple]:
    with database.unit_of_work(write=False) as session:
        query = select(Inspection.plan_id, Inspection.period_start, Inspection.period_end).order_by(
            Inspection.plan_id, Inspection.period_start)
        for name, value in where.items():
            query = query.where(getattr(Inspection, name) == value)
        return [tuple(row) for row in session.execute(query)]


def test_plans_write_one_inspection_per_period_in_the_configured_zone(world, runtime, database):
    point = register(world)["id"]
    plans = {frequency: make_plan(world, frequency, [point])["id"] for frequency in
             ("daily", "weekly", "monthly", "quarterly")}
    with database.unit_of_work() as session:  # the plans' own first periods, written at once, are today's: start over
        session.query(Inspection).delete()
    # a month's end: 23:59 on 31 March in Shanghai is still March, though 15:59 UTC
    for instant in ("2026-03-31T23:59", "2026-03-31T23:59:30"):
        run_job(runtime, "inspections", shanghai(instant))
    # and a minute later, April (and a new quarter), though still 31 March in UTC
    run_job(runtime, "inspections", shanghai("2026-04-01T00:00"))
    # a year's end: Thursday 31 December, then Friday 1 January, in the week that began on Monday 28 December
    run_job(runtime, "inspections", shanghai("2026-12-31T12:00"))
    run_job(runtime, "inspections", shanghai("2027-01-01T00:05"))
    run_job(runtime, "inspections", shanghai("2027-01-01T00:05"))  # again: nothing twice
    found = {frequency: [(start, end) for plan_id, start, end in periods(database) if plan_id == plans[frequency]]
             for frequency in plans}
    assert found["daily"] == [(date(2026, 3, 31),) * 2, (date(2026, 4, 1),) * 2, (date(2026, 12, 31),) * 2,
                              (date(2027, 1, 1),) * 2]
    assert found["weekly"] == [(date(2026, 3, 30), date(2026, 4, 5)), (date(2026, 12, 28), date(2027, 1, 3))]
    assert found["monthly"] == [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30)),
                                (date(2026, 12, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 1, 31))]
    assert found["quarterly"] == [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 6, 30)),
                                  (date(2026, 10, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 3, 31))]


def test_a_plan_is_checked(world):
    point = register(world)["id"]
    other = register(world, enterprise="A2")["id"]
    path = f"/api/v1/enterprises/{world.enterprise['A1']}/inspection-plans"
    body = {"risk_point_ids": [point], "frequency": "daily", "assignee_user_id": world.user["worker_a1"]}
    mixed = world.post("officer_a1", path, json={**body, "risk_point_ids": [point, other]})
    assert mixed.status_code == 422 and mixed.json["error"]["fields"].keys() == {"risk_point_ids"}
    assert world.post("officer_a1", path, json={**body, "assignee_user_id": world.user["worker_b1"]}).status_code == 422
    assert world.post("officer_a1", path, json={**body, "frequency": "hourly"}).status_code == 422
    assert world.post("worker_a1", path, json=body).status_code == 403
    assert world.post("officer_b1", path, json=body).status_code == 404
    created = world.post("officer_a1", path, json=body)
    assert created.status_code == 201 and created.json["risk_point_ids"] == [point]
    due = world.get("worker_a1", "/api/v1/inspections?state=due").json["items"]
    assert [(i["risk_point_id"], i["state"]) for i in due] == [(point, "due")]  # today's, at once
    assert world.get("worker2_a1", "/api/v1/inspections").json["items"] == []
    assert world.get("officer_b1", f"/api/v1/inspections?enterprise_id={world.enterprise['A1']}").json["items"] == []
    assert len(world.get("inspector_a", "/api/v1/inspections?state=due").json["items"]) == 1


@pytest.mark.slow
def test_two_job_runs_at_once_write_each_inspection_once(world, runtime, database):
    points = [register(world, name=f"点{n}")["id"] for n in range(30)]
    for frequency in ("daily", "weekly"):
        make_plan(world, frequency, points)
    for day in range(3):
        instant = shanghai("2026-06-01T00:05") + timedelta(days=day)
        barrier, errors = threading.Barrier(2), []

        def one_run():
            try:
                barrier.wait()
                run_job(runtime, "inspections", instant)
            except Exception as error:  # reported below: a thread's exception would vanish
                errors.append(error)

        threads = [threading.Thread(target=one_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    with database.unit_of_work(write=False) as session:
        counts = session.execute(select(Inspection.plan_id, Inspection.risk_point_id, Inspection.period_start,
                                        func.count()).group_by(Inspection.plan_id, Inspection.risk_point_id,
                                                               Inspection.period_start)).all()
    assert {row[3] for row in counts} == {1}
    # today's first (from the plans themselves), three days of the daily plan, one week of the weekly one
    days = {row[2] for row in counts}
    assert {date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)} <= days
    assert len([row for row in counts if row[2] in (date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3))]) \
        == 30 * 3 + 30  # the week of 1 June starts on Monday 1 June


def test_a_missed_inspection_notifies_the_officers_once(world, runtime, database):
    point = register(world)["id"]
    make_plan(world, "daily", [point])
    with database.unit_of_work() as session:
        session.query(Inspection).delete()
    run_job(runtime, "inspections", shanghai("2026-05-10T00:05"))
    assert run_job(runtime, "inspections", shanghai("2026-05-10T23:59")).missed == 0  # still that day
    result = run_job(runtime, "inspections", shanghai("2026-05-11T00:05"))
    assert (result.created, result.missed, result.notified) == (1, 1, 1)
    for again in ("2026-05-11T00:05", "2026-05-11T09:00"):
        assert run_job(runtime, "inspections", shanghai(again)).notified == 0
    with database.unit_of_work(write=False) as session:
        notices = session.execute(select(Notification.recipient_user_id, Notification.message)
                                  .where(Notification.kind == "inspection_missed")).all()
    assert [user for user, _ in notices] == [world.user["officer_a1"]]
    assert "配电室" in notices[0][1] and "2026-05-10" in notices[0][1]
    missed = world.get("officer_a1", "/api/v1/inspections?state=missed").json["items"]
    assert [(i["period_start"], i["state"]) for i in missed] == [("2026-05-10", "missed")]
    inbox = world.get("officer_a1", "/api/v1/notifications").json["items"]
    assert [n["kind"] for n in inbox] == ["inspection_missed"]


# ---- results -------------------------------------------------------------------------------

def due_inspection(world, checks=("柜门是否上锁", "绝缘垫是否完好", "警示标识是否清晰")) -> dict:
    point = register(world, checks=list(checks))
    make_plan(world, "daily", [point["id"]])
    (inspection,) = world.get("worker_a1", "/api/v1/inspections?state=due").json["items"]
    assert inspection["checks"] == list(checks)
    return inspection


def test_every_failed_check_becomes_one_hazard_with_its_links(world, database):
    inspection = due_inspection(world)
    path = f"/api/v1/inspections/{inspection['id']}/results"
    body = {"items": [{"check": 0, "ok": False, "note": "门锁损坏"}, {"check": 1, "ok": True},
                      {"check": 2, "ok": False}]}
    assert world.post("officer_a2", path, json=body).status_code == 404  # another enterprise's officer
    assert world.post("worker2_a1", path, json=body).status_code == 404  # not the assignee
    assert world.post("inspector_a", path, json=body).status_code == 403  # sees it, does not inspect it
    assert world.post("worker_a1", path, json={"items": body["items"][:2]}).status_code == 422  # every check
    assert world.post("worker_a1", path, json={"items": [*body["items"][:2], {"check": 3, "ok": True}]}
                      ).json["error"]["fields"].keys() == {"items.2.check"}
    done = world.post("worker_a1", path, json=body)
    assert done.status_code == 200, done.json
    assert done.json["state"] == "done" and len(done.json["hazard_ids"]) == 2
    again = world.post("officer_a1", path, json=body)
    assert again.status_code == 409
    with database.unit_of_work(write=False) as session:
        hazards = list(session.scalars(select(Hazard).order_by(Hazard.id)))
    assert [h.id for h in hazards] == done.json["hazard_ids"]
    assert [(h.state.value, h.source, h.risk_point_id, h.inspection_id, h.check_index, h.reporter_user_id)
            for h in hazards] == [("reported", "inspection", inspection["risk_point_id"], inspection["id"], index,
                                   world.user["worker_a1"]) for index in (0, 2)]
    assert "柜门是否上锁" in hazards[0].description and "门锁损坏" in hazards[0].description
    shown = world.get("officer_a1", f"/api/v1/hazards/{hazards[0].id}").json
    assert (shown["source"], shown["risk_point_id"], shown["inspection_id"], shown["check_index"]) == (
        "inspection", inspection["risk_point_id"], inspection["id"], 0)
    assert shown["history"][0]["data"]["source"] == "inspection"
    recorded = world.get("inspector_a", f"/api/v1/inspections/{inspection['id']}").json
    assert [(r["check"], r["ok"], r["hazard_id"]) for r in recorded["results"]] == [
        (0, False, hazards[0].id), (1, True, None), (2, False, hazards[1].id)]


def test_an_inspection_finding_runs_the_ledger_workflow_but_earns_no_award(world, database):
    inspection = due_inspection(world, checks=("柜门是否上锁",))
    hazard_id = world.post("worker_a1", f"/api/v1/inspections/{inspection['id']}/results",
                           json={"items": [{"check": 0, "ok": False}]}).json["hazard_ids"][0]
    assert world.fire("officer_a1", hazard_id, "assign", **assignment()).status_code == 200
    ordinary = world.report("worker_a1")["id"]  # the same worker's own report still earns
    assert world.fire("officer_a1", ordinary, "assign", **assignment()).status_code == 200
    with database.unit_of_work(write=False) as session:
        assert list(session.scalars(select(Award.hazard_id))) == [ordinary]


def test_a_profile_may_let_inspection_findings_earn(world, database, monkeypatch):
    from dataclasses import replace

    from hazard_ledger.rewards import operations as reward_ops
    from hazard_ledger.rewards.profiles import load_profiles

    generous = tuple(replace(p, inspection_findings_earn=True) for p in load_profiles())
    monkeypatch.setattr(reward_ops, "profile_for", lambda day: generous[0])
    inspection = due_inspection(world, checks=("柜门是否上锁",))
    hazard_id = world.post("worker_a1", f"/api/v1/inspections/{inspection['id']}/results",
                           json={"items": [{"check": 0, "ok": False}]}).json["hazard_ids"][0]
    assert world.fire("officer_a1", hazard_id, "assign", **assignment()).status_code == 200
    with database.unit_of_work(write=False) as session:
        assert list(session.scalars(select(Award.hazard_id))) == [hazard_id]


def test_coverage_shows_inspections_and_serious_points_without_a_plan(world, runtime):
    red = register(world, name="液氨储罐", c=100)["id"]  # 3 x 6 x 100 = 1800
    orange = register(world, name="冲压机", l=6, e=6, c=7)["id"]  # 252
    yellow = register(world, name="叉车", l=3, e=3, c=15)["id"]  # 135
    make_plan(world, "daily", [orange, yellow])
    answer = world.get("inspector_city", "/api/v1/risk-coverage")
    assert answer.status_code == 200, answer.json
    (a1,) = [e for e in answer.json["enterprises"] if e["enterprise_id"] == world.enterprise["A1"]]
    assert a1["points"] == {"major": 1, "high": 1, "general": 1, "low": 0}
    assert a1["unplanned_red_orange"] == [red]
    assert a1["inspections"]["due"] == 2
    county = {j["code"]: j for j in answer.json["jurisdictions"]}
    assert county["A"]["points"]["major"] == 1 and county["CITY"]["unplanned_red_orange"] == 1
    assert county["B"]["points"]["major"] == 0
    assert [e["code"] for e in world.get("inspector_b", "/api/v1/risk-coverage").json["enterprises"]] == ["B1"]
    assert world.get("worker_a1", "/api/v1/risk-coverage").status_code == 403
    backwards = world.get("inspector_a", "/api/v1/risk-coverage?from=2026-05-01&to=2026-04-01")
    assert backwards.status_code == 422 and "to" in backwards.json["error"]["fields"]


# ---- the register as a workbook ------------------------------------------------------------

HEADERS = ["序号", "风险点名称", "类型", "所在区域", "危险因素", "管控措施", "评价方法", "L", "E", "C", "S", "排查内容"]
GOOD = [
    [1, "配电室", "场所", "一号车间", "触电\n电气火灾", "配电柜门上锁；绝缘垫完好", "LEC", 3, 3, 15, None, "柜门是否上锁"],
    [2, "冲压机", "设备设施", "二号车间", "机械伤害", "双手按钮完好", "LEC", 6, 6, 7, None, None],
    [3, "动火作业", "作业活动", "二号车间", "火灾", "办理动火证", "风险矩阵", 4, None, None, 5, None],
]


def workbook(tmp_path, rows, name="register.xlsx"):
    path = tmp_path / name
    write_table(path, path.suffix, [Column(h) for h in HEADERS], rows)
    return path


def test_a_good_register_imports_every_row_and_exports_again(world, runtime, tmp_path):
    from hazard_ledger.cli import cli

    runner = CliRunner()
    env = {"HAZARD_LEDGER_DATABASE_URL": runtime.settings.database_url}
    answer = runner.invoke(cli, ["risk-points", "import", "A1", str(workbook(tmp_path, GOOD))], env=env)
    assert answer.exit_code == 0, answer.output
    points = world.get("officer_a1", f"/api/v1/enterprises/{world.enterprise['A1']}/risk-points").json["items"]
    assert {(p["name"], p["level"], p["colour"]) for p in points} == {
        ("配电室", "general", "yellow"), ("冲压机", "high", "orange"), ("动火作业", "major", "red")}
    (room,) = [p for p in points if p["name"] == "配电室"]
    assert room["dangers"] == ["触电", "电气火灾"] and room["controls"] == ["配电柜门上锁", "绝缘垫完好"]
    assert room["checks"] == ["柜门是否上锁"]
    exported = tmp_path / "out.csv"
    answer = runner.invoke(cli, ["risk-points", "export", "A1", "-o", str(exported)], env=env)
    assert answer.exit_code == 0, answer.output
    text = exported.read_text(encoding="utf-8-sig")
    assert "风险分级" not in text.splitlines()[0] and "风险等级" in text.splitlines()[0] and "较大风险" in text
    # the export imports again as it is: the same lines, updated, none added
    answer = runner.invoke(cli, ["risk-points", "import", "A1", str(exported)], env=env)
    assert answer.exit_code == 0, answer.output
    again = world.get("officer_a1", f"/api/v1/enterprises/{world.enterprise['A1']}/risk-points").json["items"]
    assert sorted(p["id"] for p in again) == sorted(p["id"] for p in points)


def test_one_bad_row_imports_nothing_and_is_named_by_row_and_column(world, runtime, tmp_path):
    from hazard_ledger.cli import cli

    rows = [list(row) for row in GOOD]
    rows[1][8] = 5  # E = 5 is not in the exposure table
    rows[2][2] = "仓库"  # no such kind
    answer = CliRunner().invoke(cli, ["risk-points", "import", "A1", str(workbook(tmp_path, rows))],
                                env={"HAZARD_LEDGER_DATABASE_URL": runtime.settings.database_url})
    assert answer.exit_code == 1
    assert "第 3 行 [E]" in answer.output and "第 4 行 [类型]" in answer.output
    assert "nothing imported" in answer.output
    assert world.get("officer_a1", f"/api/v1/enterprises/{world.enterprise['A1']}/risk-points").json["items"] == []
