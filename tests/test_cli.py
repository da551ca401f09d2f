"""The command line: one line per user error, never a traceback."""

import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hazard_ledger.cli import cli
from hazard_ledger.hazards.models import Hazard


@pytest.fixture
def cli_env(database_url, tmp_path, app):
    config = tmp_path / "fast.toml"
    config.write_text("[passwords]\nargon2_time_cost = 1\nargon2_memory_kib = 1024\nargon2_parallelism = 1\n",
                      encoding="utf-8")
    return {"HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_CONFIG": str(config),
            "HAZARD_LEDGER_UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def run(cli_env):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), env=cli_env, input=input, catch_exceptions=False)

    return invoke


def test_bootstrap_an_organisation(run):
    assert run("jurisdictions", "add", "LY", "临沂市总工会").exit_code == 0
    assert run("jurisdictions", "add", "LS", "兰山区总工会", "--parent", "LY").exit_code == 0
    result = run("enterprises", "add", "E1", "鲁南化工", "--jurisdiction", "LS", "--high-risk", "--industry", "化工")
    assert result.exit_code == 0, result.output
    assert "report token:" in result.output
    result = run("users", "add", "zhang", "--role", "safety_officer", "--enterprise", "E1", "--name", "张伟",
                 "--password-stdin", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    result = run("users", "add", "wang", "--role", "inspector", "--jurisdiction", "LS", "--password", "s3cret-pass")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, problem", [
    (["jurisdictions", "add", "LS", "兰山", "--parent", "NOPE"], "NOPE"),
    (["enterprises", "add", "E9", "x", "--jurisdiction", "NOPE"], "NOPE"),
    (["users", "add", "x", "--role", "worker", "--enterprise", "NOPE", "--password", "longenough"], "NOPE"),
    (["users", "add", "x", "--role", "worker", "--password", "longenough"], "enterprise_id"),
    (["users", "add", "x", "--role", "pope", "--password", "longenough"], "pope"),
    (["users", "add", "x", "--role", "admin"], "password"),
    (["jobs", "run", "nonsense"], "nonsense"),
    (["jobs", "run", "reminders", "--now", "yesterday-ish"], "--now"),
    (["serve", "--port", "99999"], "99999"),
])
def test_user_errors_are_one_line(run, args, problem):
    result = run(*args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert problem in lines[0]
    assert "Traceback" not in result.output


def test_duplicate_username_is_refused(run):
    assert run("users", "add", "root", "--role", "admin", "--password", "longenough").exit_code == 0
    result = run("users", "add", "root", "--role", "admin", "--password", "longenough")
    assert result.exit_code != 0
    assert "root" in result.output and len(result.output.strip().splitlines()) == 1


def test_demo_is_realistic_and_loads_once(run, database):
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "Demo#2026" in first.output
    with database.unit_of_work(write=False) as session:
        count = session.scalar(select(func.count(Hazard.id)))
        states = set(session.scalars(select(Hazard.state)))
        majors = session.scalar(select(func.count()).where(Hazard.grade == "major"))
    assert 25 <= count <= 40
    assert {s.value for s in states} == {"reported", "assigned", "rectified", "closed", "rejected"}
    assert majors == 1
    second = run("demo")
    assert second.exit_code == 0 and "nothing changed" in second.output
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count(Hazard.id))) == count
    assert run("audit", "verify").exit_code == 0


def test_demo_has_overdue_items_for_the_audit(run, client):
    assert run("demo").exit_code == 0
    token = client.post("/api/v1/auth/token", json={"username": "inspector", "password": "Demo#2026"}).json["token"]
    audit = client.get("/api/v1/audit/overdue", headers={"Authorization": f"Bearer {token}"}).json
    assert len(audit["items"]) >= 3
    assert any(item["grade"] == "major" for item in audit["items"])


def test_jobs_run_twice_for_the_same_instant_sends_nothing_new(run):
    run("demo")
    assert "reminders" in run("jobs", "list").output
    first = run("jobs", "run", "reminders", "--now", "2030-01-01T09:00:00+08:00")
    assert first.exit_code == 0 and "overdue" in first.output
    second = run("jobs", "run", "reminders", "--now", "2030-01-01T09:00:00+08:00")
    assert second.exit_code == 0 and "nothing new" in second.output


def test_the_installed_command_works_from_any_directory(cli_env, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "hazard_ledger.cli", "jobs", "list"], cwd=elsewhere,
                            env={**cli_env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "reminders" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "hazard_ledger.cli", "jobs", "list"], cwd=elsewhere,
                         env={**cli_env, "HAZARD_LEDGER_TIMEZONE": "Nowhere/Land"}, capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "HAZARD_LEDGER_TIMEZONE" in bad.stderr
