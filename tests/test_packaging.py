"""The installed command works from any directory (CONTRACT §3): the wheel carries the
defaults, the migrations and the templates, and nothing reads the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def run(*command, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


def test_the_wheel_installs_in_a_fresh_venv_and_runs_from_another_directory(tmp_path):
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the working tree
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "instance", "test-artifacts", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source), cwd=tmp_path)
    (wheel,) = wheels.glob("hazard_ledger-*.whl")

    environment = tmp_path / "venv"
    # the dependencies come from this environment (the machine may be offline); the
    # project itself only from its wheel
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(environment)
    python = environment / "bin" / "python"
    site = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
          .stdout.strip()) / "outer.pth").write_text(site + "\n")
    run(str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel), cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HAZARD_LEDGER_", "PYTHON"))}
    env["HAZARD_LEDGER_DATABASE_URL"] = f"sqlite:///{elsewhere / 'ledger.sqlite3'}"
    env["HAZARD_LEDGER_SECRET_KEY"] = "a-secret-key-for-the-packaging-test-0123456789"
    command = str(environment / "bin" / "hazard-ledger")
    # the wheel's own code, not the source tree's: the editable install is not on this path
    located = run(str(python), "-c", "import hazard_ledger; print(hazard_ledger.__file__)", cwd=elsewhere, env=env)
    assert str(environment) in located.stdout
    run(command, "db", "upgrade", cwd=elsewhere, env=env)
    first = run(command, "demo", cwd=elsewhere, env=env)
    assert "demo data loaded" in first.stdout
    again = run(command, "demo", cwd=elsewhere, env=env)
    assert "nothing changed" in again.stdout
    assert "reminders" in run(command, "jobs", "list", cwd=elsewhere, env=env).stdout
