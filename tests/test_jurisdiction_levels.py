"""Jurisdiction levels (issue "Trust", item 12): the training-class duty of "county-level
or higher" unions follows each union's level, not its depth below our tree's root."""

import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from hazard_ledger.cli import cli
from hazard_ledger.migrations import upgrade
from hazard_ledger.organisations.levels import Level, level_from_code
from tests.conftest import PG_URL, _postgres_schema_url


@pytest.mark.parametrize("code, level", [
    ("370000", Level.PROVINCE), ("371300", Level.CITY), ("371302", Level.COUNTY), ("371308", Level.COUNTY),
    ("110101", Level.COUNTY), ("371302001", Level.TOWNSHIP), ("371302001000", Level.TOWNSHIP),
    ("CITY", None), ("LS", None), ("12345", None), ("000000", None), ("3713020", None), ("37-13-00", None),
])
def test_levels_from_gb_t_2260_codes(code, level):
    assert level_from_code(code) is level


def add(world, body: dict):
    return world.post("admin", "/api/v1/jurisdictions", json=body)


def test_a_district_under_a_province_rooted_tree_must_hold_its_class(world):
    province = add(world, {"code": "370000", "name": "山东省总工会"}).json
    city = add(world, {"code": "371300", "name": "临沂市总工会", "parent_id": province["id"]}).json
    district = add(world, {"code": "371302", "name": "兰山区总工会", "parent_id": city["id"]}).json
    street = add(world, {"code": "371302001", "name": "兰山街道工会", "parent_id": district["id"]}).json
    unnamed = add(world, {"code": "LS-PARK", "name": "兰山园区工会", "parent_id": district["id"]}).json
    assert [j["level"] for j in (province, city, district, street, unnamed)] == \
        ["province", "city", "county", "township", "township"]
    answer = world.get("admin", "/api/v1/compliance?year=2026").json
    by_code = {j["code"]: j for j in answer["jurisdictions"]}
    # 兰山区 is two levels below the root here, yet a district: it owes the class
    assert by_code["371302"]["compliant"] is False and by_code["371302"]["level"] == "county"
    assert by_code["371302001"]["compliant"] is True and by_code["LS-PARK"]["compliant"] is True
    assert by_code["370000"]["compliant"] is False and by_code["371300"]["compliant"] is False
    klass = {"jurisdiction_id": district["id"], "held_on": "2026-06-01", "topic": "职工安全大讲堂", "attendees": 120}
    assert world.post("admin", "/api/v1/training-classes", json=klass).status_code == 201
    answer = world.get("admin", "/api/v1/compliance?year=2026").json
    assert next(j for j in answer["jurisdictions"] if j["code"] == "371302")["compliant"] is True


def test_level_given_derived_exposed_and_checked(world):
    listed = {j["code"]: j["level"] for j in world.get("admin", "/api/v1/jurisdictions").json["items"]}
    assert listed == {"CITY": "city", "A": "county", "B": "county"}  # no codes: the root a city, one level below
    assert world.get("inspector_a", "/api/v1/jurisdictions").json["items"] == [
        {"id": world.jurisdiction["A"], "code": "A", "name": "甲区总工会", "parent_id": world.jurisdiction["CITY"],
         "level": "county"}]
    zone = add(world, {"code": "DEV", "name": "开发区工会", "parent_id": world.jurisdiction["CITY"], "level": "county"})
    assert zone.status_code == 201 and zone.json["level"] == "county"
    town = add(world, {"code": "A-T1", "name": "甲镇工会", "parent_id": world.jurisdiction["A"]})
    assert town.json["level"] == "township"
    bad = add(world, {"code": "X", "name": "x", "level": "galaxy"})
    assert bad.status_code == 422 and "level" in bad.json["error"]["fields"]
    higher = add(world, {"code": "370000", "name": "山东省总工会", "parent_id": world.jurisdiction["A"]})
    assert higher.status_code == 422 and "level" in higher.json["error"]["fields"]  # a province below a county


def test_the_command_line_takes_a_level(world, database_url):
    def run(*args):
        return CliRunner().invoke(cli, list(args), env={"HAZARD_LEDGER_DATABASE_URL": database_url})

    made = run("jurisdictions", "add", "HX", "河西新区工会", "--parent", "CITY", "--level", "county")
    assert made.exit_code == 0 and "county" in made.output, made.output
    derived = run("jurisdictions", "add", "371311", "罗庄区总工会", "--parent", "CITY")
    assert derived.exit_code == 0 and "county" in derived.output
    below = run("jurisdictions", "add", "HX-1", "河西一街道工会", "--parent", "HX")
    assert below.exit_code == 0 and "township" in below.output
    wrong = run("jurisdictions", "add", "Q", "q", "--level", "planet")
    assert wrong.exit_code != 0 and "Traceback" not in wrong.output
    levels = {j["code"]: j["level"] for j in world.get("admin", "/api/v1/jurisdictions").json["items"]}
    assert (levels["HX"], levels["371311"], levels["HX-1"]) == ("county", "county", "township")


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A database of its own with no schema, for watching one migration run."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'levels.sqlite3'}"
        return
    schema = f"hl_levels_{secrets.token_hex(4)}"
    admin = create_engine(_postgres_schema_url(PG_URL, "public"))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(PG_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_migration_backfills_levels_from_codes_else_from_depth(empty_database_url, clock):
    upgrade(empty_database_url, "0006")
    engine = create_engine(empty_database_url)
    now = clock()
    rows = [(1, "370000", None), (2, "371300", 1), (3, "371302", 2), (4, "371302001", 3), (5, "ZONE", 1),
            (6, "ZONE-1", 5), (7, "CITY", None), (8, "A", 7), (9, "A-1", 8), (10, "A-1-1", 9)]
    with engine.begin() as connection:
        for jid, code, parent in rows:
            connection.execute(text("INSERT INTO jurisdictions (id, code, name, parent_id, created_at) "
                                    "VALUES (:id, :code, :name, :parent, :at)"),
                               {"id": jid, "code": code, "name": code, "parent": parent, "at": now})
        connection.execute(text("INSERT INTO enterprises (code, name, jurisdiction_id, high_risk, unionized, "
                                "report_token, created_at) VALUES ('E', 'e', 3, false, true, 't', :at)"), {"at": now})
    engine.dispose()
    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.connect() as connection:
        levels = dict(connection.execute(text("SELECT code, level FROM jurisdictions")).all())
    engine.dispose()
    assert levels == {"370000": "province", "371300": "city", "371302": "county", "371302001": "township",
                      # no division code: by depth, as the duty was decided before levels
                      "ZONE": "county", "ZONE-1": "township", "CITY": "city", "A": "county", "A-1": "township",
                      "A-1-1": "township"}
