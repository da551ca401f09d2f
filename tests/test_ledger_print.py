"""The ledger workbook prints as a safety officer needs it: A4 landscape, every column on
one page wide, the header row repeated on each page, long text wrapped, and a title
block saying whose ledger it is, what it holds, who made it and when.

LibreOffice opens the workbook as Excel would and prints it to PDF; the pages are read
back (size, text of each page) and the first two are kept as pictures under
test-artifacts/ledger-print/ to be looked at."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import make_hazard

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "ledger-print"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(not SOFFICE or not shutil.which("pdftotext"),
                                reason="LibreOffice and poppler-utils (make browser installs them)")

LONG = ("二号车间东侧配电箱门锁损坏，箱内接线端子裸露并有明显烧蚀痕迹，地面有积水，"
        "作业人员经常从旁经过，存在触电风险，需要立即断电、更换端子并加装防水挡板。")


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_the_ledger_prints_on_a4_landscape_one_page_wide(world, database, tmp_path):
    for n in range(40):
        make_hazard(database, world, state=("closed", "assigned", "reported")[n % 3], grade="major" if n % 7 == 0 else "general",
                    description=LONG if n % 2 else "地面油污", location=f"{n + 1} 号车间")
    answer = world.get("officer_a1", "/api/v1/hazards/export?format=xlsx")
    assert answer.status_code == 200
    workbook = tmp_path / "ledger.xlsx"
    workbook.write_bytes(answer.data)
    answer.close()

    converted = subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                                "--convert-to", "pdf", "--outdir", str(tmp_path), str(workbook)],
                               capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "ledger.pdf"
    assert pdf.exists(), converted.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split("x"))
    assert (round(width), round(height)) == (842, 595)  # A4, landscape

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "ledger.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(pdf), str(ARTIFACTS / "page")],
                   check=True, timeout=120)

    printed = pages(pdf)
    assert len(printed) >= 2  # forty items with long text do not fit one page
    assert "企业A1隐患排查治理台账" in printed[0] and "制表人：Officer A1" in printed[0]
    for page in printed:  # one page wide: every page holds the first and the last column's header
        assert "序号" in page and "验收人" in page, page[:400]
    body = "".join(printed)
    assert "加装防水挡板" in body  # the end of a long description is printed, not cut off at the cell's edge

