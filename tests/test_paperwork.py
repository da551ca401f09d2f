"""The ledger on paper: export, import, statistics."""

from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from hazard_ledger.cli import cli
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations.models import User
from hazard_ledger.paperwork.columns import HEADERS
from hazard_ledger.paperwork.statistics import Period, file_statistics, stored_report
from hazard_ledger.tabular import read_table
from tests.factories import SHANGHAI, make_hazard, sign_out

COMPARED = ("location", "description", "category", "grade", "measure", "responsible_unit", "responsible_person",
            "deadline", "protective_measures", "rectification_note", "completed_on", "verification_note", "state",
            "funds", "emergency_plan")

# the quarters below are Q3 and Q4 of 2026, ended or under way: the clock stands in Q4
pytestmark = pytest.mark.frozen_at("2026-12-03 10:00")


@pytest.fixture
def ledger(world, database):
    made = [make_hazard(database, world, state=state, grade=grade)
            for state, grade in (("reported", "general"), ("assigned", "general"), ("assigned", "major"),
                                 ("rectified", "general"), ("closed", "general"), ("closed", "major"),
                                 ("rejected", "general"))]
    make_hazard(database, world, enterprise="B1", reporter="worker_b1", responsible=None)
    return made


@pytest.fixture
def run(database_url, tmp_path):
    def invoke(*args):
        return CliRunner().invoke(cli, list(args), env={"HAZARD_LEDGER_DATABASE_URL": database_url})
    return invoke


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_through_the_api(world, ledger, fmt, tmp_path):
    answer = world.get("officer_a1", f"/api/v1/hazards/export?format={fmt}&state=assigned,closed")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    path = tmp_path / f"ledger.{fmt}"
    path.write_bytes(answer.data)
    answer.close()
    table = read_table(path)
    assert table.headers == HEADERS
    assert len(table.rows) == 4  # two assigned, two closed, all of A1
    assert {row.values["状态"] for row in table.rows} == {"整改中", "已销号"}
    assert "Worker A1" not in path.read_bytes().decode("utf-8", "ignore")  # never the reporter
    if fmt == "xlsx":
        sheet = load_workbook(path).active
        assert sheet["A1"].value == "企业A1隐患排查治理台账"  # the title block, then the header row
        assert "范围：整改中、已销号" in sheet["A2"].value and "制表人：Officer A1" in sheet["A2"].value
        assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$3:$3"
        assert isinstance(sheet["K4"].value, datetime)  # 整改时限 is a date cell, not text


def test_export_follows_scope_and_filters(world, ledger):
    answer = world.get("officer_b1", "/api/v1/hazards/export?format=csv")
    assert answer.data.decode("utf-8-sig").count("\n") == 2  # the header and B1's one hazard
    answer.close()
    bad = world.get("officer_a1", "/api/v1/hazards/export?format=pdf")
    assert bad.status_code == 422 and "format" in bad.json["error"]["fields"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_round_trips(world, ledger, database, run, tmp_path, suffix):
    exported = tmp_path / f"ledger{suffix}"
    assert run("hazards", "export", "--enterprise", "A1", "-o", str(exported)).exit_code == 0
    result = run("hazards", "import", "A2", str(exported))
    assert result.exit_code == 0, result.output
    with database.unit_of_work(write=False) as session:
        originals = session.scalars(select(Hazard).where(Hazard.enterprise_id == world.enterprise["A1"])
                                    .order_by(Hazard.id)).all()
        copies = session.scalars(select(Hazard).where(Hazard.enterprise_id == world.enterprise["A2"])
                                 .order_by(Hazard.id)).all()
        assert len(copies) == len(originals) == 7
        for original, copy in zip(originals, copies, strict=True):
            assert {f: getattr(copy, f) for f in COMPARED} == {f: getattr(original, f) for f in COMPARED}
            assert copy.code != original.code  # the codes were taken here; the old one is in the history
            assert copy.history[0].event == "import" and copy.history[0].data["original_code"] == original.code
    assert run("audit", "verify").exit_code == 0


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_reported_text_never_becomes_a_formula(world, database, run, tmp_path, suffix):
    """A QR reporter's text is data: exported, it stays text in Excel, and comes back unchanged."""
    formula = '=HYPERLINK("http://evil.example","点此查看")'
    make_hazard(database, world, state="assigned", description=formula, location="-2号\x0b车间")
    exported = tmp_path / f"ledger{suffix}"
    assert run("hazards", "export", "--enterprise", "A1", "-o", str(exported)).exit_code == 0
    if suffix == ".xlsx":
        cell = load_workbook(exported).active["E4"]  # below the title block and the header row
        assert (cell.data_type, cell.value) == ("s", formula)
    else:
        assert "'=HYPERLINK" in exported.read_text("utf-8-sig")
    row = read_table(exported).rows[0].values
    assert (row["隐患描述"], row["隐患地点"]) == (formula, "-2号车间")  # the control character is dropped


def test_a_file_with_bad_rows_imports_nothing_and_names_each(world, database, run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        ",".join(HEADERS[:19]) + "\n"
        "1,,2026-03-01 09:00,一号车间,地面油污,作业环境,一般,清理,车间,张三,2026-03-10,警示,,,,,整改中,否,0\n"
        "2,,2026-03-02,二号车间,,作业环境,一般,清理,车间,张三,2026-03-10,警示,,,,,整改中,否,0\n"
        "3,,2026-03-03,三号车间,漏电,电气,特大,清理,车间,张三,下周,警示,,,,,整改中,否,0\n"
        "4,,2026-03-04,四号车间,漏气,燃气,一般,,,,,,,,,,已销号,否,0\n"
        "5,,明天,五号车间,积水,作业环境,,,,,,,,,,,待确认,否,0\n",
        encoding="utf-8")
    result = run("hazards", "import", "A1", str(path))
    assert result.exit_code != 0
    for expected in ("第 3 行 [隐患描述]", "第 4 行 [隐患等级]", "第 4 行 [整改时限]", "第 5 行 [整改措施]",
                     "第 5 行 [验收意见]", "第 6 行 [报告时间]"):
        assert expected in result.output, result.output
    assert "第 2 行" not in result.output
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Hazard.id)) is None


def test_import_of_a_gb18030_csv_and_a_missing_file(world, database, run, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((",".join(HEADERS[:19]) + "\n1,,2026-03-01 09:00,一号车间,地面油污,作业环境,,,,,,,,,,,待确认,否,0\n")
                     .encode("gb18030"))
    assert run("hazards", "import", "A1", str(path)).exit_code == 0
    missing = run("hazards", "import", "A1", str(tmp_path / "nope.xlsx"))
    assert missing.exit_code != 0 and "no such file" in missing.output
    wrong = run("hazards", "import", "A1", str(tmp_path / "ledger.pdf"))
    assert wrong.exit_code != 0 and ".xlsx" in wrong.output


# ---- statistics --------------------------------------------------------------------------

def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def quarter(world, database):
    """Q3 2026 of A1, built by hand around the Shanghai quarter boundaries."""
    officer_id = world.user["officer_a1"]

    def hazard(reported: str, grade="general", deadline="2026-09-15", completed: str | None = None, close=False):
        with database.unit_of_work() as session:
            officer = session.get(User, officer_id)
            made = ops.report_as_user(session, officer, ops.Report("车间", "隐患"), None, at(reported), SHANGHAI)
            fields = {"grade": grade, "measure": "措施", "deadline": deadline, "responsible_unit": "设备科",
                      "responsible_person": "张三", "protective_measures": "警示"}
            if grade == "major":
                fields.update(funds="50000", emergency_plan="专项预案")
            ops.transition(session, officer, made.id, "assign", fields, version=None, now=at(reported), zone=SHANGHAI)
            if completed:
                ops.transition(session, officer, made.id, "rectify", {"note": "好", "completed_on": completed},
                               version=None, now=at(completed + "T10:00"), zone=SHANGHAI)
                if close:
                    inspector = session.get(User, world.user["inspector_a"])
                    ops.transition(session, inspector if grade == "major" else officer, made.id, "close",
                                   {"note": "合格"}, version=None, now=at(completed + "T11:00"), zone=SHANGHAI)
            return made.id

    hazard("2026-06-30T23:30", deadline="2026-07-20")                        # Q2: not counted
    hazard("2026-07-01T00:10", completed="2026-07-10", close=True)             # found, rectified
    hazard("2026-08-15T10:00", deadline="2026-09-01")                          # found, overdue at the end
    hazard("2026-09-30T23:50", grade="major", deadline="2026-12-31")           # found, major, open
    hazard("2026-09-01T09:00", deadline="2026-09-20", completed="2026-10-05")  # found, rectified only in Q4: overdue
    hazard("2026-10-01T00:05", deadline="2026-10-20")                          # Q4: not counted


def test_quarterly_statistics_by_hand(world, quarter):
    stats = world.get("inspector_a", f"/api/v1/statistics?enterprise_id={world.enterprise['A1']}&period=2026Q3").json
    assert (stats["found"], stats["general"], stats["major"], stats["rectified"], stats["overdue"]) == (4, 3, 1, 1, 2)
    assert stats["rectification_rate"] == 0.25
    assert stats["filing_deadline"] == "2026-10-15"
    assert [m["funds"] for m in stats["open_major"]] == ["50000.00"]
    assert stats["open_major"][0]["emergency_plan"] == "专项预案"


def test_statistics_as_a_signed_sheet(world, quarter, run, tmp_path):
    output = tmp_path / "q3.xlsx"
    result = run("stats", "quarterly", "--enterprise", "A1", "--period", "2026Q3", "-o", str(output))
    assert result.exit_code == 0, result.output
    cells = [c for row in load_workbook(output).active.iter_rows(values_only=True) for c in row if c is not None]
    assert any("主要负责人（签字）" in str(c) for c in cells)
    assert 4 in cells and 0.25 in cells
    assert run("stats", "annual", "--enterprise", "A1", "--period", "2026Q3", "-o", str(output)).exit_code != 0
    answer = world.get("officer_b1", f"/api/v1/statistics?enterprise_id={world.enterprise['A1']}&period=2026")
    assert answer.status_code == 404


def test_periods_and_their_deadlines():
    assert Period.parse("2026q4").filing_deadline == date(2027, 1, 15)
    assert Period.parse("2026").filing_deadline == date(2027, 1, 31)
    assert Period.parse("2024Q1").last_day == date(2024, 3, 31)
    assert [str(p) for p in Period.ended_before(date(2027, 1, 5))] == ["2026Q4", "2026"]


def test_the_statistics_job_reminds_and_stores(world, database, settings, quarter):
    def run_at(day: str):
        with database.unit_of_work() as session:
            return file_statistics(session, at(day + "T08:00").astimezone(timezone.utc), settings)

    run_at("2026-10-01")
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(Notification.id).where(Notification.kind == "statistics_due")) is None
    run_at("2026-10-08")  # 7 days before 15 October
    run_at("2026-10-08")
    with database.unit_of_work(write=False) as session:
        reminders = session.scalars(select(Notification).where(Notification.kind == "statistics_due")).all()
        assert sorted(n.recipient_user_id for n in reminders) == sorted(
            world.user[name] for name in ("officer_a1", "officer_a2", "officer_b1"))  # once each, though run twice
        assert "2026年第3季度" in reminders[0].message and "2026-10-15" in reminders[0].message
    stored = world.get("officer_a1", f"/api/v1/statistics?enterprise_id={world.enterprise['A1']}&period=2026Q3").json
    with database.unit_of_work(write=False) as session:
        assert stored_report(session, world.enterprise["A1"], Period.parse("2026Q3")).data["found"] == stored["found"]


def login(client, username):
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": username, "password": "correct-horse-9",
                                       "csrf_token": token}).status_code == 302


def test_printable_hazard_record(world, database, client):
    hazard_id = make_hazard(database, world, state="closed", grade="major")
    login(client, "inspector_a")
    page = client.get(f"/hazards/{hazard_id}/print")
    assert page.status_code == 200
    with database.unit_of_work(write=False) as session:
        head = session.get(Hazard, hazard_id).chain_head
    assert head in page.text and "验收销号" in page.text and "专项应急预案" in page.text
    assert "隐患等级: 重大" in page.text and "grade:" not in page.text  # the timeline speaks the page's language
    assert "Worker A1" in page.text  # an inspector may see the reporter
    sign_out(client)
    login(client, "officer_a1")
    page = client.get(f"/hazards/{hazard_id}")
    assert page.status_code == 200 and "Worker A1" not in page.text  # never a safety officer
    sign_out(client)
    login(client, "officer_b1")
    assert client.get(f"/hazards/{hazard_id}/print").status_code == 404


def test_printable_statistics(world, quarter, client):
    login(client, "officer_a1")
    page = client.get(f"/statistics/{world.enterprise['A1']}/2026Q3")
    assert page.status_code == 200 and "主要负责人（签字）" in page.text and "25.0%" in page.text
    assert client.get(f"/statistics/{world.enterprise['B1']}/2026Q3").status_code == 404
    assert client.get(f"/statistics/{world.enterprise['A1']}/someday").status_code == 404


def test_the_shipped_template_imports(world, database, run):
    from hazard_ledger.config import DEFAULTS_DIR

    result = run("hazards", "import", "B1", str(DEFAULTS_DIR / "templates" / "hazard-ledger-template.csv"))
    assert result.exit_code == 0, result.output
    assert run("audit", "verify").exit_code == 0


# ---- a period still running (issue "Trust", item 13) -------------------------------------

TODAY_IN_Q4 = at("2026-12-03T10:00")


@pytest.fixture
def running_quarter(world, database, app, clock):
    """Q4 2026 of A1 seen on 3 December: three items overdue today, three whose deadline
    is today or still to come, one rectified in time."""
    officer_id = world.user["officer_a1"]

    def hazard(reported: str, deadline: str, completed: str | None = None, reopened: str | None = None):
        with database.unit_of_work() as session:
            officer = session.get(User, officer_id)
            made = ops.report_as_user(session, officer, ops.Report("车间", "隐患"), None, at(reported), SHANGHAI)
            ops.transition(session, officer, made.id, "assign",
                           {"grade": "general", "measure": "措施", "deadline": deadline, "responsible_unit": "设备科",
                            "responsible_person": "张三", "protective_measures": "警示"},
                           version=None, now=at(reported), zone=SHANGHAI)
            if completed:
                ops.transition(session, officer, made.id, "rectify", {"note": "好", "completed_on": completed},
                               version=None, now=at(completed + "T10:00"), zone=SHANGHAI)
            if reopened:
                ops.transition(session, officer, made.id, "reopen", {"reason": "验收不合格"}, version=None,
                               now=at(reopened + "T10:00"), zone=SHANGHAI)

    hazard("2026-10-05T09:00", "2026-11-01")                                               # overdue
    hazard("2026-10-10T09:00", "2026-11-30")                                               # overdue
    hazard("2026-10-08T09:00", "2026-11-10", completed="2026-11-05", reopened="2026-11-15")  # overdue again
    hazard("2026-10-12T09:00", "2026-12-10")                                               # due next week
    hazard("2026-11-20T09:00", "2026-12-25")                                               # due this month
    hazard("2026-11-02T09:00", "2026-12-03")                                               # due today: not overdue
    hazard("2026-10-03T09:00", "2026-10-20", completed="2026-10-18")                       # done
    clock.set(TODAY_IN_Q4)
    return world


def test_a_running_period_agrees_with_the_audit_on_the_same_day(running_quarter, client, run, tmp_path):
    world = running_quarter
    a1 = world.enterprise["A1"]
    audit = world.get("inspector_a", "/api/v1/audit/overdue").json
    audited = next(e["overdue_count"] for e in audit["enterprises"] if e["enterprise_id"] == a1)
    assert audit["as_of"] == "2026-12-03" and audited == 3
    stats = world.get("inspector_a", f"/api/v1/statistics?enterprise_id={a1}&period=2026Q4").json
    assert (stats["overdue"], stats["found"], stats["rectified"]) == (audited, 7, 1)
    assert stats["as_of"] == "2026-12-03" and stats["period_ended"] is False

    login(client, "officer_a1")
    page = client.get(f"/statistics/{a1}/2026Q4").text
    assert "截至 2026-12-03（本期未结束）" in page
    assert f'<td data-testid="overdue">{audited}</td>' in page

    output = tmp_path / "q4.xlsx"
    result = run("stats", "quarterly", "--enterprise", "A1", "--period", "2026Q4", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert f"overdue {audited}," in result.output and "as of 2026-12-03, period not ended" in result.output
    rows = list(load_workbook(output).active.iter_rows(values_only=True))
    assert "截至 2026-12-03（本期未结束）" in rows[1][0]
    assert rows[4][5] == audited  # 逾期未整改（项）


def test_an_ended_period_is_stated_at_its_end(running_quarter):
    world = running_quarter
    stats = world.get("inspector_a", f"/api/v1/statistics?enterprise_id={world.enterprise['A1']}&period=2026Q3").json
    assert stats["as_of"] == "2026-09-30" and stats["period_ended"] is True


def test_a_quarter_and_the_one_before():
    from hazard_ledger.paperwork.statistics import Period

    assert str(Period.quarter_of(date(2026, 1, 5))) == "2026Q1"
    assert str(Period.quarter_of(date(2026, 1, 5)).previous) == "2025Q4"
    assert str(Period.quarter_of(date(2026, 9, 30)).previous) == "2026Q2"
    assert str(Period(2026, None).previous) == "2025"
    assert [str(p) for p in Period.ended_before(date(2026, 1, 5))] == ["2025Q4", "2025"]
