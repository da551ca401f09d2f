"""Each label stands over its own value, in Chinese and in English.

The English catalog was once filled by position, so from one message on every English
text belonged to the message before it ("Closed at" over the photos, "Check value" as
the statistics form's title) while every message still *had* a translation. These tests
read the rendered pages as a reader does: each header cell with the value under or next
to it, in both languages, and the values must be the same data in the same places."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.helpers import make_hazard, sign_in

CATALOG = Path(__file__).resolve().parent.parent / "hazard_ledger/web/translations/en/LC_MESSAGES/messages.po"


class Tables(HTMLParser):
    """The page's headings and tables, as lists of rows of (tag, text) cells."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[tuple[str, str]]]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("th", "td"):
            self._cell = [tag]
        elif tag in ("h1", "h2"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.tables[-1][-1].append((self._cell[0], " ".join("".join(self._cell[1:]).split())))
            self._cell = None
        elif tag in ("h1", "h2") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def pairs(self) -> list[tuple[str, str]]:
        """(label, value) for every value cell: the header beside it in its row, or the header
        above it when the row before is a row of headers."""
        found = []
        for table in self.tables:
            for above, row in zip([[]] + table, table):
                if above and all(tag == "th" for tag, _ in above) and all(tag == "td" for tag, _ in row) \
                        and len(above) == len(row):
                    found += [(label, value) for (_, label), (_, value) in zip(above, row)]
                else:
                    found += [(label, value) for (tag, label), (next_tag, value) in zip(row, row[1:])
                              if tag == "th" and next_tag == "td"]
        return found


def read(client, url: str, language: str) -> Tables:
    page = client.get(f"{url}?lang={language}")
    assert page.status_code == 200
    return Tables(page.text)


def same_data(chinese: Tables, english: Tables) -> bool:
    """The same values in the same places; where they differ, the value is a word the page
    translates (a state, a grade, a source) and the English is that word's translation."""
    with open(CATALOG, "rb") as f:
        words = {m.id: m.string for m in read_po(f) if m.id}
    zh, en = chinese.pairs(), english.pairs()
    return len(zh) == len(en) and all(a == b or words.get(a) == b or label == "内容"  # the timeline's details: label: value lines
                                      for (label, a), (_, b) in zip(zh, en))


def test_the_hazard_record_labels_its_values(world, database, client):
    hazard_id = make_hazard(database, world, state="closed", grade="major")
    sign_in(client, "officer_a1")
    chinese = read(client, f"/hazards/{hazard_id}/print", "zh")
    english = read(client, f"/hazards/{hazard_id}/print", "en")
    assert same_data(chinese, english)
    both = dict(zip([label for label, _ in chinese.pairs()], [label for label, _ in english.pairs()]))
    assert both["完成时间"] == "Completed on" and both["销号时间"] == "Closed"
    assert both["治理资金（元）"] == "Funds (CNY)" and both["验收意见"] == "Verification"
    zh, en = dict(chinese.pairs()), dict(english.pairs())
    assert zh["销号时间"] == en["Closed"] != ""
    timeline = [[text for _, text in row] for row in english.tables[-1][:1]]
    assert timeline == [["#", "Time", "Step", "By", "Details"]]
    assert [[text for _, text in row] for row in chinese.tables[-1][:1]] == [["#", "时间", "事项", "经办", "内容"]]
    assert "Timeline" in english.headings and "处理过程" in chinese.headings
    assert english.tables[-1][1][2][1] == "Report" and chinese.tables[-1][1][2][1] == "上报"
    assert english.tables[-1][1][4][1].startswith("Location: 二号车间")
    assert en["State"] == "Closed" and en["Grade"] == "Major" and zh["状态"] == "已销号" and zh["隐患等级"] == "重大"


@pytest.mark.parametrize("language, labels", [
    ("zh", ("排查隐患（项）", "一般隐患", "重大隐患", "已整改", "整改率", "逾期未整改")),
    ("en", ("Hazards found", "General", "Major", "Rectified", "Rectification rate", "Overdue, not rectified")),
])
def test_the_statistics_form_labels_its_figures(world, database, client, language, labels):
    for state, grade in (("assigned", "major"), ("closed", "general"), ("reported", "general")):
        make_hazard(database, world, state=state, grade=grade)
    period = "2026Q4"
    figures = world.get("officer_a1", f"/api/v1/statistics?enterprise_id={world.enterprise['A1']}&period={period}").json
    sign_in(client, "officer_a1")
    page = read(client, f"/statistics/{world.enterprise['A1']}/{period}", language)
    expected = [str(figures["found"]), str(figures["general"]), str(figures["major"]), str(figures["rectified"]),
                f"{figures['rectification_rate'] * 100:.1f}%", str(figures["overdue"])]
    assert page.pairs()[:6] == list(zip(labels, expected))
    title = {"zh": "事故隐患排查治理情况统计表", "en": "Hazard investigation and rectification statistics"}[language]
    assert any(title in heading for heading in page.headings)
