"""A new report tells the enterprise's safety officers at once (kind `reported`): an inbox
row each, an e-mail to each with an address, a message to each of the enterprise's group
webhooks that hears the kind. On PostgreSQL these are CTEs of the report's one statement,
on SQLite the `report` effect in Python: both write the same rows. And the pages: the
unread badge in the header, 全部已读 (the page and the API)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import delete, event, select, update

from hazard_ledger.effects import Fired, in_statement
from hazard_ledger.enums import Role
from hazard_ledger.hazards import operations as ops
from hazard_ledger.notifications.delivery import add_webhook
from hazard_ledger.notifications.hazard_messages import announce_report
from hazard_ledger.notifications.models import Delivery, Notification
from hazard_ledger.organisations.models import User
from tests import factories
from tests.clock import SHANGHAI, service_now
from tests.factories import sign_in

HOOKS = "https://hooks.example.test"
ALLOWED = ["hooks.example.test"]


@pytest.fixture
def officers(app, database, world) -> dict[str, int]:
    """A1's safety officers: officer_a1 and officer2_a1 with an e-mail address, officer3_a1
    without one, officer4_a1 deactivated (who hears nothing)."""
    passwords = app.extensions["hazard_ledger.passwords"]
    with database.unit_of_work() as session:
        for name in ("officer2_a1", "officer3_a1", "officer4_a1"):
            factories.user(session, world, passwords, name, Role.SAFETY_OFFICER, "A1")
        session.execute(update(User).where(User.id == world.user["officer3_a1"]).values(email=None))
        session.execute(update(User).where(User.id == world.user["officer4_a1"]).values(active=False))
    return {name: world.user[name] for name in ("officer_a1", "officer2_a1", "officer3_a1")}


@pytest.fixture
def webhooks(database, world) -> dict[str, int]:
    """A1's DingTalk robot (the default kinds: it hears `reported`), A1's WeCom robot that
    hears `assigned` only, A2's robot and county A's union's robot."""
    made = {}
    with database.unit_of_work() as session:
        for name, kind, owner, kinds in (("a1", "dingtalk", {"enterprise_id": world.enterprise["A1"]}, None),
                                         ("a1_assigned", "wecom", {"enterprise_id": world.enterprise["A1"]}, "assigned"),
                                         ("a2", "wecom", {"enterprise_id": world.enterprise["A2"]}, None),
                                         ("county", "dingtalk", {"jurisdiction_id": world.jurisdiction["A"]}, None)):
            made[name] = add_webhook(session, kind=kind, url=f"{HOOKS}/{name}", secret=None, kinds=kinds,
                                     now=service_now(), allowed_hosts=ALLOWED,
                                     **{"enterprise_id": None, "jurisdiction_id": None, **owner}).id
    return made


def written_for(session, hazard_id: int) -> tuple[list[dict], list[dict]]:
    """The notifications and deliveries of a report, comparable between two writings: a
    notification by its dedup key, an e-mail by the key of its notification."""
    notices = list(session.scalars(select(Notification).where(Notification.hazard_id == hazard_id)))
    keys = {notice.id: notice.dedup_key for notice in notices}
    outbox = session.scalars(select(Delivery).where(
        Delivery.notification_id.in_(keys) | Delivery.dedup_key.like(f"webhook:%:reported:{hazard_id}")))
    notifications = sorted(({column: getattr(notice, column) for column in
                             ("kind", "recipient_user_id", "hazard_id", "message", "dedup_key", "created_at", "read_at")}
                            for notice in notices), key=lambda row: row["dedup_key"])
    deliveries = sorted(({**{column.key: getattr(delivery, column.key) for column in Delivery.__table__.columns
                             if column.key not in ("id", "notification_id")},
                          "dedup_key": delivery.dedup_key.replace(f"email:{delivery.notification_id}",
                                                                  f"email of {keys.get(delivery.notification_id)}"),
                          "of": keys.get(delivery.notification_id)}
                         for delivery in outbox), key=lambda row: row["dedup_key"])
    return notifications, deliveries


LONG = "配电箱门未关闭，\n内部线缆裸露，地面有积水。" * 4  # more than the 50 characters of the excerpt


def test_a_report_tells_each_active_officer_by_inbox_mail_and_the_enterprises_robot(world, database, officers,
                                                                                        webhooks):
    reported = world.report("worker_a1", category="电气安全", description=LONG)
    with database.unit_of_work(write=False) as session:
        notifications, deliveries = written_for(session, reported["id"])
    excerpt = " ".join(LONG.split())[:50] + "…"
    message = f"【新的隐患报告】企业A1 {reported['code']}（一号车间，电气安全）：{excerpt}请尽快核实，确认后制定整改方案。"
    assert {(n["recipient_user_id"], n["message"], n["kind"]) for n in notifications} == \
        {(officer, message, "reported") for officer in officers.values()}
    assert [n["dedup_key"] for n in notifications] == sorted(f"reported:{reported['id']}:{officer}"
                                                             for officer in officers.values())
    mailed = [d for d in deliveries if d["channel"] == "email"]
    assert sorted(d["recipient"] for d in mailed) == ["officer2_a1@example.test", "officer_a1@example.test"]
    heard = [d for d in deliveries if d["channel"] == "webhook"]
    assert [(d["webhook_id"], d["dedup_key"]) for d in heard] == [(webhooks["a1"], f"webhook:{webhooks['a1']}:reported:{reported['id']}")]
    for delivery in deliveries:
        assert (delivery["subject"], delivery["body"], delivery["status"], delivery["attempts"]) == \
            ("【新的隐患报告】", message, "pending", 0)
        assert delivery["data"] == {"kind": "reported", "hazard": {
            "id": reported["id"], "code": reported["code"], "enterprise": "企业A1", "location": "一号车间",
            "category": "电气安全", "description": excerpt, "state": "reported"}}
    # the reporter is confidential from the officers: not named, nor how they reported
    said = json.dumps([notifications, deliveries], ensure_ascii=False, default=str)
    assert "Worker A1" not in said and "worker_a1" not in said and "login" not in said
    inbox = world.get("officer2_a1", "/api/v1/notifications").json["items"]
    assert [(item["kind"], item["hazard_id"], item["message"]) for item in inbox] == [("reported", reported["id"], message)]
    assert world.get("worker_a1", "/api/v1/notifications").json["items"] == []


def test_a_report_through_the_public_form_names_nobody_either(world, client, database, officers, webhooks):
    answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards", json={
        "location": "二号仓库", "description": "消防通道堵塞", "name": "李四", "phone": "13800000000"})
    assert answer.status_code == 201, answer.json
    with database.unit_of_work(write=False) as session:
        hazard_id = session.scalar(select(Notification.hazard_id).where(Notification.kind == "reported"))
        notifications, deliveries = written_for(session, hazard_id)
    assert len(notifications) == 3 and len(deliveries) == 3
    assert notifications[0]["message"].startswith("【新的隐患报告】企业A1 YH-2026-")
    assert "（二号仓库）：消防通道堵塞。请尽快核实" in notifications[0]["message"]
    said = json.dumps([notifications, deliveries], ensure_ascii=False, default=str)
    assert "李四" not in said and "13800000000" not in said and "public" not in said


def test_a_report_into_an_enterprise_without_officers_or_robots_writes_no_notice(world, database):
    world.report("worker_b1")
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(Notification.recipient_user_id)).all() == [world.user["officer_b1"]]
        assert [d.recipient for d in session.scalars(select(Delivery))] == ["officer_b1@example.test"]


@pytest.mark.parametrize("location, category, description", [
    ("一号车间", "电气安全", LONG),
    ("B栋 \"东\" 侧\\ 100% _x_ ' ; -- 🚧", None, "{\"json\": [1, 2]}\t\u2028 <b>x</b> ✓"),
], ids=["plain", "awkward-text"])
def test_on_postgresql_the_report_statement_writes_what_the_python_effect_writes(
        world, database, backend, officers, webhooks, location, category, description):
    """The same report, its notices written by the statement's CTEs, then (those removed)
    by `announce_report`, the effect SQLite runs: the same rows, to the last column."""
    if backend != "postgresql":
        pytest.skip("on SQLite a report's notices are the Python effect alone")
    assert in_statement("report")
    with database.unit_of_work() as session:
        reporter = session.get(User, world.user["worker_a1"])
        now = service_now()
        hazard = ops.report_as_user(session, reporter, ops.Report(location, description, category), None, now, SHANGHAI)
        by_statement = written_for(session, hazard.id)
        session.execute(delete(Delivery).where(Delivery.kind == "reported"))
        session.execute(delete(Notification).where(Notification.hazard_id == hazard.id))
        assert written_for(session, hazard.id) == ([], [])
        announce_report(Fired(session, "report", hazard, reporter, now, SHANGHAI))
        by_python = written_for(session, hazard.id)
        session.rollback()
    assert len(by_statement[0]) == 3 and len(by_statement[1]) == 3
    assert by_statement == by_python


def test_statements_per_report(world, database, backend, officers, webhooks):
    """What a report costs the database. On PostgreSQL, as before the notices, the read of
    the caller and the one statement (the notices are CTEs of it). On SQLite the Python
    effect adds 7 to the 5 of before (BEGIN, the caller, counter, hazard, history): the
    enterprise, the officers, their notifications, their addresses, the e-mails, the
    webhooks, the webhook messages."""
    world.auth("worker_a1")
    sent: list[str] = []

    def record(connection, cursor, statement, *rest):
        sent.append(" ".join(statement.split())[:60])

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        world.report("worker_a1")
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    writes = [s for s in sent if s.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]
    print(f"\n{backend}: {len(sent)} statements per report, {len(writes)} writing: {sent}")
    if backend == "postgresql":
        assert len(sent) == 2 and len(writes) == 1
    else:
        assert len(sent) == 5 + 7 and len(writes) == 3 + 3


# ---- the pages and the API ----------------------------------------------------------------

def badge(page: str) -> str | None:
    found = re.search(r'data-testid="unread-badge"[^>]*>([^<]+)<', page)
    return found.group(1) if found else None


def test_the_header_counts_unread_and_read_all_clears_them(world, client, database, officers):
    for _ in range(3):
        world.report("worker_a1")
    sign_in(client, "officer_a1")
    assert badge(client.get("/ledger").text) == "3"
    inbox = client.get("/inbox").text
    assert badge(inbox) == "3" and inbox.count('class="notice unread"') == 3 and "全部已读" in inbox
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', inbox).group(1)
    answer = client.post("/inbox/read-all", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/inbox")
    after = client.get("/inbox").text
    assert badge(after) is None and "已全部标为已读" in after and 'class="notice unread"' not in after
    assert "全部已读</button>" not in after  # nothing left to mark
    assert "已全部标为已读" not in client.get("/inbox").text  # said once
    assert badge(client.get("/ledger").text) is None
    # the other officers' notices are theirs
    assert [n["read_at"] is None for n in world.get("officer2_a1", "/api/v1/notifications").json["items"]] == [True] * 3
    assert client.post("/inbox/read-all", data={}).status_code == 400  # no CSRF token: refused, nothing changed


def test_the_api_marks_all_read_and_answers_how_many(world, officers):
    world.report("worker_a1")
    world.report("worker_a1")
    assert world.post("officer2_a1", "/api/v1/notifications/read-all").json == {"read": 2}
    assert world.get("officer2_a1", "/api/v1/notifications?unread=true").json["items"] == []
    assert world.post("officer2_a1", "/api/v1/notifications/read-all").json == {"read": 0}
    assert len(world.get("officer_a1", "/api/v1/notifications?unread=true").json["items"]) == 2
    assert world.client.post("/api/v1/notifications/read-all").status_code == 401


def test_the_badge_says_99_plus_beyond_99(world, client, database):
    with database.unit_of_work() as session:
        session.add_all(Notification(kind="reported", recipient_user_id=world.user["officer_a1"], message=f"m{n}",
                                     dedup_key=f"test:{n}", created_at=service_now()) for n in range(120))
    sign_in(client, "officer_a1")
    assert badge(client.get("/ledger").text) == "99+"
