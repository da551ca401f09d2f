"""Each endpoint's success and failure paths, with the one error shape."""

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from hazard_ledger.hazards import chain
from hazard_ledger.hazards.models import Hazard
from tests.conftest import JPEG, PASSWORD, PNG, WEBP
from tests.factories import make_hazard, plan


def assert_error(answer, status: int, code: str, field: str | None = None):
    assert answer.status_code == status, answer.data
    body = answer.json
    assert set(body) == {"error"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert set(body["error"]) <= {"code", "message", "fields"}
    if field:
        assert field in body["error"]["fields"], body


# ---- authentication ----------------------------------------------------------------

def test_token_and_me(world, client):
    answer = client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": PASSWORD})
    assert answer.status_code == 200 and set(answer.json) == {"token", "expires_at"}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"}).json
    assert me == {"id": world.user["officer_a1"], "username": "officer_a1", "role": "safety_officer",
                  "name": "Officer A1", "enterprise_id": world.enterprise["A1"], "jurisdiction_id": None}


def test_a_token_lives_its_hours_by_the_service_clock(world, client, clock):
    answer = client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": PASSWORD})
    hours = 12  # config/default.toml [app] token_hours
    issued = clock()
    assert answer.json["expires_at"].startswith((issued + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S"))
    bearer = {"Authorization": f"Bearer {answer.json['token']}"}
    clock.advance(hours=hours)
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    clock.advance(seconds=1)
    assert_error(client.get("/api/v1/me", headers=bearer), 401, "unauthorized")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer "}])
def test_no_valid_token_is_401(world, client, headers):
    assert_error(client.get("/api/v1/hazards", headers=headers), 401, "unauthorized")
    assert_error(client.post("/api/v1/hazards", headers=headers, json={}), 401, "unauthorized")


@pytest.mark.parametrize("body", [{"username": "officer_a1", "password": "wrong"},
                                  {"username": "nobody", "password": "wrong"}])
def test_bad_credentials_are_401(world, client, body):
    assert_error(client.post("/api/v1/auth/token", json=body), 401, "unauthorized")


def test_failed_logins_are_limited_per_account(world, client):
    for _ in range(10):
        assert client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": "x"}).status_code == 401
    assert_error(client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": PASSWORD}),
                 429, "rate_limited")
    # another account is not locked out by it
    assert client.post("/api/v1/auth/token", json={"username": "officer_b1", "password": PASSWORD}).status_code == 200


def test_successful_logins_do_not_count(world, client):
    for _ in range(12):
        assert client.post("/api/v1/auth/token", json={"username": "officer_a1", "password": PASSWORD}).status_code == 200


# ---- bodies ---------------------------------------------------------------------------

def test_bodies_that_are_not_json_objects_are_400(world):
    assert_error(world.post("officer_a1", "/api/v1/hazards", data="location=x", content_type="text/plain"),
                 400, "bad_request")
    assert_error(world.post("officer_a1", "/api/v1/hazards", data="{not json", content_type="application/json"),
                 400, "bad_request")
    assert_error(world.post("officer_a1", "/api/v1/hazards", json=["a", "list"]), 400, "bad_request")
    assert_error(world.post("officer_a1", "/api/v1/hazards", json="text"), 400, "bad_request")


@pytest.mark.parametrize("body, field", [
    ({"description": "x"}, "location"),
    ({"location": "x"}, "description"),
    ({"location": "", "description": "x"}, "location"),
    ({"location": "x" * 201, "description": "x"}, "location"),
    ({"location": "x", "description": "x", "enterprise_id": "A1"}, "enterprise_id"),
    ({"location": "x", "description": "x", "surprise": 1}, "surprise"),
])
def test_report_validation_names_the_field(world, body, field):
    assert_error(world.post("worker_a1", "/api/v1/hazards", json=body), 422, "validation_error", field)


def test_reporting_into_an_enterprise_out_of_scope_is_refused(world):
    assert_error(world.post("worker_a1", "/api/v1/hazards", json={"location": "x", "description": "y",
                                                                  "enterprise_id": world.enterprise["B1"]}),
                 422, "validation_error", "enterprise_id")
    assert_error(world.post("inspector_a", "/api/v1/hazards", json={"location": "x", "description": "y"}),
                 422, "validation_error", "enterprise_id")
    assert world.post("inspector_a", "/api/v1/hazards", json={"location": "x", "description": "y",
                                                               "enterprise_id": world.enterprise["A2"]}).status_code == 201


def test_the_answer_to_a_report_is_the_hazard_as_stored(world):
    """The answer is built from the rows as written, before the commit: it must say what a
    later read of the hazard says, every field of it."""
    reported = world.report("worker_a1", category="消防安全", description="灭火器压力不足\n第二行")
    stored = world.get("worker_a1", f"/api/v1/hazards/{reported['id']}")
    assert stored.status_code == 200
    assert reported == stored.json
    assert reported["state"] == "reported" and reported["history"][0]["hash"] == reported["chain_head"]


def test_a_report_is_answered_without_reading_it_back(world, database):
    world.auth("worker_a1")
    sent = []
    listener = lambda connection, cursor, statement, *rest: sent.append(" ".join(statement.split()))  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        world.report("worker_a1")
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert sent and not [s for s in sent if s.startswith("SELECT") and ("FROM hazards" in s or "FROM hazard_events" in s)]


@pytest.mark.parametrize("public", [False, True], ids=["login", "public-form"])
def test_on_postgresql_a_report_commits_as_its_one_statement_ends(world, client, database, backend, public):
    """The year's code counter is held for the report's statement alone: another
    connection sees the hazard the moment the statement ends, before the view answers."""
    if backend != "postgresql":
        pytest.skip("SQLite writes a report in three statements, in one transaction")
    with database.engine.connect() as other:
        seen_before = other.scalar(select(func.count()).select_from(Hazard))
    writes, seen_after = [], []
    world.auth("worker_a1")  # signed in before: a login writes its own rows

    def look_from_another_connection(connection, cursor, statement, *rest):
        # (the public form's rate-limit count is a transaction of its own, before the report)
        if statement.lstrip().startswith(("INSERT", "UPDATE", "DELETE", "WITH")) and "rate_limit_counters" not in statement:
            writes.append(statement)
            with database.engine.connect() as other:
                seen_after.append(other.scalar(select(func.count()).select_from(Hazard)))

    event.listen(database.engine, "after_cursor_execute", look_from_another_connection)
    try:
        if public:
            answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards",
                                 json={"location": "一号车间", "description": "配电箱门未关闭", "anonymous": True})
            assert answer.status_code == 201, answer.json
        else:
            world.report("worker_a1")
    finally:
        event.remove(database.engine, "after_cursor_execute", look_from_another_connection)
    assert len(writes) == 1 and seen_after == [seen_before + 1]
    pooled = [database.engine.connect() for _ in range(database.engine.pool.checkedin())]
    try:  # and the connection went back to the pool with its transactions, for the next request
        assert pooled and not [c for c in pooled if c.connection.dbapi_connection.autocommit]
    finally:
        for connection in pooled:
            connection.close()


# ---- hazards: read, transitions ------------------------------------------------------------

def test_unknown_hazard_is_404(world):
    assert_error(world.get("admin", "/api/v1/hazards/999999"), 404, "not_found")
    assert_error(world.fire("admin", 999999, "progress", note="x"), 404, "not_found")


def test_a_stale_version_is_a_conflict_and_changes_nothing(world, database):
    hazard_id = make_hazard(database, world)
    version = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["version"]
    assert world.fire("officer_a1", hazard_id, "assign", version=version, **plan()).status_code == 200
    stale = world.fire("officer_a1", hazard_id, "progress", version=version, note="迟到的进展")
    assert_error(stale, 409, "conflict")
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json
    assert detail["version"] == version + 1 and [h["event"] for h in detail["history"]] == ["report", "assign"]


def test_an_event_not_allowed_in_the_state_is_invalid_transition(world, database):
    hazard_id = make_hazard(database, world, state="closed")
    assert_error(world.fire("admin", hazard_id, "reopen", reason="x"), 409, "invalid_transition")


def test_history_carries_actor_time_data_and_hash(world, database):
    hazard_id = make_hazard(database, world, state="closed")
    history = world.get("inspector_a", f"/api/v1/hazards/{hazard_id}").json["history"]
    assert [h["seq"] for h in history] == [1, 2, 3, 4]
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        (None, "reported"), ("reported", "assigned"), ("assigned", "rectified"), ("rectified", "closed")]
    assert history[1]["data"]["measure"] == "更换破损绝缘垫"
    assert all(len(h["hash"]) == 64 and h["at"] for h in history)


# ---- list, filters, cursor ----------------------------------------------------------------

@pytest.fixture
def ledger(world, database, now):
    made = {
        "reported": make_hazard(database, world),
        "assigned": make_hazard(database, world, state="assigned"),
        "major": make_hazard(database, world, state="assigned", grade="major"),
        "closed": make_hazard(database, world, state="closed"),
        "b1": make_hazard(database, world, enterprise="B1", reporter="worker_b1", responsible=None),
        "old_overdue": make_hazard(database, world, state="assigned", now=now - timedelta(days=40)),
    }
    return made


def ids(answer) -> set[int]:
    assert answer.status_code == 200, answer.json
    return {item["id"] for item in answer.json["items"]}


def test_list_filters(world, ledger, clock):
    get = lambda query: ids(world.get("admin", f"/api/v1/hazards?{query}"))  # noqa: E731
    assert get("") == set(ledger.values())
    assert get("state=assigned") == {ledger["assigned"], ledger["major"], ledger["old_overdue"]}
    assert get("state=reported,closed") == {ledger["reported"], ledger["closed"], ledger["b1"]}
    assert get(f"enterprise_id={world.enterprise['B1']}") == {ledger["b1"]}
    assert get("grade=major") == {ledger["major"]}
    assert get("overdue=true") == {ledger["old_overdue"]}
    assert ledger["old_overdue"] not in get("overdue=false")
    assert get("q=配电箱") == set(ledger.values())
    assert get("q=找不到的内容") == set()
    today = clock.today()
    assert get(f"reported_from={(today - timedelta(days=1)).isoformat()}") == set(ledger.values()) - {ledger["old_overdue"]}
    assert get(f"reported_to={(today - timedelta(days=30)).isoformat()}") == {ledger["old_overdue"]}


def test_overdue_is_computed_in_the_answer(world, ledger):
    item = world.get("admin", f"/api/v1/hazards/{ledger['old_overdue']}").json
    assert item["overdue"] is True and item["days_overdue"] >= 29


@pytest.mark.parametrize("query, field", [("state=done", "state"), ("grade=huge", "grade"), ("overdue=maybe", "overdue"),
                                          ("limit=0", "limit"), ("limit=201", "limit"), ("cursor=!!!", "cursor"),
                                          ("reported_from=yesterday", "reported_from"), ("enterprise_id=x", "enterprise_id")])
def test_bad_filters_are_named(world, query, field):
    assert_error(world.get("admin", f"/api/v1/hazards?{query}"), 422, "validation_error", field)


def test_keyset_pages_walk_everything_once(world, database):
    made = {make_hazard(database, world) for _ in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        answer = world.get("officer_a1", "/api/v1/hazards?limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen.extend(item["id"] for item in answer["items"])
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == made
    assert seen == sorted(seen, reverse=True)


def test_default_page_is_fifty(world, database):
    for _ in range(51):
        make_hazard(database, world)
    answer = world.get("officer_a1", "/api/v1/hazards").json
    assert len(answer["items"]) == 50 and answer["next_cursor"]


# ---- attachments ---------------------------------------------------------------------------

def upload(world, who, hazard_id, content, name="photo.jpg"):
    # a multipart body built in memory: the test client would spool a large one to a temporary
    # file that stays open when the app refuses the request before reading it
    boundary = "----hazard-ledger-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return world.post(who, f"/api/v1/hazards/{hazard_id}/attachments", data=body,
                      content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("content, content_type", [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")])
def test_images_are_checked_by_content(world, database, content, content_type):
    hazard_id = make_hazard(database, world)
    answer = upload(world, "worker_a1", hazard_id, content, name="whatever.txt")
    assert answer.status_code == 201
    download = world.get("officer_a1", f"/api/v1/attachments/{answer.json['id']}")
    stored = download.data  # re-encoded (tests/test_photos.py): its own size and hash
    assert answer.json == {"id": answer.json["id"], "content_type": content_type, "size": len(stored),
                           "sha256": hashlib.sha256(stored).hexdigest()}
    assert download.headers["Content-Type"] == content_type
    download.close()


def test_not_an_image_is_422_and_too_large_is_413(world, database):
    hazard_id = make_hazard(database, world)
    assert_error(upload(world, "worker_a1", hazard_id, b"<svg onload=alert(1)>", name="x.png"),
                 422, "validation_error", "file")
    assert_error(upload(world, "worker_a1", hazard_id, PNG + b"\0" * (256 * 1024)), 413, "too_large")
    assert_error(upload(world, "worker_a1", hazard_id, PNG + b"\0" * (2 * 1024 * 1024)), 413, "too_large")
    missing = world.post("worker_a1", f"/api/v1/hazards/{hazard_id}/attachments", data={},
                         content_type="multipart/form-data")
    assert_error(missing, 422, "validation_error", "file")


@pytest.mark.parametrize("who, status", [("worker_a1", 201), ("worker2_a1", 201), ("officer_a1", 201),
                                         ("inspector_a", 201), ("admin", 201), ("officer_b1", 404), ("worker_b1", 404)])
def test_who_may_add_photos(world, database, who, status):
    hazard_id = make_hazard(database, world, state="assigned")
    assert upload(world, who, hazard_id, PNG).status_code == status


def test_a_worker_who_sees_a_hazard_but_has_no_part_may_not_add_photos(world, database):
    hazard_id = make_hazard(database, world, state="assigned", reporter="officer_a1", responsible="worker2_a1")
    assert upload(world, "worker2_a1", hazard_id, PNG).status_code == 201
    assert upload(world, "worker_a1", hazard_id, PNG).status_code == 404


# ---- confidentiality --------------------------------------------------------------------------

def test_the_reporter_is_hidden_from_safety_officers(world, database):
    hazard_id = make_hazard(database, world, state="assigned")
    for who in ("officer_a1", "worker2_a1"):
        detail = world.get(who, f"/api/v1/hazards/{hazard_id}").json
        assert detail["reporter"] is None
        assert detail["history"][0]["actor"] is None
        listed = [i for i in world.get(who, "/api/v1/hazards").json["items"] if i["id"] == hazard_id][0]
        assert listed["reporter"] is None
        assert "Worker A1" not in str(detail)
    for who in ("worker_a1", "inspector_a", "admin"):
        detail = world.get(who, f"/api/v1/hazards/{hazard_id}").json
        assert detail["reporter"]["user_id"] == world.user["worker_a1"]
        assert detail["history"][0]["actor"]["id"] == world.user["worker_a1"]


def test_notifications_to_officers_do_not_name_the_reporter(world, database):
    make_hazard(database, world, state="assigned")
    for who in ("officer_a1", "worker2_a1"):
        for item in world.get(who, "/api/v1/notifications").json["items"]:
            assert "Worker A1" not in item["message"]


# ---- public reporting -----------------------------------------------------------------------

def test_public_report_and_receipt(world, client, database):
    token = world.report_token["B1"]
    assert client.get(f"/api/v1/public/enterprises/{token}").json == {"name": "企业B1"}
    assert_error(client.get("/api/v1/public/enterprises/nope"), 404, "not_found")
    answer = client.post(f"/api/v1/public/enterprises/{token}/hazards",
                         json={"location": "装卸平台", "description": "护栏松动", "name": "周师傅", "phone": "13800000000",
                               "anonymous": False})
    assert answer.status_code == 201 and set(answer.json) == {"code", "receipt"}
    receipt = answer.json["receipt"]
    status = client.get(f"/api/v1/public/receipts/{receipt.lower().replace('-', '')}").json
    assert status["code"] == answer.json["code"] and status["state"] == "reported" and status["closed_at"] is None
    with database.unit_of_work(write=False) as session:
        hazard = session.scalar(select(Hazard).where(Hazard.code == answer.json["code"]))
        assert hazard.receipt_hash != receipt and receipt not in str(vars(hazard))
        hazard_id = hazard.id
    assert world.get("officer_b1", f"/api/v1/hazards/{hazard_id}").json["reporter"] is None
    assert world.get("inspector_b", f"/api/v1/hazards/{hazard_id}").json["reporter"]["name"] == "周师傅"
    assert_error(client.get("/api/v1/public/receipts/AAAA-BBBB-CCCC-DDDD-EEEE"), 404, "not_found")


def test_an_anonymous_report_stores_no_identity(world, client, database):
    answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards",
                         json={"location": "仓库", "description": "堆垛过高", "name": "不应保存", "phone": "13900000000",
                               "anonymous": True}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    with database.unit_of_work(write=False) as session:
        hazard = session.scalar(select(Hazard).where(Hazard.code == answer.json["code"]))
        assert (hazard.anonymous, hazard.reporter_user_id, hazard.reporter_name, hazard.reporter_phone) == (
            True, None, None, None)
        assert "10.1.2.3" not in str(vars(hazard)) and "不应保存" not in str(hazard.history[0].data)
    assert world.get("admin", f"/api/v1/hazards/{hazard.id}").json["reporter"] is None


def test_public_reports_are_rate_limited_per_address(world, client):
    url = f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards"
    body = {"location": "车间", "description": "漏油", "anonymous": True}
    for _ in range(30):
        assert client.post(url, json=body, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 201
    assert_error(client.post(url, json=body, environ_base={"REMOTE_ADDR": "10.0.0.1"}), 429, "rate_limited")
    assert client.post(url, json=body, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 201


def test_public_report_validation(world, client):
    url = f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards"
    assert_error(client.post(url, json={"location": "x"}), 422, "validation_error", "description")
    assert_error(client.post(url, json={"location": "x", "description": "y", "phone": "call me"}),
                 422, "validation_error", "phone")
    assert_error(client.post("/api/v1/public/enterprises/nope/hazards", json={"location": "x", "description": "y"}),
                 404, "not_found")


# ---- organisations -----------------------------------------------------------------------------

def test_admin_builds_the_organisation(world):
    county = world.post("admin", "/api/v1/jurisdictions", json={"code": "C", "name": "丙区总工会",
                                                                "parent_id": world.jurisdiction["CITY"]})
    assert county.status_code == 201 and county.json["parent_id"] == world.jurisdiction["CITY"]
    enterprise = world.post("admin", "/api/v1/enterprises", json={"code": "C1", "name": "丙一厂",
                                                                  "jurisdiction_id": county.json["id"], "high_risk": True,
                                                                  "unionized": False, "industry": "冶金"})
    assert enterprise.status_code == 201 and len(enterprise.json["report_token"]) >= 20
    found = world.get("admin", "/api/v1/enterprises?code=C1").json["items"]
    assert [e["id"] for e in found] == [enterprise.json["id"]] and "report_token" not in found[0]
    assert world.get("admin", f"/api/v1/enterprises/{enterprise.json['id']}").json["report_token"] == \
        enterprise.json["report_token"]
    user = world.post("admin", "/api/v1/users", json={"username": "c1_officer", "password": "long-enough-1",
                                                      "role": "safety_officer", "enterprise_id": enterprise.json["id"],
                                                      "name": "钱七", "email": "qian@example.test"})
    assert user.status_code == 201 and "password" not in user.json and user.json["role"] == "safety_officer"
    assert world.get("inspector_city", "/api/v1/jurisdictions").status_code == 200
    assert {j["code"] for j in world.get("inspector_a", "/api/v1/jurisdictions").json["items"]} == {"A"}


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/users", {"username": "officer_a1", "password": "long-enough-1", "role": "admin"}, "username"),
    ("/api/v1/users", {"username": "new", "password": "long-enough-1", "role": "worker"}, "enterprise_id"),
    ("/api/v1/users", {"username": "new", "password": "short", "role": "admin"}, "password"),
    ("/api/v1/users", {"username": "new", "password": "long-enough-1", "role": "boss"}, "role"),
    ("/api/v1/users", {"username": "new", "password": "long-enough-1", "role": "inspector"}, "jurisdiction_id"),
    ("/api/v1/users", {"username": "new", "password": "long-enough-1", "role": "admin", "email": "nope"}, "email"),
    ("/api/v1/jurisdictions", {"code": "A", "name": "重复"}, "code"),
    ("/api/v1/jurisdictions", {"code": "D", "name": "孤儿", "parent_id": 999}, "parent_id"),
    ("/api/v1/enterprises", {"code": "A1", "name": "重复", "jurisdiction_id": 1}, "code"),
    ("/api/v1/enterprises", {"code": "Z9", "name": "无主", "jurisdiction_id": 999}, "jurisdiction_id"),
    ("/api/v1/enterprises", {"code": "bad code!", "name": "x", "jurisdiction_id": 1}, "code"),
])
def test_organisation_validation(world, path, body, field):
    assert_error(world.post("admin", path, json=body), 422, "validation_error", field)


@pytest.mark.parametrize("who", ["inspector_city", "officer_a1", "worker_a1"])
def test_only_admins_change_the_organisation(world, who):
    assert_error(world.post(who, "/api/v1/users", json={"username": "x1", "password": "long-enough-1",
                                                        "role": "admin"}), 403, "forbidden")
    assert_error(world.post(who, "/api/v1/jurisdictions", json={"code": "X", "name": "x"}), 403, "forbidden")


@pytest.mark.parametrize("who", ["officer_a1", "worker_a1"])
def test_jurisdictions_are_for_admins_and_inspectors(world, who):
    assert_error(world.get(who, "/api/v1/jurisdictions"), 403, "forbidden")


# ---- notifications, health, documents ----------------------------------------------------------

def test_inbox_and_mark_read(world, database):
    make_hazard(database, world, state="assigned")
    items = world.get("worker2_a1", "/api/v1/notifications").json["items"]
    assert len(items) == 1 and items[0]["kind"] == "assigned" and items[0]["read_at"] is None
    read = world.post("worker2_a1", f"/api/v1/notifications/{items[0]['id']}/read")
    assert read.status_code == 200 and read.json["read_at"]
    assert world.get("worker2_a1", "/api/v1/notifications?unread=true").json["items"] == []
    assert_error(world.post("officer_a1", f"/api/v1/notifications/{items[0]['id']}/read"), 404, "not_found")


def test_health_and_openapi(client):
    assert client.get("/healthz").json == {"status": "ok"}
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/hazards/{hazard_id}/transitions" in spec["paths"]


def test_unknown_paths_and_methods_keep_the_shape(world, client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert client.delete("/api/v1/hazards", headers=world.auth("admin")).json["error"]["code"] == "method_not_allowed"


def test_nul_characters_are_named_not_stored(world, client, database):
    assert_error(world.post("worker_a1", "/api/v1/hazards", json={"location": "a\x00b", "description": "x"}),
                 422, "validation_error", "location")
    assert_error(world.get("admin", "/api/v1/hazards?q=%00"), 422, "validation_error", "q")
    assert_error(client.post("/api/v1/auth/token", json={"username": "\x00", "password": "x"}),
                 422, "validation_error", "username")
    # the same body in UTF-16, where the escape is not a run of ASCII bytes
    body = json.dumps({"location": "a\x00b", "description": "x"}).encode("utf-16")
    response = world.post("worker_a1", "/api/v1/hazards", data=body, content_type="application/json")
    assert response.status_code in (400, 422) and response.status_code != 201
    # a backslash written out is text, not NUL, and its hash chain verifies
    assert world.post("worker_a1", "/api/v1/hazards", json={"location": "a\\u0000b", "description": "x"}).status_code == 201
    with database.unit_of_work(write=False) as session:
        assert list(chain.verify_all(session)) == []
