"""How a transition writes (hazards/operations.py): whichever way its rows go (one
statement on PostgreSQL, a flush on SQLite), the session is left as the database is,
nothing is written twice, and the effects declared for the event follow it."""

from datetime import datetime, timezone

from sqlalchemy import event, func, select

from hazard_ledger import effects
from hazard_ledger.hazards import chain
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard, HazardEvent
from hazard_ledger.notifications.models import Notification
from hazard_ledger.organisations.models import User
from hazard_ledger.rewards.models import Award
from tests.helpers import SHANGHAI, make_hazard


def test_the_session_holds_what_was_written_and_flushes_nothing_more(database, world):
    hazard_id = make_hazard(database, world, state="assigned")
    now = datetime.now(timezone.utc)
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
