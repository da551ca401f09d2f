"""Every workbook the service writes keeps anyone's words as text: a location, a
description or a claimant's name that reads like a formula (`=HYPERLINK(...)`, `+1`,
`-1`, `@SUM(A1)`) is a string cell marked as quoted, in the ledger export (API, page,
command line), the statutory statistics (quarterly and annual, API and command line) and
the awards for the finance office."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from hazard_ledger.cli import cli
from hazard_ledger.hazards import operations as ops
from hazard_ledger.organisations.models import User
from hazard_ledger.rewards.operations import claim_award
from hazard_ledger.tabular import FORMULA_STARTS
from tests.conftest import PASSWORD
from tests.factories import SHANGHAI, plan

PAYLOADS = ('=HYPERLINK("http://evil.example","点此查看")', "+1", "-1", "@SUM(A1)", "=1+1", "\t=cmd|' /C calc'!A0")


@pytest.fixture
def run(database_url):
    def invoke(*args):
        return CliRunner().invoke(cli, list(args), env={"HAZARD_LEDGER_DATABASE_URL": database_url})
    return invoke


@pytest.fixture
def hostile_ledger(world, database, clock):
    """For each payload, an open major hazard of A1 reported anonymously through the QR
    form, its every text field the payload, and its award claimed under the payload."""
    now = clock()
    with database.unit_of_work() as session:
        officer = session.get(User, world.user["officer_a1"])
        for payload in PAYLOADS:
            hazard, receipt = ops.report_publicly(session, world.report_token["A1"],
                                                  ops.Report(payload, payload, payload[:50], anonymous=True),
                                                  now, SHANGHAI)
            fields = {**plan("major"), "measure": payload, "responsible_unit": payload, "responsible_person": payload,
                      "protective_measures": payload, "emergency_plan": payload}
            ops.transition(session, officer, hazard.id, "assign", fields, version=None, now=now, zone=SHANGHAI)
            claim_award(session, hazard, payload, "13800000000", payload.ljust(4, "0"), now, SHANGHAI)


def guarded_cells(workbook_bytes: bytes) -> list:
    """The cells of every sheet whose text starts like a formula; none may be a formula."""
    book = load_workbook(io.BytesIO(workbook_bytes))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    found.append(cell.value)
    return found


def assert_every_payload_is_text(workbook_bytes: bytes, where: str) -> None:
    found = guarded_cells(workbook_bytes)
    for payload in PAYLOADS:
        assert payload in found, f"{where}: {payload!r} is not in the workbook as guarded text"


def downloaded(response) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.data
    response.close()
    return data


def test_every_workbook_keeps_formulas_as_text(world, client, hostile_ledger, run, tmp_path, clock):
    today = clock.today()
    quarter, year = f"{today.year}Q{(today.month - 1) // 3 + 1}", str(today.year)
    enterprise = world.enterprise["A1"]
    workbooks = {
        "API ledger export": downloaded(world.get("officer_a1", "/api/v1/hazards/export?format=xlsx")),
        "API statistics, quarter": downloaded(world.get(
            "officer_a1", f"/api/v1/statistics?enterprise_id={enterprise}&period={quarter}&format=xlsx")),
        "API statistics, year": downloaded(world.get(
            "inspector_a", f"/api/v1/statistics?enterprise_id={enterprise}&period={year}&format=xlsx")),
    }
    for payload in PAYLOADS:  # the finance office's awards, once approved
        award_id = next(a["id"] for a in world.get("inspector_a", "/api/v1/rewards").json["items"]
                        if a["status"] == "proposed")
        assert world.post("inspector_a", f"/api/v1/rewards/{award_id}/approve", json={}).status_code == 200
    workbooks["API rewards export"] = downloaded(world.get("inspector_a", f"/api/v1/rewards/export?year={year}"))
    for kind, period in (("quarterly", quarter), ("annual", year)):
        path = tmp_path / f"{kind}.xlsx"
        result = run("stats", kind, "--enterprise", "A1", "--period", period, "-o", str(path))
        assert result.exit_code == 0, result.output
        workbooks[f"CLI statistics, {kind}"] = path.read_bytes()
    path = tmp_path / "ledger.xlsx"
    assert run("hazards", "export", "--enterprise", "A1", "-o", str(path)).exit_code == 0
    workbooks["CLI ledger export"] = path.read_bytes()
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "officer_a1", "password": PASSWORD, "csrf_token": token})
    workbooks["page ledger export"] = downloaded(client.get("/ledger/export"))

    for where, data in workbooks.items():
        assert_every_payload_is_text(data, where)


def test_the_words_come_back_as_they_were_written(hostile_ledger, run, tmp_path, database, world):
    """Guarded, not altered: the ledger exported and imported again keeps every payload."""
    path = tmp_path / "ledger.xlsx"
    assert run("hazards", "export", "--enterprise", "A1", "-o", str(path)).exit_code == 0
    cells = [c.value for row in load_workbook(path).active.iter_rows() for c in row]
    assert all(cells.count(payload) >= 5 for payload in PAYLOADS if not payload.startswith("\t"))
    result = run("hazards", "import", "A2", str(path))
    assert result.exit_code == 0, result.output
