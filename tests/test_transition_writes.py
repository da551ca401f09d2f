"""How a transition writes (hazards/operations.py): whichever way its rows go (one
statement on PostgreSQL, a flush on SQLite), the session is left as the database is,
nothing is written twice, and the effects declared for the event follow it."""

import pytest
from sqlalchemy import event, func, select

from hazard_ledger import effects
from hazard_ledger.hazards import chain
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard, HazardEvent
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations.models import User
from hazard_ledger.rewards.models import Award
from tests.clock import service_now
from tests.factories import SHANGHAI, make_hazard, plan


def test_the_session_holds_what_was_written_and_flushes_nothing_more(database, world):
    hazard_id = make_hazard(database, world, state="assigned")
    now = service_now()
    with database.unit_of_work() as session:
        officer = session.get(User, world.user["officer_a1"])
        hazard = ops.transition(session, officer, hazard_id, "progress", {"note": "一"}, version=None, now=now,
                                zone=SHANGHAI)
        statements = []

        def heard(_connection, _cursor, statement, *_rest):
            statements.append(statement)

        event.listen(database.engine, "before_cursor_execute", heard)
        try:
            session.flush()
        finally:
            event.remove(database.engine, "before_cursor_execute", heard)
        assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
        version = hazard.version
        # a second event in the same unit of work reads the version the first one wrote
        ops.transition(session, officer, hazard_id, "progress", {"note": "二"}, version=version, now=now,
                       zone=SHANGHAI)
        assert hazard.version == version + 1
    with database.unit_of_work(write=False) as session:
        stored = session.get(Hazard, hazard_id)
        assert stored.version == version + 1
        assert stored.history_length == session.scalar(
            select(func.count()).select_from(HazardEvent).where(HazardEvent.hazard_id == hazard_id)) == 4
        assert [entry.event for entry in stored.history] == ["report", "assign", "progress", "progress"]
        assert list(chain.verify_all(session)) == []


def test_assign_runs_its_declared_effects_in_the_same_transaction(database, world):
    assert [getattr(effect, "__name__", "") for effect in effects.effects_of("assign")][0] == "announce_assignment"
    assert effects.effects_of("progress") == ()
    hazard_id = make_hazard(database, world, state="assigned")
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.hazard_id == hazard_id, Notification.kind == "assigned")) == 1
        assert session.scalar(select(Award.status).where(Award.hazard_id == hazard_id)) == "proposed"


# ---- the API's transitions of events without effects: one statement on PostgreSQL ----------

def _writes_seen_from_another_connection(database, do) -> tuple[list[str], list[int]]:
    """Run `do()`; for each writing statement, the number of history entries another
    connection sees the moment it ends."""
    writes, seen = [], []

    def look(_connection, _cursor, statement, *_rest):
        if statement.lstrip().startswith(("INSERT", "UPDATE", "DELETE", "WITH")):
            writes.append(statement)
            with database.engine.connect() as other:
                seen.append(other.scalar(select(func.count()).select_from(HazardEvent)))

    event.listen(database.engine, "after_cursor_execute", look)
    try:
        do()
    finally:
        event.remove(database.engine, "after_cursor_execute", look)
    return writes, seen


def test_on_postgresql_an_event_without_effects_commits_as_its_one_statement_ends(world, database, backend):
    if backend != "postgresql":
        pytest.skip("SQLite writes a transition in a transaction of two statements")
    hazard_id = make_hazard(database, world, state="assigned")
    world.auth("officer_a1")
    with database.engine.connect() as other:
        entries = other.scalar(select(func.count()).select_from(HazardEvent))
    answers = []
    writes, seen = _writes_seen_from_another_connection(
        database, lambda: answers.append(world.fire("officer_a1", hazard_id, "progress", note="已采购配件")))
    assert answers[0].status_code == 200, answers[0].json
    assert len(writes) == 1 and seen == [entries + 1]  # visible before the view answered
    assert [h["event"] for h in answers[0].json["history"]][-1] == "progress"


def test_an_event_with_effects_is_one_transaction(world, database, backend):
    """`assign` also writes its message and its award: all of it commits together, so
    another connection sees nothing of it until the end."""
    if backend != "postgresql":
        pytest.skip("on SQLite every transition is one transaction")
    hazard_id = make_hazard(database, world)
    world.auth("officer_a1")
    with database.engine.connect() as other:
        entries = other.scalar(select(func.count()).select_from(HazardEvent))
    answers = []
    writes, seen = _writes_seen_from_another_connection(
        database, lambda: answers.append(world.fire("officer_a1", hazard_id, "assign", **plan())))
    assert answers[0].status_code == 200, answers[0].json
    assert len(writes) > 1 and set(seen) == {entries}


@pytest.mark.parametrize("with_version", [False, True], ids=["without-version", "with-version"])
def test_a_hazard_that_moves_under_the_statement(world, database, backend, with_version):
    """Without the row lock of a transaction, a transition whose hazard moved between its
    read and its write fires again on the fresh row (as the lock would have had it wait);
    one that named the version it saw is the 409, and writes nothing."""
    if backend != "postgresql":
        pytest.skip("only a session of one statement (PostgreSQL) reads without the row lock")
    hazard_id = make_hazard(database, world, state="assigned")
    world.auth("officer_a1")
    version = world.get("officer_a1", f"/api/v1/hazards/{hazard_id}").json["version"]
    moved = []

    def someone_else_first(_connection, _cursor, statement, *_rest):
        if statement.lstrip().startswith("WITH moved") and not moved:
            moved.append(True)
            with database.unit_of_work() as session:
                officer = session.get(User, world.user["officer_a1"])
                ops.transition(session, officer, hazard_id, "progress", {"note": "抢先"}, version=None,
                               now=service_now(), zone=SHANGHAI)

    event.listen(database.engine, "before_cursor_execute", someone_else_first)
    try:
        fields = {"version": version} if with_version else {}
        answer = world.fire("officer_a1", hazard_id, "progress", note="后到", **fields)
    finally:
        event.remove(database.engine, "before_cursor_execute", someone_else_first)
    with database.unit_of_work(write=False) as session:
        notes = [entry.data.get("note") for entry in session.get(Hazard, hazard_id).history[2:]]
        assert list(chain.verify_all(session)) == []
    if with_version:
        assert answer.status_code == 409 and answer.json["error"]["code"] == "conflict"
        assert notes == ["抢先"]
    else:
        assert answer.status_code == 200, answer.json
        assert notes == ["抢先", "后到"] and answer.json["version"] == version + 2
