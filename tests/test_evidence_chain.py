"""The history is evidence: any edit of it in the database is found by `audit verify`."""


import pytest
from click.testing import CliRunner
from sqlalchemy import text

from hazard_ledger.cli import cli
from hazard_ledger.hazards.models import HazardCodeCounter
from tests.factories import make_hazard


@pytest.fixture
def verify(database_url):
    def run():
        return CliRunner().invoke(cli, ["audit", "verify"], env={"HAZARD_LEDGER_DATABASE_URL": database_url})
    return run


@pytest.fixture
def ledger(world, database):
    return [make_hazard(database, world, state=state) for state in ("reported", "assigned", "closed", "rejected")]


def code_of(database, hazard_id: int) -> str:
    with database.unit_of_work(write=False) as session:
        return session.execute(text("SELECT code FROM hazards WHERE id = :id"), {"id": hazard_id}).scalar_one()


def test_an_untouched_ledger_verifies(ledger, verify):
    result = verify()
    assert result.exit_code == 0, result.output
    assert "every hazard chain verifies" in result.output


@pytest.mark.parametrize("tampering", [
    "UPDATE hazard_events SET data = '{\"note\": \"改过的\"}' WHERE hazard_id = :id AND seq = 2",
    "UPDATE hazard_events SET actor_label = '别人' WHERE hazard_id = :id AND seq = 1",
    "UPDATE hazard_events SET event = 'close' WHERE hazard_id = :id AND seq = 3",
    "UPDATE hazard_events SET to_state = 'closed' WHERE hazard_id = :id AND seq = 2",
    "UPDATE hazard_events SET at = at + INTERVAL '1 day' WHERE hazard_id = :id AND seq = 2",
    "DELETE FROM hazard_events WHERE hazard_id = :id AND seq = 4",
    "DELETE FROM hazard_events WHERE hazard_id = :id AND seq = 2",
    "UPDATE hazard_events SET seq = seq + 10 WHERE hazard_id = :id AND seq = 4",
])
def test_any_edit_breaks_the_chain_and_names_the_hazard(ledger, verify, database, backend, tampering):
    if "INTERVAL" in tampering and backend == "sqlite":
        tampering = "UPDATE hazard_events SET at = '2020-01-01 00:00:00.000000' WHERE hazard_id = :id AND seq = 2"
    closed = ledger[2]
    with database.engine.begin() as connection:
        assert connection.execute(text(tampering), {"id": closed}).rowcount == 1
    result = verify()
    assert result.exit_code != 0
    assert code_of(database, closed) in result.output
    assert result.output.count("BROKEN") == 1  # the other hazards still verify


def test_codes_keep_counting_past_a_million_and_still_verify(world, database, verify, clock):
    year = clock.today().year
    with database.unit_of_work() as session:
        session.add(HazardCodeCounter(year=year, last_value=999_998))
    codes = [world.post("worker_a1", "/api/v1/hazards", json={"location": "车间", "description": "漏油"}).json["code"]
             for _ in range(2)]
    assert codes == [f"YH-{year}-999999", f"YH-{year}-1000000"]
    result = verify()
    assert result.exit_code == 0, result.output
