"""The hash chain keeps the reporter confidential (安全生产法 Art. 41), and stays evidence.

A safety officer sees every hashed field of a report's history entry but its actor.
Under chain format 1 that let them guess (user id, name) pairs against the hash and
unmask the reporter; format 2 hashes a salted commitment to the actor instead. Here
the officer tries that attack against everything they can read of a hazard, with every
candidate identity and every 64-hex string they can find as a possible salt: nothing
confirms a guess. Old (format 1) chains still verify, and their hashes are withheld
from those who may not see the reporter."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from hazard_ledger.cli import cli
from hazard_ledger.db import Database
from hazard_ledger.enums import HazardState, ReportChannel
from hazard_ledger.hazards import chain
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard, HazardEvent
from hazard_ledger.migrations import upgrade
from hazard_ledger.organisations.models import User
from hazard_ledger.security import Passwords
from tests.clock import service_now
from tests.conftest import FAST_HASHING, PASSWORD, new_database
from tests.factories import SHANGHAI, make_hazard, plan
from tests.test_evidence_chain import verify  # noqa: F401 (a fixture)
from tests.test_work_pages import login

PUBLIC_NAME, PUBLIC_PHONE = "王小明", "13912345678"
HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


# ---- format 1, written as the code before revision 0007 wrote it -------------------

def v1_canonical(code: str, seq: int, event: str, from_state, to_state, actor_user_id, actor_label, at: datetime,
                 data: dict) -> str:
    """A frozen copy of chain.canonical as it was before format 2."""
    return json.dumps({"hazard": code, "seq": seq, "event": event, "from_state": from_state, "to_state": to_state,
                       "actor_user_id": actor_user_id, "actor_label": actor_label,
                       "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds"), "data": data},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def v1_link(prev: str, code: str, *entry) -> str:
    return hashlib.sha256((prev + v1_canonical(code, *entry)).encode()).hexdigest()


def insert_v1_hazard(connection, enterprise_id: int, code: str, *, reporter_user_id=None, reporter_name=None,
                     officer: tuple[int, str] | None = None) -> int:
    """A hazard with a format 1 chain, its rows written with the columns the old code knew
    (the new ones take their defaults: format 1, no salt). With `officer`, assigned by them."""
    at = service_now().replace(microsecond=123456) - timedelta(days=3)
    report_data = {"location": "旧车间", "description": "旧的隐患", "category": None, "channel":
                   "login" if reporter_user_id else "public_form", "anonymous": False}
    label = reporter_name
    entries = [(1, "report", None, "reported", reporter_user_id, label, at, report_data)]
    if officer:
        assign_data = {**plan(), "deadline": (at + timedelta(days=30)).date().isoformat(), "responsible_user_id": None}
        entries.append((2, "assign", "reported", "assigned", officer[0], officer[1], at + timedelta(hours=1), assign_data))
    hashes, prev = [], chain.GENESIS
    for entry in entries:
        prev = v1_link(prev, code, *entry)
        hashes.append(prev)
    # the old code's columns only, through the tables' own types
    hazard_id = connection.execute(Hazard.__table__.insert().returning(Hazard.__table__.c.id), {
        "code": code, "enterprise_id": enterprise_id, "state": HazardState(entries[-1][3]), "location": "旧车间",
        "description": "旧的隐患", "reported_at": at, "channel": ReportChannel(report_data["channel"]),
        "anonymous": False, "reporter_user_id": reporter_user_id,
        "reporter_name": None if reporter_user_id else reporter_name, "chain_head": prev,
        "history_length": len(entries), "version": len(entries), "measure": entries[-1][7].get("measure"),
        "deadline": (at + timedelta(days=30)).date() if officer else None,
    }).scalar_one()
    old_columns = ("hazard_id", "seq", "event", "from_state", "to_state", "actor_user_id", "actor_label", "at", "data",
                   "prev_hash", "hash")
    connection.execute(HazardEvent.__table__.insert(), [
        dict(zip(old_columns, (hazard_id, *entry, prev_hash, hash_)))
        for entry, prev_hash, hash_ in zip(entries, [chain.GENESIS, *hashes], hashes)])
    return hazard_id


# ---- what the officer can read, and the attack ---------------------------------------

def officer_visible_text(world, app, hazard_id: int) -> str:
    """Every representation of the hazard a safety officer of its enterprise can read."""
    parts = [json.dumps(world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json, ensure_ascii=False),
             json.dumps(world.get("officer_a1", "/api/v1/hazards?limit=200").json, ensure_ascii=False),
             json.dumps(world.get("officer_a1", "/api/v1/notifications").json, ensure_ascii=False)]
    for fmt in ("csv", "xlsx"):
        parts.append(file_text(world.get("officer_a1", f"/api/v1/hazards/export?format={fmt}")))
    pages = app.test_client()
    login(pages, "officer_a1")
    for path in (f"/hazards/{hazard_id}", f"/hazards/{hazard_id}/print", "/ledger", "/inbox"):
        answer = pages.get(path)
        assert answer.status_code == 200, path
        parts.append(answer.text)
    for fmt in ("csv", "xlsx"):
        parts.append(file_text(pages.get(f"/ledger/export?format={fmt}")))
    return "\n".join(parts)


def file_text(answer) -> str:
    assert answer.status_code == 200
    data = answer.data
    answer.close()
    if data.startswith(b"PK"):  # .xlsx: every XML part of the workbook
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "\n".join(book.read(name).decode() for name in book.namelist())
    return data.decode("utf-8-sig")


def candidates(database) -> list[tuple[int | None, str | None]]:
    """The identities an officer would try: every user by id and name, and the names
    people give on the public form."""
    with database.unit_of_work(write=False) as session:
        users = [(user.id, user.display_name) for user in session.scalars(select(User))]
    return users + [(None, PUBLIC_NAME), (None, "Worker A1"), (None, None)]


def confirmed_guesses(database, hazard_id: int, visible: str, salts=None) -> list:
    """The identities the visible text confirms as the actor of the report: the attacker
    knows every field of the entries but the salt (all of them are shown but the actor),
    and tries as the salt every 64-hex string it can read, and none."""
    seen = set(HEX64.findall(visible))
    with database.unit_of_work(write=False) as session:
        hazard = session.get(Hazard, hazard_id)
        report = session.scalar(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id, HazardEvent.seq == 1))
        session.expunge_all()
    confirmed = []
    for actor_user_id, actor_label in candidates(database):
        for salt in (salts if salts is not None else [None, "", *seen]):
            guess = HazardEvent(seq=report.seq, event=report.event, from_state=report.from_state,
                                to_state=report.to_state, actor_user_id=actor_user_id, actor_label=actor_label,
                                at=report.at, data=report.data, chain_format=report.chain_format, actor_salt=salt)
            if chain.link(chain.GENESIS, hazard.code, guess) in seen:
                confirmed.append((actor_user_id, actor_label))
    return confirmed


def salt_of(database, hazard_id: int) -> str:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(HazardEvent.actor_salt).where(HazardEvent.hazard_id == hazard_id,
                                                                   HazardEvent.seq == 1))


@pytest.mark.parametrize("how", ["logged-in", "public-form-named", "anonymous"])
def test_no_officer_visible_representation_confirms_a_guessed_reporter(world, app, client, database, how):
    if how == "logged-in":
        hazard_id = make_hazard(database, world, state="assigned")
        truth = (world.user["worker_a1"], "Worker A1")
    else:
        form = {"location": "一号车间", "description": "配电箱门未关闭", "name": PUBLIC_NAME, "phone": PUBLIC_PHONE,
                "anonymous": how == "anonymous"}
        answer = client.post(f"/api/v1/public/enterprises/{world.report_token['A1']}/hazards", json=form)
        assert answer.status_code == 201
        with database.unit_of_work(write=False) as session:
            hazard_id = session.scalar(select(Hazard.id).where(Hazard.code == answer.json["code"]))
        assert world.fire("officer_a1", hazard_id, "assign", **plan()).status_code == 200
        truth = (None, None) if how == "anonymous" else (None, PUBLIC_NAME)
    visible = officer_visible_text(world, app, hazard_id)
    detail = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json
    assert detail["reporter"] is None and detail["history"][0]["actor"] is None
    assert all(entry["hash"] for entry in detail["history"]) and detail["chain_head"] in visible  # hashes are shown
    for secret in (PUBLIC_NAME, PUBLIC_PHONE, salt_of(database, hazard_id)):
        assert secret not in visible
    assert confirmed_guesses(database, hazard_id, visible) == []
    # the attack itself is sound: with the salt, which only the database holds, the guess confirms
    assert truth in confirmed_guesses(database, hazard_id, visible, salts=[salt_of(database, hazard_id)])


def test_a_format_1_chain_hides_its_hashes_from_those_who_may_not_see_the_reporter(world, app, database):
    with database.engine.begin() as connection:
        named = insert_v1_hazard(connection, world.enterprise["A1"], "YH-2020-000001",
                                 reporter_user_id=world.user["worker_a1"], reporter_name="Worker A1",
                                 officer=(world.user["officer_a1"], "Officer A1"))
        public = insert_v1_hazard(connection, world.enterprise["A1"], "YH-2020-000002", reporter_name=PUBLIC_NAME)
        anonymous = insert_v1_hazard(connection, world.enterprise["A1"], "YH-2020-000003")
    for hazard_id, truth in ((named, (world.user["worker_a1"], "Worker A1")), (public, (None, PUBLIC_NAME))):
        visible = officer_visible_text(world, app, hazard_id)
        detail = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json
        assert detail["chain_head"] is None and [entry["hash"] for entry in detail["history"]] == [None] * len(
            detail["history"])
        assert confirmed_guesses(database, hazard_id, visible) == []
        # an inspector may see the reporter, and the chain's hashes (which do confirm a guess)
        inspector = world.get("inspector_a", f"/api/v1/hazards/{hazard_id}").json
        assert inspector["chain_head"] and inspector["reporter"]
        assert truth in confirmed_guesses(database, hazard_id, json.dumps(inspector, ensure_ascii=False))
    # the reporter sees their own; an anonymous format 1 report hashed no one: shown to all
    assert world.get("worker_a1", f"/api/v1/hazards/{named}").json["chain_head"]
    assert world.get("officer_a1", f"/api/v1/hazards/{anonymous}").json["chain_head"]


# ---- audit verify: both formats, and tampering in each --------------------------------

@pytest.fixture
def both_formats(world, database, clock):
    """Format 1 chains written by the old code, one of them continued in format 2 since,
    and format 2 chains."""
    with database.engine.begin() as connection:
        old = insert_v1_hazard(connection, world.enterprise["A1"], "YH-2020-000001",
                               reporter_user_id=world.user["worker_a1"], reporter_name="Worker A1",
                               officer=(world.user["officer_a1"], "Officer A1"))
        continued = insert_v1_hazard(connection, world.enterprise["A1"], "YH-2020-000002", reporter_name=PUBLIC_NAME)
    with database.unit_of_work() as session:
        officer = session.get(User, world.user["officer_a1"])
        ops.transition(session, officer, continued, "assign", plan(), version=None, now=clock(),
                       zone=SHANGHAI)
    new = make_hazard(database, world, state="closed")
    with database.unit_of_work(write=False) as session:
        formats = {hazard_id: [e.chain_format for e in session.scalars(
            select(HazardEvent).where(HazardEvent.hazard_id == hazard_id).order_by(HazardEvent.seq))]
            for hazard_id in (old, continued, new)}
    assert formats == {old: [1, 1], continued: [1, 2], new: [2, 2, 2, 2]}
    return {"old": old, "continued": continued, "new": new}


def test_audit_verify_passes_on_both_formats(both_formats, verify, database):
    result = verify()
    assert result.exit_code == 0, result.output
    with database.unit_of_work(write=False) as session:
        assert list(chain.verify_all(session)) == []


@pytest.mark.parametrize("hazard, tampering", [
    ("old", "UPDATE hazard_events SET actor_label = '别人' WHERE hazard_id = :id AND seq = 1"),
    ("old", "UPDATE hazard_events SET actor_user_id = NULL WHERE hazard_id = :id AND seq = 1"),
    ("old", "UPDATE hazard_events SET chain_format = 2 WHERE hazard_id = :id AND seq = 1"),
    ("continued", "UPDATE hazard_events SET actor_label = '别人' WHERE hazard_id = :id AND seq = 1"),
    ("continued", "UPDATE hazard_events SET actor_label = '别人' WHERE hazard_id = :id AND seq = 2"),
    ("new", "UPDATE hazard_events SET actor_label = '别人' WHERE hazard_id = :id AND seq = 1"),
    ("new", "UPDATE hazard_events SET actor_user_id = NULL WHERE hazard_id = :id AND seq = 1"),
    ("new", "UPDATE hazard_events SET actor_salt = :salt WHERE hazard_id = :id AND seq = 1"),
    ("new", "UPDATE hazard_events SET actor_salt = NULL WHERE hazard_id = :id AND seq = 2"),
    ("new", "UPDATE hazard_events SET chain_format = 1 WHERE hazard_id = :id AND seq = 3"),
    ("new", "UPDATE hazard_events SET chain_format = 3 WHERE hazard_id = :id AND seq = 3"),
    ("new", "UPDATE hazard_events SET data = '{\"note\": \"改过的\"}' WHERE hazard_id = :id AND seq = 2"),
])
def test_audit_verify_finds_tampering_in_either_format(both_formats, verify, database, hazard, tampering):
    hazard_id = both_formats[hazard]
    with database.engine.begin() as connection:
        assert connection.execute(text(tampering), {"id": hazard_id, "salt": "0" * 64}).rowcount == 1
        code = connection.execute(text("SELECT code FROM hazards WHERE id = :id"), {"id": hazard_id}).scalar_one()
    result = verify()
    assert result.exit_code != 0
    assert code in result.output and result.output.count("BROKEN") == 1


# ---- the migration --------------------------------------------------------------------

@pytest.fixture
def database_at_0006(backend, tmp_path):
    """A new, empty database migrated to the revision before format 2."""
    with new_database(backend, tmp_path, "0006") as url:
        yield url


def insert_0006_organisation(connection, now: datetime) -> tuple[int, int]:
    """A jurisdiction, an enterprise and its officer in the columns of revision 0006 (the
    models have grown since: they cannot write to a database that old)."""
    def insert(statement: str, **values) -> int:
        connection.execute(text(statement), {"at": now, **values})
        return connection.execute(text("SELECT max(id) FROM " + statement.split()[2])).scalar_one()

    root = insert("INSERT INTO jurisdictions (code, name, parent_id, created_at) VALUES ('CITY', '市总工会', NULL, :at)")
    enterprise = insert("INSERT INTO enterprises (code, name, jurisdiction_id, high_risk, unionized, industry, report_token,"
                        " created_at) VALUES ('E1', '企业E1', :root, false, true, NULL, 'token-e1', :at)", root=root)
    officer = insert("INSERT INTO users (username, password_hash, role, enterprise_id, jurisdiction_id, name, email, active,"
                     " created_at) VALUES ('officer', :hash, 'safety_officer', :enterprise, NULL, 'Officer', NULL, true, :at)",
                     enterprise=enterprise, hash=Passwords(*FAST_HASHING.values()).hash(PASSWORD))
    return enterprise, officer


def test_the_migration_keeps_old_chains_verifiable(database_at_0006, clock):
    database = Database(database_at_0006)
    now = clock()
    try:
        with database.engine.begin() as connection:  # the rows as the schema of 0006 knew them
            enterprise_id, officer_id = insert_0006_organisation(connection, now)
        with database.engine.begin() as connection:
            old = insert_v1_hazard(connection, enterprise_id, "YH-2020-000001", reporter_name=PUBLIC_NAME,
                                   officer=(officer_id, "Officer"))
        upgrade(database_at_0006)
        with database.unit_of_work(write=False) as session:
            assert [(e.chain_format, e.actor_salt) for e in session.scalars(
                select(HazardEvent).where(HazardEvent.hazard_id == old))] == [(1, None), (1, None)]
        with database.unit_of_work() as session:  # a report after the migration is format 2
            ops.report_as_user(session, session.get(User, officer_id), ops.Report("新车间", "新的隐患"), None, now, SHANGHAI)
        result = CliRunner().invoke(cli, ["audit", "verify"], env={"HAZARD_LEDGER_DATABASE_URL": database_at_0006})
        assert result.exit_code == 0, result.output
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE hazard_events SET actor_label = '别人' WHERE hazard_id = :id AND seq = 2"),
                               {"id": old})
        result = CliRunner().invoke(cli, ["audit", "verify"], env={"HAZARD_LEDGER_DATABASE_URL": database_at_0006})
        assert result.exit_code != 0 and "YH-2020-000001" in result.output
    finally:
        database.dispose()


def test_new_entries_are_format_2_with_a_salt_of_their_own(world, database):
    hazard_id = make_hazard(database, world, state="closed")
    with database.unit_of_work(write=False) as session:
        entries = list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id)))
        assert {e.chain_format for e in entries} == {chain.FORMAT} == {2}
        salts = [e.actor_salt for e in entries]
        assert len(set(salts)) == len(salts) and all(re.fullmatch(r"[0-9a-f]{64}", s) for s in salts)
        hazard = session.get(Hazard, hazard_id)
        assert hazard.state is HazardState.CLOSED and hazard.channel is ReportChannel.LOGIN
