"""Campaigns (CONTRACT.md §5): who creates and enrols, coverage over the subtree, scores
from seeded facts with known answers, inspectors' points within 0–max, honours, the
export, and a malformed scoring sheet stopping start-up."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from hazard_ledger.config import ConfigError, load_settings
from hazard_ledger.union.scoring import load_sheets
from tests import factories
from tests.clock import frozen, service_today
from tests.factories import make_hazard

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = frozen().today().year  # the year the suite's clock stands in

# a sheet whose automatic items give known points: 90 for 1 report a 20-strong staff
# (5 per 100 people), and 0.5 a person trained of 20
LINE_SHEET = """
name = "line-test"
title = "达标线测试"
line = 95

[[items]]
key = "reports"
title = "每百人报告"
max = 90
auto = "reports_per_100"
full_at = 5

[[items]]
key = "training"
title = "全员培训"
max = 10
auto = "training"
profile = "union"
"""


@pytest.fixture
def settings_override(settings_override, tmp_path):
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    (sheets / "line-test.toml").write_text(LINE_SHEET, encoding="utf-8")
    return {**settings_override, "campaigns": {"sheets_dir": str(sheets)}}


def create(world, who="inspector_city", jurisdiction="CITY", **extra):
    body = {"jurisdiction_id": world.jurisdiction[jurisdiction], "year": YEAR, "kind": "ankang_cup",
            "title": f"{YEAR}年安康杯竞赛", "theme": "查隐患 保安全", "focus": ["隐患排查治理", "全员培训"],
            "starts_on": f"{YEAR}-01-01", "ends_on": f"{YEAR}-12-31", **extra}
    return world.post(who, "/api/v1/campaigns", json=body)


@pytest.mark.parametrize("who, jurisdiction, extra, status", [
    ("inspector_city", "CITY", {}, 201),
    ("inspector_a", "A", {"kind": "cha_bao_cu", "scoring": "chabaocu-default"}, 201),
    ("admin", "B", {}, 201),
    ("inspector_a", "CITY", {}, 422),  # not their union
    ("inspector_a", "B", {}, 422),
    ("officer_a1", "A", {}, 422),
    ("worker_a1", "A", {}, 422),
    ("inspector_city", "CITY", {"scoring": "no-such-sheet"}, 422),
    ("inspector_city", "CITY", {"ends_on": f"{YEAR - 1}-12-31"}, 422),
    ("inspector_city", "CITY", {"kind": "picnic"}, 422),
])
def test_who_creates_a_campaign(world, who, jurisdiction, extra, status):
    answer = create(world, who, jurisdiction, **extra)
    assert answer.status_code == status, answer.json
    if status == 201:
        assert answer.json["scoring"] == extra.get("scoring", "ankang-default")


def test_a_township_union_does_not_run_campaigns(world, database):
    with database.unit_of_work() as session:
        factories.province_and_township(session, world)
    assert create(world, "inspector_a", "AT").status_code == 403
    assert create(world, "inspector_a", "A").status_code == 201


def test_enrolment_and_coverage_worst_first(world, database):
    with database.unit_of_work() as session:  # not unionized: outside the goal of 全覆盖
        factories.enterprise(session, world, "B2", "B", unionized=False)
    campaign = create(world).json
    path = f"/api/v1/campaigns/{campaign['id']}"
    e = world.enterprise
    assert world.post("inspector_a", f"{path}/enrollments", json={"enterprise_ids": [e["A1"], e["A2"]]}).status_code == 200
    assert world.post("inspector_a", f"{path}/enrollments", json={"enterprise_ids": [e["B1"]]}).status_code == 403
    assert world.post("officer_a1", f"{path}/enrollments", json={"enterprise_ids": [e["B1"]]}).status_code == 403
    assert world.post("worker_a1", f"{path}/enrollments", json={"enterprise_ids": [e["A1"]]}).status_code == 404
    assert world.post("officer_b1", f"{path}/enrollments", json={"enterprise_ids": []}).status_code == 422
    # an enterprise outside the campaign's subtree is a 422
    county = create(world, "inspector_a", "A").json
    outside = world.post("inspector_city", f"/api/v1/campaigns/{county['id']}/enrollments",
                         json={"enterprise_ids": [e["B1"]]})
    assert outside.status_code == 422 and "enterprise_ids" in outside.json["error"]["fields"]
    # twice is once
    assert world.post("inspector_city", f"{path}/enrollments", json={"enterprise_ids": [e["A1"]]}).json["enrolled"] == \
        sorted([e["A1"], e["A2"]])
    coverage = world.get("inspector_city", f"{path}/coverage").json["jurisdictions"]
    assert [(row["jurisdiction_id"], row["unionized_enterprises"], row["enrolled"], row["share"]) for row in coverage] == [
        (world.jurisdiction["B"], 1, 0, 0.0), (world.jurisdiction["CITY"], 3, 2, 0.6667), (world.jurisdiction["A"], 2, 2, 1.0)]
    assert world.get("officer_a1", f"{path}/coverage").status_code == 403
    assert world.get("worker_a1", f"{path}/coverage").status_code == 404
    # an officer enrols their own enterprise; the city's coverage then is whole
    assert world.post("officer_b1", f"{path}/enrollments", json={"enterprise_ids": [e["B1"]]}).status_code == 200
    assert {row["share"] for row in world.get("admin", f"{path}/coverage").json["jurisdictions"]} == {1.0}
    # who sees the campaign
    assert [c["id"] for c in world.get("officer_b1", f"/api/v1/campaigns?year={YEAR}").json["items"]] == [campaign["id"]]
    assert world.get("worker_a1", "/api/v1/campaigns").json["items"] == []
    assert world.get("inspector_b", f"/api/v1/campaigns/{county['id']}").status_code == 404


def seed_staff(world, enterprise: str, employees: int, trained: int) -> None:
    officer = f"officer_{enterprise.lower()}"
    roster = [{"number": f"{enterprise}-{n:03d}", "name": f"职工{n}"} for n in range(employees)]
    factories.roster(world, enterprise, roster)
    today = service_today()
    answer = world.post(officer, "/api/v1/trainings", json={
        "enterprise_id": world.enterprise[enterprise], "held_on": today.isoformat(), "topic": "全员安全培训", "hours": 2,
        "attendees": [row["number"] for row in roster[:trained]]})
    assert answer.status_code == 201, answer.json


def test_scores_from_seeded_facts_95_passes_and_94_5_does_not(world, database):
    seed_staff(world, "A1", employees=20, trained=10)  # 90 + 5.0 = 95
    seed_staff(world, "A2", employees=20, trained=9)  # 90 + 4.5 = 94.5
    make_hazard(database, world, enterprise="A1")
    make_hazard(database, world, enterprise="A2", reporter="officer_a2", responsible=None)
    rejected = make_hazard(database, world, enterprise="A2", reporter="officer_a2", responsible=None, state="rejected")
    assert rejected  # a rejected report is not counted
    campaign = create(world, scoring="line-test").json
    world.post("inspector_city", f"/api/v1/campaigns/{campaign['id']}/enrollments",
               json={"enterprise_ids": [world.enterprise["A1"], world.enterprise["A2"]]})
    scores = world.get("inspector_city", f"/api/v1/campaigns/{campaign['id']}/scores").json
    assert scores["line"] == 95 and scores["max_total"] == 100
    by_id = {row["enterprise_id"]: row for row in scores["enterprises"]}
    first, second = by_id[world.enterprise["A1"]], by_id[world.enterprise["A2"]]
    assert (first["total"], first["passed"]) == (95.0, True)
    assert (second["total"], second["passed"]) == (94.5, False)
    reports = {item["key"]: item for item in second["items"]}["reports"]
    assert reports["auto"] is True and reports["points"] == 90.0
    assert reports["evidence"] == {"reports": 1, "employees": 20, "per_100": 5.0, "full_at": 5.0}
    assert {item["key"]: item for item in second["items"]}["training"]["evidence"] == {
        "profile": "union", "employees": 20, "trained": 9}
    # an officer sees their own enterprise's sheet only
    own = world.get("officer_a2", f"/api/v1/campaigns/{campaign['id']}/scores").json["enterprises"]
    assert [row["enterprise_id"] for row in own] == [world.enterprise["A2"]]


def test_the_default_sheet_adds_to_100_with_the_line_at_95():
    sheet = load_sheets()["ankang-default"]
    assert sheet.total == 100 and sheet.line == 95
    assert {item.auto for item in sheet.items} >= {"reports_per_100", "rectified_on_time", "major_overdue", "training",
                                                   "drills", "rewards_paid", None}


def test_inspector_points_within_0_to_max(world, database):
    campaign = create(world).json  # ankang-default: management (15) and union_role (10) are the inspector's
    path = f"/api/v1/campaigns/{campaign['id']}"
    world.post("inspector_city", f"{path}/enrollments", json={"enterprise_ids": [world.enterprise["A1"]]})
    score = f"{path}/scores/{world.enterprise['A1']}"

    def put(who, items):
        return world.client.put(score, json={"items": items}, headers=world.auth(who))

    for items, field in (({"management": {"points": 16}}, "items.management.points"),
                         ({"management": {"points": -1}}, "items.management.points"),
                         ({"reports": {"points": 5}}, "items.reports"),
                         ({"nonsense": {"points": 1}}, "items.nonsense")):
        answer = put("inspector_a", items)
        assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json
    assert put("inspector_a", {"management": {"points": "NaN"}}).status_code == 422
    assert put("officer_a1", {"management": {"points": 10}}).status_code == 403
    assert put("officer_a2", {"management": {"points": 10}}).status_code == 404
    assert put("inspector_b", {"management": {"points": 10}}).status_code == 404
    saved = put("inspector_a", {"management": {"points": 15, "note": "制度健全，台账完整"}, "union_role": {"points": 7.5}})
    assert saved.status_code == 200, saved.json
    items = {item["key"]: item for item in saved.json["enterprises"][0]["items"]}
    assert items["management"]["points"] == 15 and items["management"]["evidence"]["note"] == "制度健全，台账完整"
    assert items["union_role"]["points"] == 7.5 and not items["union_role"]["auto"]
    # not enrolled: nothing to score
    assert world.client.put(f"{path}/scores/{world.enterprise['B1']}", json={"items": {"management": {"points": 1}}},
                            headers=world.auth("inspector_city")).status_code == 404


def test_honours_and_the_export(world, database):
    make_hazard(database, world, state="assigned")  # worker_a1's report, confirmed
    campaign = create(world).json
    path = f"/api/v1/campaigns/{campaign['id']}"
    world.post("inspector_city", f"{path}/enrollments", json={"enterprise_ids": [world.enterprise["A1"]]})
    collective = world.post("inspector_city", f"{path}/honours", json={
        "kind": "collective", "enterprise_id": world.enterprise["A1"], "reason": "隐患整改及时"})
    assert collective.status_code == 201 and collective.json["name"] == "企业A1"
    person = world.post("inspector_city", f"{path}/honours", json={
        "kind": "individual", "user_id": world.user["worker_a1"], "reason": "主动报告隐患"})
    # a union below the campaign's does not choose its honours
    assert world.post("inspector_a", f"{path}/honours", json={
        "kind": "individual", "name": "张三", "reason": "x"}).status_code == 403
    assert person.status_code == 201 and person.json["enterprise_id"] == world.enterprise["A1"]
    assert world.post("inspector_city", f"{path}/honours", json={"kind": "collective", "reason": "x"}).status_code == 422
    assert world.post("inspector_city", f"{path}/honours", json={"kind": "individual", "reason": "x"}).status_code == 422
    assert world.post("officer_a1", f"{path}/honours", json={
        "kind": "individual", "name": "张三", "reason": "x"}).status_code == 403
    listed = world.get("officer_a1", f"{path}/honours").json["items"]
    assert [(h["kind"], h["name"]) for h in listed] == [("collective", "企业A1"), ("individual", "Worker A1")]
    export = world.get("inspector_city", f"{path}/export?format=xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    data = export.data
    export.close()
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("名次", "企业编号", "企业名称") and rows[0][-3].startswith("总分")
    assert rows[1][1:3] == ("A1", "企业A1") and "先进集体" in rows[1][-1]
    assert world.get("officer_a1", f"{path}/export").status_code == 403
    assert world.get("inspector_city", f"{path}/export?format=csv").status_code == 422


BAD_SHEETS = [
    ('name = "x"\nitems = [{key = "a", title = "A", max = 10}]\n', "line"),
    ('name = "x"\nline = 5\nitems = [{key = "a", title = "A", max = "ten"}]\n', "items[0].max"),
    ('name = "x"\nline = 5\nitems = [{key = "a", title = "A", max = 10, auto = "luck"}]\n', "items[0].auto"),
    ('name = "x"\nline = 5\nitems = [{key = "a", title = "A", max = 10}, {key = "a", title = "B", max = 1}]\n',
     "items[1].key"),
    ('name = "x"\nline = 50\nitems = [{key = "a", title = "A", max = 10}]\n', "line"),
    ('name = "x"\nline = 5\nitems = [{key = "a", title = "A", max = 10, auto = "reports_per_100"}]\n', "items[0].full_at"),
    ('name = "x"\nline = 5\nitems = [{key = "a", title = "A", max = 10, auto = "training", profile = "x"}]\n',
     "items[0].profile"),
    ('name = "ankang-default"\nline = 5\nitems = [{key = "a", title = "A", max = 10}]\n', "name"),
    ("this is not toml", "bad.toml"),
]


@pytest.mark.parametrize("text, key", BAD_SHEETS)
def test_a_malformed_sheet_stops_start_up_naming_the_file_and_key(tmp_path, text, key):
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings({"campaigns": {"sheets_dir": str(tmp_path)}}, environ={})
    message = str(refused.value)
    assert "bad.toml" in message and key in message and "\n" not in message


def test_a_malformed_sheet_stops_the_command_line_in_one_line(tmp_path):
    import subprocess
    import sys

    (tmp_path / "bad.toml").write_text('name = "x"\nline = 5\nitems = []\n', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[campaigns]\nsheets_dir = "{tmp_path}"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "hazard_ledger.cli", "jobs", "list"], capture_output=True, text=True,
                            env={"HAZARD_LEDGER_CONFIG": str(config), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode != 0 and result.stderr.strip().count("\n") == 0
    assert "bad.toml: items" in result.stderr


def test_the_union_commands(world, database_url, tmp_path):
    from click.testing import CliRunner

    from hazard_ledger.cli import cli

    runner, env = CliRunner(), {"HAZARD_LEDGER_DATABASE_URL": database_url}
    days = runner.invoke(cli, ["union", "workdays", "2026-09-30", "15"], env=env)
    assert days.exit_code == 0 and days.output.strip() == "2026-10-27"
    estimated = runner.invoke(cli, ["union", "workdays", "2026-12-24", "15"], env=env)
    assert "2027-01-14" in estimated.output and "estimated" in estimated.output
    bad = runner.invoke(cli, ["union", "workdays", "yesterday", "3"], env=env)
    assert bad.exit_code != 0 and "START" in bad.output
    sheets = runner.invoke(cli, ["union", "sheets"], env=env)
    assert "ankang-default" in sheets.output and "100 points, line 95" in sheets.output
    campaign = create(world).json
    world.post("inspector_city", f"/api/v1/campaigns/{campaign['id']}/enrollments",
               json={"enterprise_ids": [world.enterprise["B1"]]})
    output = tmp_path / "results.xlsx"
    exported = runner.invoke(cli, ["union", "export", str(campaign["id"]), "-o", str(output)], env=env)
    assert exported.exit_code == 0, exported.output
    assert [row[1] for row in load_workbook(output).active.iter_rows(values_only=True)][1:] == ["B1"]
    missing = runner.invoke(cli, ["union", "export", "999", "-o", str(output)], env=env)
    assert missing.exit_code != 0 and "no such campaign" in missing.output
