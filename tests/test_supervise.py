"""督办 (issue 17, item 14): an inspector supervises an overdue hazard with a note and a
date; the enterprise's safety officers and the responsible user hear it exactly once, the
hazard's chained history records it, and the overdue audit (API and page) shows which
items are under supervision and until when."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hazard_ledger.hazards import chain
from hazard_ledger.notifications.delivery import add_webhook
from hazard_ledger.notifications.models import Delivery, Notification
from tests.factories import PASSWORD, make_hazard


def login(client, username):
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302


def csrf(page_text: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text).group(1)


@pytest.fixture
def overdue(database, world, clock) -> int:
    """A hazard of A1 assigned to worker2_a1 twenty days ago: ten days overdue."""
    return make_hazard(database, world, state="assigned", now=clock() - timedelta(days=20))


def supervision(clock, days: int = 7, note: str = "请于一周内完成整改并书面回复") -> dict:
    return {"note": note, "due_on": (clock.today() + timedelta(days=days)).isoformat()}


def test_an_inspector_supervises_and_the_chained_history_records_it(world, database, overdue, clock):
    fields = supervision(clock)
    answer = world.fire("inspector_a", overdue, "supervise", **fields)
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "assigned"
    detail = world.get("officer_a1", f"/api/v1/hazards/{overdue}").json
    entry = detail["history"][-1]
    assert entry["event"] == "supervise" and entry["from_state"] == entry["to_state"] == "assigned"
    assert entry["data"] == fields and entry["actor"]["id"] == world.user["inspector_a"]
    with database.unit_of_work(write=False) as session:
        assert list(chain.verify_all(session)) == []  # what `audit verify` checks


@pytest.mark.parametrize("role", ["admin", "inspector_city", "inspector_a"])
def test_the_union_over_the_enterprise_may_supervise(world, database, overdue, clock, role):
    assert world.fire(role, overdue, "supervise", **supervision(clock)).status_code == 200


@pytest.mark.parametrize("role, status", [
    ("officer_a1", 403), ("worker2_a1", 403),  # the enterprise's own people: not theirs to 督办
    ("inspector_b", 404), ("officer_b1", 404),  # outside the subtree: the hazard is not theirs to see
])
def test_others_may_not_supervise_and_nothing_changes(world, database, overdue, clock, role, status):
    before = world.get("admin", f"/api/v1/hazards/{overdue}").json
    answer = world.fire(role, overdue, "supervise", **supervision(clock))
    assert answer.status_code == status
    after = world.get("admin", f"/api/v1/hazards/{overdue}").json
    assert after["version"] == before["version"] and len(after["history"]) == len(before["history"])
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(Notification).where(Notification.kind == "supervised")).all() == []


def test_only_an_overdue_hazard_may_be_supervised(world, database, clock):
    on_time = make_hazard(database, world, state="assigned")  # due in ten days
    answer = world.fire("inspector_a", on_time, "supervise", **supervision(clock))
    assert answer.status_code == 409 and answer.json["error"]["code"] == "invalid_transition"
    assert "逾期" in answer.json["error"]["message"]
    assert "supervise" not in world.get("inspector_a", f"/api/v1/hazards/{on_time}").json["allowed_events"]
    rectified = make_hazard(database, world, state="rectified", now=clock() - timedelta(days=20))
    assert world.fire("inspector_a", rectified, "supervise", **supervision(clock)).status_code == 409


def test_the_overdue_hazard_offers_supervise_to_the_union_only(world, database, overdue):
    assert "supervise" in world.get("inspector_a", f"/api/v1/hazards/{overdue}").json["allowed_events"]
    assert "supervise" not in world.get("officer_a1", f"/api/v1/hazards/{overdue}").json["allowed_events"]


@pytest.mark.parametrize("fields, problems", [
    ({}, {"note", "due_on"}),  # all at once
    ({"note": "", "due_on": "2026-13-01"}, {"note", "due_on"}),
    ({"note": "限期整改", "due_on": "2026-06-14"}, {"due_on"}),  # the day before the suite's today
    ({"note": "限期整改", "due_on": "2026-06-22", "colour": "red"}, {"colour"}),
])
def test_bad_fields_are_named_and_change_nothing(world, database, overdue, fields, problems):
    before = world.get("admin", f"/api/v1/hazards/{overdue}").json
    answer = world.fire("inspector_a", overdue, "supervise", **fields)
    assert answer.status_code == 422 and set(answer.json["error"]["fields"]) == problems
    assert world.get("admin", f"/api/v1/hazards/{overdue}").json["version"] == before["version"]


def test_supervising_today_for_today_is_allowed(world, database, overdue, clock):
    assert world.fire("inspector_a", overdue, "supervise", **supervision(clock, days=0)).status_code == 200


def test_the_officers_and_the_responsible_user_hear_it_exactly_once(world, database, overdue, clock, now):
    with database.unit_of_work() as session:
        add_webhook(session, kind="generic", url="https://hooks.example.com/a1", secret=None,
                    enterprise_id=world.enterprise["A1"], jurisdiction_id=None, kinds="supervised", now=now)
        add_webhook(session, kind="generic", url="https://hooks.example.com/a1-default", secret=None,
                    enterprise_id=world.enterprise["A1"], jurisdiction_id=None, kinds=None, now=now)
        add_webhook(session, kind="generic", url="https://hooks.example.com/b1", secret=None,
                    enterprise_id=world.enterprise["B1"], jurisdiction_id=None, kinds="supervised", now=now)
    with database.unit_of_work(write=False) as session:
        before = {d.id for d in session.scalars(select(Delivery))}
    assert world.fire("inspector_a", overdue, "supervise", **supervision(clock, note="限三日内整改")).status_code == 200
    with database.unit_of_work(write=False) as session:
        told = session.scalars(select(Notification).where(Notification.kind == "supervised")).all()
        assert sorted(n.recipient_user_id for n in told) == sorted([world.user["officer_a1"], world.user["worker2_a1"]])
        assert all(n.hazard_id == overdue and "限三日内整改" in n.message and "逾期 10 天" in n.message for n in told)
        new = [d for d in session.scalars(select(Delivery).order_by(Delivery.id)) if d.id not in before]
        emails = sorted(d.recipient for d in new if d.channel == "email")
        assert emails == ["officer_a1@example.test", "worker2_a1@example.test"]
        hooks = [d for d in new if d.channel == "webhook"]
        assert len(hooks) == 1 and hooks[0].kind == "supervised"  # A1's hook that hears it; not B1's
        assert hooks[0].data["supervision"] == supervision(clock, note="限三日内整改")
    # a second 督办 is a new entry and a new message; nothing is sent twice for the first
    assert world.fire("inspector_city", overdue, "supervise", **supervision(clock, days=3)).status_code == 200
    with database.unit_of_work(write=False) as session:
        told = session.scalars(select(Notification).where(Notification.kind == "supervised")).all()
        assert len(told) == 4 and len({n.message for n in told}) == 2


def test_without_a_responsible_account_the_officers_of_that_enterprise_alone_hear_it(world, database, clock):
    hazard = make_hazard(database, world, state="assigned", enterprise="B1", reporter="worker_b1", responsible=None,
                         now=clock() - timedelta(days=20))
    assert world.fire("admin", hazard, "supervise", **supervision(clock)).status_code == 200
    with database.unit_of_work(write=False) as session:
        told = session.scalars(select(Notification).where(Notification.kind == "supervised")).all()
        assert [n.recipient_user_id for n in told] == [world.user["officer_b1"]]  # no responsible account


def test_the_audit_api_says_which_items_are_under_supervision(world, database, overdue, clock):
    other = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=15))
    world.fire("inspector_a", overdue, "supervise", **supervision(clock, days=10))
    world.fire("inspector_a", overdue, "supervise", **supervision(clock, days=5))  # the latest one counts
    items = {i["id"]: i for i in world.get("officer_a1", "/api/v1/audit/overdue").json["items"]}
    assert items[overdue]["supervised_until"] == (clock.today() + timedelta(days=5)).isoformat()
    assert items[other]["supervised_until"] is None
    assert items[other]["code"] and items[other]["days_overdue"] == 5  # every field as before


def test_the_audit_reads_supervision_in_one_query(world, database, clock):
    from sqlalchemy import event

    from hazard_ledger.hazards import operations as ops
    from hazard_ledger.organisations.models import User

    for days in (20, 25, 30):
        hazard = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=days))
        world.fire("inspector_a", hazard, "supervise", **supervision(clock))
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    with database.unit_of_work(write=False) as session:
        _enterprises, items = ops.overdue_audit(session, session.get(User, world.user["admin"]), clock.today())
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            supervised = ops.supervisions_of(session, items)
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and len(supervised) == 3


def test_the_audit_page_supervises_with_errors_next_to_the_fields(world, database, overdue, client, clock):
    login(client, "inspector_a")
    page = client.get("/audit")
    assert f'data-testid="supervise-{overdue}"' in page.text and "under-supervision" not in page.text
    token = csrf(page.text)
    refused = client.post(f"/audit/{overdue}/supervise?enterprise_id={world.enterprise['A1']}",
                          data={"csrf_token": token, "note": "", "due_on": ""})
    assert refused.status_code == 422
    row = refused.text.split(f'data-hazard="{overdue}"')[1].split("</tr>")[0]
    assert "<details class=\"supervise\" open>" in row
    assert "请填写督办意见" in row and "请填写督办期限" in row  # all at once
    assert "/ " not in row.split("<details")[1]  # one language on the page
    refused = client.post(f"/audit/{overdue}/supervise?enterprise_id={world.enterprise['A1']}",
                          data={"csrf_token": token, "note": "请一周内整改", "due_on": "2026-06-01"})
    row = refused.text.split(f'data-hazard="{overdue}"')[1].split("</tr>")[0]
    assert refused.status_code == 422 and "督办期限不能早于今天" in row
    assert "请一周内整改</textarea>" in row and 'value="2026-06-01"' in row  # what was typed is kept
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(Notification).where(Notification.kind == "supervised")).all() == []
    done = client.post(f"/audit/{overdue}/supervise?enterprise_id={world.enterprise['A1']}",
                       data={"csrf_token": token, "note": "请一周内整改", "due_on": "2026-06-22"})
    assert done.status_code == 303
    assert f"supervised={overdue}" in done.location and f"enterprise_id={world.enterprise['A1']}" in done.location
    after = client.get(done.location)
    assert 'data-testid="supervised-message"' in after.text
    row = after.text.split(f'data-hazard="{overdue}"')[1].split("</tr>")[0]
    assert 'data-testid="under-supervision"' in row and "2026-06-22" in row and "再次督办" in row
    record = client.get(f"/hazards/{overdue}").text
    assert "督办" in record and "请一周内整改" in record and "督办期限" in record


def test_the_audit_page_in_english_speaks_english(world, database, overdue, client, clock):
    login(client, "inspector_a")
    page = client.get("/audit?lang=en")
    refused = client.post(f"/audit/{overdue}/supervise", data={"csrf_token": csrf(page.text), "note": "",
                                                               "due_on": ""})
    row = refused.text.split(f'data-hazard="{overdue}"')[1].split("</tr>")[0]
    assert "write what the enterprise must do" in row and "请填写" not in row


def test_the_audit_page_offers_no_supervise_to_an_officer_nor_on_a_refused_post(world, database, overdue, client,
                                                                                 clock):
    login(client, "officer_a1")
    page = client.get("/audit")
    assert f'data-testid="supervise-{overdue}"' not in page.text
    answer = client.post(f"/audit/{overdue}/supervise", data={"csrf_token": csrf(page.text), "note": "x",
                                                              "due_on": "2026-06-22"})
    assert answer.status_code == 403
    assert client.post("/audit/999999/supervise", data={"csrf_token": csrf(page.text)}).status_code == 404


def test_a_hazard_no_longer_overdue_is_refused_with_the_reason_on_the_page(world, database, overdue, client, clock):
    login(client, "inspector_a")
    token = csrf(client.get("/audit").text)
    later = (clock.today() + timedelta(days=30)).isoformat()
    assert world.fire("inspector_a", overdue, "extend", deadline=later, reason="材料未到").status_code == 200
    answer = client.post(f"/audit/{overdue}/supervise", data={"csrf_token": token, "note": "限期整改",
                                                              "due_on": "2026-06-22"})
    assert answer.status_code == 409
    assert 'data-testid="supervise-refused"' in answer.text and "只能督办已逾期的隐患" in answer.text


def test_the_timeline_calls_the_note_of_a_supervision_its_opinion(world, database, overdue, client, clock):
    assert world.fire("inspector_a", overdue, "supervise", **supervision(clock, note="三日内报送整改方案")).status_code == 200
    login(client, "inspector_a")
    page = client.get(f"/hazards/{overdue}").get_data(as_text=True)
    assert re.search(r"<dt>督办意见</dt>\s*<dd>三日内报送整改方案</dd>", page)
    english = client.get(f"/hazards/{overdue}?lang=en").get_data(as_text=True)
    assert "三日内报送整改方案" in english and "督办意见" not in english


def test_the_audit_draws_the_form_of_the_row_asked_for_only(world, database, overdue, client, clock):
    second = make_hazard(database, world, state="assigned", now=clock() - timedelta(days=20))
    login(client, "inspector_a")
    page = client.get("/audit").get_data(as_text=True)
    assert '<form id="supervise-' not in page and f'data-testid="supervise-{second}"' in page
    opened = client.get(f"/audit?supervise={second}").get_data(as_text=True)
    assert f'<form id="supervise-{second}"' in opened and f'<form id="supervise-{overdue}"' not in opened
    assert f'data-testid="supervise-{overdue}"' in opened  # the other rows keep their link
