"""Formal notices (CONTRACT.md §5): every allowed and refused move by every role, numbers
unique under concurrent issues, the hash chain under `audit verify`, and the reminders
sent exactly once."""

from __future__ import annotations

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hazard_ledger.cli import cli
from hazard_ledger.enums import Role
from hazard_ledger.jobs import run_job
from hazard_ledger.notifications.kinds import Kind
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations.models import Jurisdiction
from hazard_ledger.union.models import NoticeEvent
from hazard_ledger.union.operations import verify_notice_chains
from tests import factories
from tests.factories import make_hazard

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED_AT = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the eve of the National Day holiday


@pytest.fixture
def deep_world(app, world, database, clock):
    """The world with a province above the city union and a township union (AT) below
    county A, with its own enterprise AT1: PROV > CITY > A > AT. The clock reads ISSUED_AT."""
    passwords = app.extensions["hazard_ledger.passwords"]
    with database.unit_of_work() as session:
        factories.province_and_township(session, world)
        factories.enterprise(session, world, "AT1", "AT")
        factories.user(session, world, passwords, "inspector_at", Role.INSPECTOR, "AT")
        factories.user(session, world, passwords, "officer_at1", Role.SAFETY_OFFICER, "AT1")
    clock.set(ISSUED_AT)
    return world


def issue(world, who="inspector_a", enterprise="A1", kind="opinion", **extra):
    body = {"enterprise_id": world.enterprise[enterprise], "kind": kind, "subject": "逾期隐患整改",
            "findings": "配电箱漏电隐患逾期未整改", **extra}
    return world.post(who, "/api/v1/notices", json=body)


def test_an_inspector_issues_an_opinion_numbered_in_the_union_series(deep_world, database):
    world = deep_world
    hazard_id = make_hazard(database, world, state="assigned")
    answer = issue(world, hazard_ids=[hazard_id])
    assert answer.status_code == 201, answer.json
    notice = answer.json
    assert notice["number"] == "甲区工劳监〔2026〕1号"
    assert notice["state"] == "issued" and notice["kind"] == "opinion"
    assert notice["jurisdiction_id"] == world.jurisdiction["A"]
    assert notice["issued_on"] == "2026-09-30" and notice["reply_due_on"] == "2026-10-27"
    assert notice["calendar_estimated"] is False
    assert notice["hazard_ids"] == [hazard_id]
    assert [entry["event"] for entry in notice["history"]] == ["issue"]
    second = issue(world, kind="reminder", reply_working_days=5)
    assert second.json["number"] == "甲区工劳监〔2026〕2号" and second.json["reply_due_on"] == "2026-10-13"
    city = issue(world, who="inspector_city", enterprise="B1")
    assert city.json["number"] == "市工劳监〔2026〕1号"
    # the officers hear of it at once
    inbox = world.get("officer_a1", "/api/v1/notifications").json["items"]
    assert {item["kind"] for item in inbox} - {"reported"} == {"notice_issued"}  # (and the reports' own news)


def test_a_configured_prefix_and_an_estimated_deadline(settings_override, deep_world, app, clock):
    world = deep_world
    settings = app.extensions["hazard_ledger.settings"]
    settings.values["notices"]["prefixes"]["A"] = "兰山"
    clock.set(datetime(2026, 12, 24, 10, 0, tzinfo=SHANGHAI))
    answer = issue(world)
    assert answer.json["number"] == "兰山工劳监〔2026〕1号"
    assert answer.json["calendar_estimated"] is True and answer.json["reply_due_on"] == "2027-01-14"
    settings.values["notices"]["prefixes"].pop("A")


@pytest.mark.parametrize("who, body, status, code", [
    ("inspector_b", {}, 422, "validation_error"),  # not their county's enterprise
    ("officer_a1", {}, 403, "forbidden"),
    ("worker_a1", {}, 403, "forbidden"),
    ("inspector_a", {"kind": "recommendation"}, 422, "validation_error"),
    ("inspector_a", {"reply_working_days": 61}, 422, "validation_error"),
    ("inspector_a", {"reply_working_days": 0}, 422, "validation_error"),
    ("inspector_a", {"hazard_ids": "A2"}, 422, "validation_error"),  # another enterprise's hazard
])
def test_who_may_issue_and_what(deep_world, database, who, body, status, code):
    world = deep_world
    if body.get("hazard_ids") == "A2":
        body["hazard_ids"] = [make_hazard(database, world, enterprise="A2", reporter="officer_a2", responsible=None)]
    answer = issue(world, who=who, **body)
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code


def test_who_sees_a_notice(deep_world):
    world = deep_world
    notice_id = issue(world).json["id"]
    for who in ("inspector_a", "inspector_city", "admin", "officer_a1"):
        assert world.get(who, f"/api/v1/notices/{notice_id}").status_code == 200, who
        assert [n["id"] for n in world.get(who, "/api/v1/notices").json["items"]] == [notice_id], who
    for who in ("worker_a1", "officer_a2", "officer_b1", "inspector_b", "inspector_at"):
        assert world.get(who, f"/api/v1/notices/{notice_id}").status_code == 404, who
    for who in ("officer_a2", "officer_b1", "inspector_b", "inspector_at"):
        assert world.get(who, "/api/v1/notices").json["items"] == [], who
    assert world.get("worker_a1", "/api/v1/notices").status_code == 404
    filtered = world.get("inspector_a", "/api/v1/notices?state=replied").json["items"]
    assert filtered == []
    assert world.get("inspector_a", "/api/v1/notices?kind=bogus").status_code == 422


def move(world, who, notice_id, event, **body):
    defaults = {"reply": {"text": "已整改", "measures": "更换配电箱，增设漏电保护"}, "accept": {"note": "同意"},
                "escalate": {"authority": "县应急管理局", "note": "逾期未整改，建议依法处理"}}
    return world.post(who, f"/api/v1/notices/{notice_id}/{event}", json={**defaults[event], **body})


def test_the_lifecycle_of_a_reminder_every_move_by_every_role(deep_world):
    world = deep_world
    notice_id = issue(world, kind="reminder").json["id"]
    # issued: only the enterprise's safety officers reply; accept and escalate are not moves of this state/kind
    assert move(world, "inspector_a", notice_id, "accept").json["error"]["code"] == "invalid_transition"
    assert move(world, "inspector_a", notice_id, "escalate").json["error"]["code"] == "invalid_transition"
    assert move(world, "inspector_a", notice_id, "reply").json["error"]["code"] == "forbidden"
    assert move(world, "admin", notice_id, "reply").status_code == 403
    for outsider in ("officer_a2", "worker_a1", "inspector_b"):
        assert move(world, outsider, notice_id, "reply").status_code == 404, outsider
    assert move(world, "officer_a1", notice_id, "reply", text="").status_code == 422
    replied = move(world, "officer_a1", notice_id, "reply")
    assert replied.status_code == 200 and replied.json["state"] == "replied"
    assert replied.json["reply"]["measures"] == "更换配电箱，增设漏电保护"
    # the issuing inspectors are told
    kinds = {n["kind"] for n in world.get("inspector_a", "/api/v1/notifications").json["items"]}
    assert "notice_replied" in kinds
    # replied: the issuing side accepts; nobody replies again
    assert move(world, "officer_a1", notice_id, "reply").json["error"]["code"] == "invalid_transition"
    assert move(world, "officer_a1", notice_id, "accept").json["error"]["code"] == "forbidden"
    assert move(world, "inspector_at", notice_id, "accept").status_code == 404
    assert move(world, "inspector_a", notice_id, "escalate").json["error"]["code"] == "invalid_transition"
    accepted = move(world, "inspector_city", notice_id, "accept")
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    assert [e["event"] for e in accepted.json["history"]] == ["issue", "reply", "accept"]
    for event in ("reply", "accept", "escalate"):
        assert move(world, "inspector_a", notice_id, event).status_code == 409, event
    # an admin accepts too; the issuing inspector, of course
    for accepter in ("admin", "inspector_a"):
        other = issue(world, kind="reminder").json["id"]
        move(world, "officer_a1", other, "reply")
        assert move(world, accepter, other, "accept").json["state"] == "accepted", accepter


def test_an_opinion_escalated_to_a_recommendation_by_a_county_union_only(deep_world, database):
    world = deep_world
    hazard_id = make_hazard(database, world, state="assigned", enterprise="A1")
    issue(world)  # 甲区 No. 1, so the recommendation is No. 2
    opinion = issue(world, who="inspector_at", enterprise="AT1").json
    assert opinion["number"] == "甲镇工劳监〔2026〕1号"
    # before the reply deadline an unanswered opinion is not escalated
    assert move(world, "inspector_a", opinion["id"], "escalate").json["error"]["code"] == "invalid_transition"
    assert move(world, "officer_at1", opinion["id"], "reply").status_code == 200
    # a township union cannot escalate; its county can; an admin has no union to number it
    assert move(world, "inspector_at", opinion["id"], "escalate").json["error"]["code"] == "forbidden"
    assert move(world, "admin", opinion["id"], "escalate").status_code == 403
    assert move(world, "officer_at1", opinion["id"], "escalate").status_code == 403
    assert move(world, "inspector_a", opinion["id"], "escalate", authority="").status_code == 422
    escalated = move(world, "inspector_a", opinion["id"], "escalate")
    assert escalated.status_code == 200, escalated.json
    assert escalated.json["state"] == "escalated"
    recommendation = world.get("inspector_a", f"/api/v1/notices/{escalated.json['recommendation_id']}").json
    assert recommendation["kind"] == "recommendation" and recommendation["state"] == "issued"
    assert recommendation["escalated_from"] == opinion["id"]
    assert recommendation["number"] == "甲区工劳监〔2026〕2号"
    assert recommendation["authority"] == "县应急管理局"
    assert recommendation["jurisdiction_id"] == world.jurisdiction["A"]
    # the township sees its opinion but not the county's recommendation
    assert world.get("inspector_at", f"/api/v1/notices/{recommendation['id']}").status_code == 404
    # a recommendation: no reply from the enterprise, no second escalation; the union records the answer
    assert move(world, "officer_at1", recommendation["id"], "reply").json["error"]["code"] == "invalid_transition"
    assert move(world, "inspector_a", recommendation["id"], "escalate").status_code == 409
    assert move(world, "inspector_a", recommendation["id"], "accept").json["state"] == "accepted"
    assert move(world, "inspector_a", opinion["id"], "escalate").status_code == 409
    assert hazard_id  # the notices cite hazards and never change them
    assert world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["state"] == "assigned"


def test_an_unanswered_opinion_is_escalated_after_its_deadline(deep_world, app, clock):
    world = deep_world
    opinion = issue(world).json
    clock.set(datetime(2026, 10, 28, 9, 0, tzinfo=SHANGHAI))
    assert move(world, "inspector_a", opinion["id"], "escalate").status_code == 200
    assert move(world, "officer_a1", opinion["id"], "reply").status_code == 409


def test_the_chain_of_a_notice_verifies_and_an_edit_breaks_it(deep_world, database, database_url):
    world = deep_world
    notice_id = issue(world).json["id"]
    move(world, "officer_a1", notice_id, "reply")
    with database.unit_of_work() as session:
        assert list(verify_notice_chains(session)) == []
    runner, env = CliRunner(), {"HAZARD_LEDGER_DATABASE_URL": database_url}
    verified = runner.invoke(cli, ["audit", "verify"], env=env, catch_exceptions=False)
    assert verified.exit_code == 0 and "every notice chain verifies" in verified.output
    with database.unit_of_work() as session:
        session.execute(update(NoticeEvent).where(NoticeEvent.notice_id == notice_id, NoticeEvent.seq == 2)
                        .values(data={"text": "另写的回复", "measures": "无"}))
    with database.unit_of_work() as session:
        breaks = list(verify_notice_chains(session))
    assert [(b.hazard_id, b.seq) for b in breaks] == [(notice_id, 2)]
    broken = runner.invoke(cli, ["audit", "verify"], env=env, catch_exceptions=False)
    assert broken.exit_code != 0 and "BROKEN notice 甲区工劳监〔2026〕1号" in broken.output


def test_twenty_simultaneous_issues_get_twenty_numbers(deep_world, app):
    world = deep_world
    headers = world.auth("inspector_a")
    start = threading.Barrier(20)
    numbers, statuses, lock = [], [], threading.Lock()

    def press():
        client = app.test_client()
        start.wait()
        answer = client.post("/api/v1/notices", headers=headers, json={
            "enterprise_id": world.enterprise["A1"], "kind": "reminder", "subject": "隐患排查", "findings": "请自查"})
        with lock:
            statuses.append(answer.status_code)
            if answer.status_code == 201:
                numbers.append(answer.json["number"])

    threads = [threading.Thread(target=press) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201] * 20
    assert sorted(numbers) == sorted(f"甲区工劳监〔2026〕{n}号" for n in range(1, 21))


def test_notice_reminders_are_sent_once_each(deep_world, database, runtime):
    world = deep_world
    issue(world)  # reply due 2026-10-27; notice_due from 3 working days before: 2026-10-22
    names = {uid: name for name, uid in world.user.items()}

    def run(day: date) -> set[tuple[str, str]]:
        with database.unit_of_work() as session:
            before = session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
        run_job(runtime, "reminders", datetime(day.year, day.month, day.day, 8, 0, tzinfo=SHANGHAI))
        with database.unit_of_work() as session:
            return {(kind, names[uid]) for kind, uid in session.execute(
                select(Notification.kind, Notification.recipient_user_id).where(
                    Notification.id > before,
                    Notification.kind.in_([kind for kind in Kind if kind.startswith("notice_")])))}

    assert run(date(2026, 10, 21)) == set()
    assert run(date(2026, 10, 22)) == {("notice_due", "officer_a1")}
    assert run(date(2026, 10, 22)) == set()
    assert run(date(2026, 10, 27)) == set()
    assert run(date(2026, 10, 28)) == {("notice_overdue", "inspector_a")}
    assert run(date(2026, 10, 28)) == set()
    assert run(date(2026, 11, 5)) == set()


def test_a_replied_notice_is_not_reminded(deep_world, database, runtime):
    world = deep_world
    notice_id = issue(world).json["id"]
    move(world, "officer_a1", notice_id, "reply")
    result = run_job(runtime, "reminders", datetime(2026, 10, 28, 8, 0, tzinfo=SHANGHAI))
    assert "notice" not in result


def test_county_or_higher_follows_the_level(deep_world, database):
    from hazard_ledger.organisations.levels import Level, county_or_higher

    with database.unit_of_work() as session:
        jurisdictions = {code: session.get(Jurisdiction, world_id) for code, world_id in deep_world.jurisdiction.items()}
        assert {code: county_or_higher(j.level) for code, j in jurisdictions.items()} == {
            "PROV": True, "CITY": True, "A": True, "B": True, "AT": False}
        jurisdictions["AT"].level = Level.COUNTY  # a level set by hand outweighs the place in the tree
        jurisdictions["A"].level = Level.TOWNSHIP
        assert county_or_higher(jurisdictions["AT"].level) and not county_or_higher(jurisdictions["A"].level)
        session.rollback()
