"""`hazard-ledger serve` runs a production server (gunicorn) and the scheduler beside it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.wall_clock]  # servers in other processes read the machine's clock


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_answers_with_gunicorn_and_starts_the_scheduler(database_url, app, tmp_path):
    port = free_port()
    env = {**os.environ, "HAZARD_LEDGER_DATABASE_URL": database_url, "HAZARD_LEDGER_UPLOAD_DIR": str(tmp_path)}
    env.pop("HAZARD_LEDGER_SECRET_KEY", None)
    log = tmp_path / "serve.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "hazard_ledger.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == b'{"status":"ok"}\n'
        assert b"openapi" in wait_for(f"http://127.0.0.1:{port}/api/v1/openapi.json")
        deadline = time.monotonic() + 30
        while "job reminders" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    assert "Starting gunicorn" in text
    assert "hazard_ledger.scheduler: job reminders" in text  # the scheduler process announced its jobs
    # no key configured: one was generated on this first start, said in one line, made once for all workers
    key_file = tmp_path / "instance" / "secret_key"
    assert [line for line in text.splitlines() if "secret key" in line] == [
        f"hazard-ledger: generated a secret key in {key_file}; it is kept for the next start "
        f"(set HAZARD_LEDGER_SECRET_KEY to use your own)"]
    assert len(key_file.read_text().strip()) >= 32
