"""The ledger's bulk actions (issue 17, item 10): the ticked rows exported through the one
export path, and 催办 of the ticked overdue hazards to the people who must rectify them,
once a day, in the actor's scope only; by the page (a form, no JavaScript) and the API."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hazard_ledger.notifications.models import Delivery, Notification
from hazard_ledger.organisations.models import User
from tests.factories import make_hazard, sign_in


def csrf(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


@pytest.fixture
def hazards(world, database, clock):
    """Two overdue A1 hazards, one A1 hazard within its deadline, one overdue B1 hazard."""
    month_ago = clock() - timedelta(days=30)
    return {
        "late": make_hazard(database, world, state="assigned", now=month_ago, location="二号车间"),
        "late2": make_hazard(database, world, state="assigned", now=month_ago, location="三号库房"),
        "fresh": make_hazard(database, world, state="assigned"),
        "b1": make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1",
                          responsible=None, now=month_ago),
    }


def codes_of(database, *hazard_ids) -> set[str]:
    from hazard_ledger.hazards.models import Hazard

    with database.unit_of_work(write=False) as session:
        return set(session.scalars(select(Hazard.code).where(Hazard.id.in_(hazard_ids))))


def downloaded(answer) -> bytes:
    """The file of a download, its stream closed."""
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    data = answer.data
    answer.close()
    return data


def workbook_codes(data: bytes) -> list[str]:
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=4, values_only=True))
    return [row[1] for row in rows]


def nudges(database) -> list[tuple[str, int, str]]:
    with database.unit_of_work(write=False) as session:
        return sorted(session.execute(
            select(User.username, Notification.hazard_id, Notification.message)
            .join(User, User.id == Notification.recipient_user_id).where(Notification.kind == "nudged")).all())


def test_the_selection_exports_exactly_the_ticked_rows(world, database, client, hazards):
    sign_in(client, "officer_a1")
    page = client.get("/ledger?state=assigned")
    assert page.text.count('name="ids"') == 3 and 'data-testid="export-selected"' in page.text
    assert '<main class="wide">' in page.text
    data = downloaded(client.post("/ledger/export?state=assigned",
                                  data={"csrf_token": csrf(page), "ids": [hazards["late"], hazards["fresh"]]}))
    assert sorted(workbook_codes(data)) == sorted(codes_of(database, hazards["late"], hazards["fresh"]))
    assert "所选 2 项" in load_workbook(io.BytesIO(data)).active["A2"].value
    # another enterprise's hazard ticked by hand is not in the file: the export keeps the viewer's scope
    data = downloaded(client.post("/ledger/export", data={"csrf_token": csrf(page),
                                                          "ids": [hazards["late2"], hazards["b1"]]}))
    assert workbook_codes(data) == list(codes_of(database, hazards["late2"]))
    # nothing ticked: the page again with the problem (never the whole ledger)
    empty = client.post("/ledger/export?state=assigned", data={"csrf_token": csrf(page)})
    assert empty.status_code == 422 and "请先勾选隐患" in empty.text and 'data-testid="bulk-problem"' in empty.text
    too_many = client.post("/ledger/export", data={"csrf_token": csrf(page), "ids": [str(n) for n in range(1, 202)]})
    assert too_many.status_code == 422 and "最多选择 200 项" in too_many.text and "at most" not in too_many.text
    assert client.post("/ledger/export", data={"csrf_token": csrf(page), "ids": ["x", "²"]}).status_code == 422


def test_the_api_exports_a_selection_through_the_same_path(world, hazards, database):
    ids = f"{hazards['late']},{hazards['b1']},{hazards['late2']}"
    data = downloaded(world.get("inspector_a", f"/api/v1/hazards/export?ids={ids}"))
    assert sorted(workbook_codes(data)) == sorted(codes_of(database, hazards["late"], hazards["late2"]))
    listed = world.get("admin", f"/api/v1/hazards?ids={ids}").json["items"]
    assert {item["id"] for item in listed} == {hazards["late"], hazards["b1"], hazards["late2"]}
    for bad in ("1,x", "0", "2147483648", ",".join(str(n) for n in range(1, 202))):
        refused = world.get("admin", f"/api/v1/hazards/export?ids={bad}")
        assert refused.status_code == 422 and "ids" in refused.json["error"]["fields"], bad


def test_a_nudge_reaches_the_responsible_user_and_the_officers_once_a_day(world, database, client, clock, hazards):
    sign_in(client, "inspector_a")
    page = client.get("/ledger")
    assert 'data-testid="nudge"' in page.text
    ticked = [hazards["late"], hazards["fresh"], hazards["b1"]]  # B1 is county B's: not inspector_a's
    answer = client.post("/ledger/nudge?overdue=true", data={"csrf_token": csrf(page), "ids": ticked})
    assert answer.status_code == 303 and "overdue=true" in answer.location
    shown = client.get(answer.location)
    assert "已催办 1 项；跳过 2 项" in shown.text and 'data-testid="bulk-answer"' in shown.text
    sent = nudges(database)
    assert [(who, hazard) for who, hazard, _text in sent] == [("officer_a1", hazards["late"]),
                                                             ("worker2_a1", hazards["late"])]
    code = next(iter(codes_of(database, hazards["late"])))
    deadline = (clock.today() - timedelta(days=20)).isoformat()
    for _who, _hazard, text in sent:
        assert code in text and "二号车间" in text and deadline in text and "已逾期 20 天" in text
        assert "Worker A1" not in text and "worker_a1" not in text  # never the reporter
    with database.unit_of_work(write=False) as session:
        mails = session.scalars(select(Delivery.recipient).where(Delivery.kind == "nudged", Delivery.channel == "email"))
        assert sorted(mails) == ["officer_a1@example.test", "worker2_a1@example.test"]
    # pressed again the same day: nothing new
    again = client.post("/ledger/nudge", data={"csrf_token": csrf(page), "ids": ticked}, follow_redirects=True)
    assert "已催办 0 项；跳过 3 项" in again.text and len(nudges(database)) == 2
    # the next day (Shanghai's): once more
    clock.advance(days=1)
    assert world.post("inspector_a", "/api/v1/hazards/nudge", json={"hazard_ids": ticked}).json == \
        {"nudged": 1, "skipped": 2}
    assert len(nudges(database)) == 4


def test_an_officer_nudges_only_their_own_enterprise_and_a_worker_not_at_all(world, database, client, hazards):
    answer = world.post("officer_a1", "/api/v1/hazards/nudge", json={"hazard_ids": [hazards["b1"]]})
    assert answer.status_code == 200 and answer.json == {"nudged": 0, "skipped": 1}
    assert nudges(database) == []
    mine = world.post("officer_a1", "/api/v1/hazards/nudge",
                      json={"hazard_ids": [hazards["late"], hazards["late2"], hazards["late"]]})
    assert mine.json == {"nudged": 2, "skipped": 0}
    # the officer who pressed it is not told; the responsible worker is, once per hazard
    assert {(who, hazard) for who, hazard, _text in nudges(database)} == {("worker2_a1", hazards["late"]),
                                                                          ("worker2_a1", hazards["late2"])}
    assert world.post("worker2_a1", "/api/v1/hazards/nudge", json={"hazard_ids": [hazards["late"]]}).status_code == 403
    sign_in(client, "worker2_a1")
    page = client.get("/ledger")
    assert 'data-testid="nudge"' not in page.text and 'data-testid="export-selected"' in page.text
    assert client.post("/ledger/nudge", data={"csrf_token": csrf(page), "ids": [hazards["late"]]}).status_code == 403
    assert len(nudges(database)) == 2


def test_a_nudge_refuses_bad_input_with_a_422_and_keeps_the_ticks(world, database, client, hazards):
    for body in ({}, {"hazard_ids": []}, {"hazard_ids": ["x"]}, {"hazard_ids": [0]}, {"hazard_ids": 5},
                 {"hazard_ids": [2**31]}, {"hazard_ids": list(range(1, 202))}, {"hazard_ids": [None]}):
        answer = world.post("admin", "/api/v1/hazards/nudge", json=body)
        assert answer.status_code == 422 and any(name.startswith("hazard_ids") for name in answer.json["error"]["fields"]), body
    assert world.post("admin", "/api/v1/hazards/nudge", data="[", content_type="application/json").status_code in (400, 422)
    sign_in(client, "officer_a1")
    page = client.get("/ledger?lang=en")
    nothing = client.post("/ledger/nudge", data={"csrf_token": csrf(page)})
    assert nothing.status_code == 422 and "Tick at least one hazard" in nothing.text and "请先勾选" not in nothing.text
    too_many = client.post("/ledger/nudge", data={"csrf_token": csrf(page), "ids": [str(n) for n in range(1, 202)]})
    assert too_many.status_code == 422 and "at most 200" in too_many.text and "最多" not in too_many.text
    assert nudges(database) == []


@pytest.mark.frozen_at("2026-06-15 23:30")
def test_the_day_of_a_nudge_is_shanghais(world, database, clock, hazards):
    """23:30 and 00:30 in Shanghai are one UTC day (15:30 and 16:30) but two service days."""
    assert world.post("officer_a1", "/api/v1/hazards/nudge", json={"hazard_ids": [hazards["late"]]}).json == \
        {"nudged": 1, "skipped": 0}
    clock.advance(minutes=20)  # 23:50, the same day
    assert world.post("officer_a1", "/api/v1/hazards/nudge", json={"hazard_ids": [hazards["late"]]}).json == \
        {"nudged": 0, "skipped": 1}
    clock.advance(minutes=40)  # 00:30 on the 16th in Shanghai, still the 15th in UTC
    assert world.post("officer_a1", "/api/v1/hazards/nudge", json={"hazard_ids": [hazards["late"]]}).json == \
        {"nudged": 1, "skipped": 0}
    assert len(nudges(database)) == 2
