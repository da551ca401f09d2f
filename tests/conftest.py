"""Fixtures: one migrated database per run and per backend (SQLite always, PostgreSQL
when HAZARD_LEDGER_TEST_DATABASE_URL names one), emptied before each test; the app
built by create_app on it; a small world of organisations and people."""

from __future__ import annotations

import io
import os
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hazard_ledger import create_app
from hazard_ledger.config import load_settings
from hazard_ledger.db import Database
from hazard_ledger.enums import Role
from hazard_ledger.migrations import upgrade
from hazard_ledger.models import metadata
from hazard_ledger.runtime import Runtime
from hazard_ledger.security import Passwords
from tests import clock as suite_clock
from tests import factories
from tests.factories import PASSWORD

PG_URL = os.environ.get("HAZARD_LEDGER_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
# Argon2 at production cost takes ~100 ms a hash; the tests check the production
# parameters once (test_security) and hash cheaply everywhere else.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}


def _postgres_schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextmanager
def new_database(backend: str, directory: Path, revision: str = "head") -> Iterator[str]:
    """The URL of a new database migrated to `revision`: a SQLite file in `directory`, or
    a PostgreSQL schema of its own, dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'test.sqlite3'}"
        upgrade(url, revision)
        yield url
        return
    schema = f"hl_test_{secrets.token_hex(4)}"
    admin = create_engine(_postgres_schema_url(PG_URL, "public"))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_schema_url(PG_URL, schema)
    try:
        upgrade(url, revision)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A freshly migrated database for the whole run, on each backend."""
    with new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


def empty_database(database: Database) -> None:
    """Each test starts from the migrated schema with no rows and ids counting from 1.
    DELETE, not TRUNCATE: PostgreSQL's TRUNCATE of every table gives each a new file and
    took ~0.6 s a test; deleting the few rows a test leaves and rewinding the sequences
    takes ~0.02 s. (No table has a DELETE trigger, so DELETE empties what TRUNCATE did.)"""
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with database.engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
        if database.is_postgresql:
            sequences = connection.execute(text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
            )).scalars().all()
            if sequences:
                connection.execute(text("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in sequences)))
        elif _has_sqlite_sequence(connection):
            connection.execute(text("DELETE FROM sqlite_sequence"))


def _has_sqlite_sequence(connection) -> bool:
    return connection.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() is not None


@pytest.fixture
def backend(database_url) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def settings_override(database_url, tmp_path):
    return {
        "app": {"secret_key": "the-test-suite-signing-key-0123456789", "base_url": "http://hazard-ledger.test"},
        "database": {"url": database_url},
        "uploads": {"dir": str(tmp_path / "uploads"), "max_bytes": 256 * 1024},
        "passwords": FAST_HASHING,
    }


@pytest.fixture
def settings(settings_override):
    return load_settings(settings_override, environ={})


@pytest.fixture
def app(settings, clock):
    app = create_app(settings=settings)
    app.config.update(TESTING=True, CLOCK=clock)
    database: Database = app.extensions["hazard_ledger.db"]
    empty_database(database)
    yield app
    database.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def database(app) -> Database:
    return app.extensions["hazard_ledger.db"]


@pytest.fixture
def runtime(app, settings, clock) -> Runtime:
    return Runtime(settings=settings, database=app.extensions["hazard_ledger.db"],
                   passwords=app.extensions["hazard_ledger.passwords"], clock=clock)


@pytest.fixture(autouse=True)
def clock(request, monkeypatch) -> Iterator[suite_clock.FrozenClock]:
    """The one clock of a test (see tests/clock.py): frozen at a fixed instant, at the
    `frozen_at` marker's, or the machine's for a `wall_clock` test. The app, the `runtime`
    fixture and every Runtime a command builds in this process read it."""
    if request.node.get_closest_marker("wall_clock"):
        chosen = suite_clock.WallClock()
    else:
        marker = request.node.get_closest_marker("frozen_at")
        chosen = suite_clock.frozen(*(marker.args if marker else ()))
        built_by_commands = Runtime.from_settings.__func__

        def reading_the_suite_clock(cls, settings=None):
            runtime = built_by_commands(cls, settings)
            runtime.clock = chosen
            return runtime

        monkeypatch.setattr(Runtime, "from_settings", classmethod(reading_the_suite_clock))
    suite_clock.install(chosen)
    yield chosen
    suite_clock.install(None)


@pytest.fixture
def now(clock) -> datetime:
    return clock()


@dataclass
class World:
    """Two county unions under a city union; enterprises A1, A2 (county A), B1 (county B);
    a user of each role. Ids by name: world.enterprise["A1"], world.user["officer_a1"]."""

    jurisdiction: dict[str, int] = field(default_factory=dict)
    enterprise: dict[str, int] = field(default_factory=dict)
    report_token: dict[str, str] = field(default_factory=dict)
    user: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    client: object = None

    def auth(self, username: str) -> dict[str, str]:
        """A bearer token, signed in again once the (suite's) clock has passed its hours."""
        token, expires_at = self.tokens.get(username, (None, None))
        if token is None or self.client.application.config["CLOCK"]() >= expires_at:
            response = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.json
            token = response.json["token"]
            self.tokens[username] = token, datetime.fromisoformat(response.json["expires_at"])
        return {"Authorization": f"Bearer {token}"}

    def get(self, username: str, path: str, **kwargs):
        return self.client.get(path, headers=self.auth(username), **kwargs)

    def post(self, username: str, path: str, **kwargs):
        return self.client.post(path, headers=self.auth(username), **kwargs)

    def report(self, username: str, enterprise: str | None = None, **fields) -> dict:
        body = {"location": "一号车间", "description": "配电箱门未关闭", **fields}
        if enterprise is not None:
            body["enterprise_id"] = self.enterprise[enterprise]
        response = self.post(username, "/api/v1/hazards", json=body)
        assert response.status_code == 201, response.json
        return response.json

    def fire(self, username: str, hazard_id: int, event: str, **fields):
        return self.post(username, f"/api/v1/hazards/{hazard_id}/transitions", json={"event": event, **fields})


USERS = [
    ("admin", Role.ADMIN, None),
    ("inspector_city", Role.INSPECTOR, "CITY"),
    ("inspector_a", Role.INSPECTOR, "A"),
    ("inspector_b", Role.INSPECTOR, "B"),
    ("officer_a1", Role.SAFETY_OFFICER, "A1"),
    ("officer_a2", Role.SAFETY_OFFICER, "A2"),
    ("officer_b1", Role.SAFETY_OFFICER, "B1"),
    ("worker_a1", Role.WORKER, "A1"),
    ("worker2_a1", Role.WORKER, "A1"),
    ("worker_b1", Role.WORKER, "B1"),
]


@pytest.fixture
def world(app, client, database) -> World:
    passwords: Passwords = app.extensions["hazard_ledger.passwords"]
    built = World(client=client)
    with database.unit_of_work() as session:
        factories.jurisdiction(session, built, "CITY", "市总工会")
        factories.jurisdiction(session, built, "A", "甲区总工会", parent="CITY")
        factories.jurisdiction(session, built, "B", "乙区总工会", parent="CITY")
        for code, county, high_risk in (("A1", "A", True), ("A2", "A", False), ("B1", "B", False)):
            factories.enterprise(session, built, code, county, high_risk=high_risk)
        for username, role, scope in USERS:
            factories.user(session, built, passwords, username, role, scope)
    return built


# the smallest valid images of each accepted type
def _tiny_image(kind: str, mode: str = "RGB") -> bytes:
    """A real image that decodes in full: uploads are decoded and re-encoded."""
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (2, 2), "#c81e1e").save(out, kind)
    return out.getvalue()


PNG = _tiny_image("PNG", "RGBA")
JPEG = _tiny_image("JPEG")
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def assign_fields(**overrides) -> dict:
    fields = {
        "grade": "general", "measure": "更换破损绝缘垫",
        "deadline": (suite_clock.current().today() + timedelta(days=10)).isoformat(),
        "responsible_unit": "设备科", "responsible_person": "张三", "protective_measures": "设置警示标识",
    }
    fields.update(overrides)
    return fields


def pytest_collection_modifyitems(config, items):
    # keep the slow suites last, so a quick failure shows first
    items.sort(key=lambda item: 1 if item.get_closest_marker("slow") else 0)


ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session, exitstatus):
    """With HAZARD_LEDGER_TEST_DATABASE_URL set, a run in which a PostgreSQL test was
    skipped, or none passed, is a failure, not a quiet SQLite-only success."""
    if not PG_URL or exitstatus != 0 or session.config.option.collectonly:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = reporter.stats.get("passed", []) if reporter else []
    ran_on_postgresql = [report for report in passed if _on_postgresql(report.nodeid)]
    database_tests = [item for item in session.items if _on_postgresql(item.nodeid)]
    skipped = [report.nodeid for report in (reporter.stats.get("skipped", []) if reporter else [])
               if _on_postgresql(report.nodeid)]
    if (database_tests and not ran_on_postgresql) or skipped:
        if reporter:
            reporter.write_line("HAZARD_LEDGER_TEST_DATABASE_URL is set but PostgreSQL tests did not run: "
                                + (", ".join(skipped[:5]) or "none passed"), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _on_postgresql(nodeid: str) -> bool:
    """Whether a test ran with the postgresql parameter (not merely names PostgreSQL)."""
    return re.search(r"\[(?:[^\]]*-)?postgresql(?:-[^\]]*)?\]$", nodeid) is not None
