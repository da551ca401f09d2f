"""Report writes: POST /api/v1/hazards through gunicorn (2 x cores + 1 workers) on
PostgreSQL, driven from loopback by keep-alive connections, against one psycopg
connection committing the same rows (code counter, hazard, history) per transaction.
The goal: at least 0.3 of the baseline.

The load comes from wrk (Debian's package; `make bench` installs it as root) when it is
there: on two cores, a load generator in Python takes a good part of a core from the
server it measures. Without wrk, a thread pool of http.client connections drives it.
The server and the baseline take turns, five rounds each and for as long each, so
that a machine (or a disk) that slows down for a while slows both; the ratio is the
median of the rounds'.

    python -m bench.report_writes --requests 5000 --concurrency 16
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

import psycopg
from sqlalchemy.engine import make_url

from bench.common import describe, postgres_schema
from bench.seed import BENCH_PASSWORD, seed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def drive(port: int, token: str, requests: int, concurrency: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    per_thread = requests // concurrency
    body = json.dumps({"location": "三号仓库", "description": "灭火器压力不足", "category": "消防安全"}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_thread):
            t0 = time.perf_counter()
            connection.request("POST", "/api/v1/hazards", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != 201:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(mine)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0], time.perf_counter() - started


def baseline(url: str, seconds: float) -> float:
    """Transactions per second of one psycopg connection, for about `seconds`: as long
    as the server's round, so that one slow moment of the disk weighs the same in both."""
    parsed = make_url(url)
    options = parsed.query.get("options")
    connection = psycopg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                 dbname=parsed.database, options=options)
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    count = 0
    while time.perf_counter() - started < seconds:
        count += 1
        with connection.transaction():
            number = connection.execute(
                "INSERT INTO hazard_code_counters (year, last_value) VALUES (2099, 1) ON CONFLICT (year) DO UPDATE "
                "SET last_value = hazard_code_counters.last_value + 1 RETURNING last_value").fetchone()[0]
            hazard_id = connection.execute(
                "INSERT INTO hazards (code, enterprise_id, state, location, description, category, reported_at, channel,"
                " anonymous, reporter_user_id, chain_head, history_length, version) VALUES (%s, 1, 'reported', %s, %s,"
                " %s, %s, 'login', false, 1, %s, 1, 1) RETURNING id",
                (f"YH-2099-{number:06d}", "三号仓库", "灭火器压力不足", "消防安全", now, "h" * 64)).fetchone()[0]
            connection.execute(
                "INSERT INTO hazard_events (hazard_id, seq, event, to_state, actor_user_id, at, data, prev_hash, hash) "
                "VALUES (%s, 1, 'report', 'reported', 1, %s, %s, %s, %s)",
                (hazard_id, now, json.dumps({"location": "三号仓库"}), "0" * 64, "h" * 64))
    seconds = time.perf_counter() - started
    connection.close()
    return count / seconds


# wrk's script: the report to POST, and the percentiles to print at the end
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[{"location": "三号仓库", "description": "灭火器压力不足", "category": "消防安全"}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
done = function(summary, latency, requests)
  io.write(string.format("percentiles %f %f %f %f\\n", latency:percentile(50), latency:percentile(95),
                         latency:percentile(99), latency.mean))
end
"""
ROUNDS = 5


def drive_wrk(port: int, token: str, seconds: float, concurrency: int) -> tuple[float, str, int]:
    """Answers requests/s, the latencies, and how many answers were not 2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        output = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:.0f}s", "-s", script.name,
                                 f"http://127.0.0.1:{port}/api/v1/hazards"], env={**os.environ, "BENCH_TOKEN": token},
                                capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p95, p99, mean = (float(v) / 1000 for v in re.search(r"percentiles (\S+) (\S+) (\S+) (\S+)", output).groups())
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, mean {mean:.2f} ms"
    return rate, latency, int(failures.group(1)) if failures else 0


def drive_python(port: int, token: str, requests: int, concurrency: int) -> tuple[float, str, int]:
    latencies, failures, seconds = drive(port, token, requests, concurrency)
    return len(latencies) / seconds, describe(latencies), failures


def run(requests: int, concurrency: int) -> list[str]:
    workers = 2 * multiprocessing.cpu_count() + 1
    use_wrk = shutil.which("wrk") is not None
    lines, ratios = [], []
    with postgres_schema() as url:
        seed(url, 1000, enterprises=10)
        port = free_port()
        env = {**os.environ, "HAZARD_LEDGER_DATABASE_URL": url}
        server = subprocess.Popen([sys.executable, "-m", "hazard_ledger.cli", "serve", "--no-scheduler", "--workers",
                                   str(workers), "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until_up(port)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/api/v1/auth/token", body=json.dumps(
                {"username": "officer1", "password": BENCH_PASSWORD}), headers={"Content-Type": "application/json"})
            token = json.loads(connection.getresponse().read())["token"]
            drive(port, token, min(200, requests), concurrency)  # warm-up
            for round_number in range(1, ROUNDS + 1):
                round_started = time.perf_counter()
                if use_wrk:  # about as long as the Python driver would take for the same requests
                    rate, latency, failures = drive_wrk(port, token, max(3.0, requests / 300), concurrency)
                else:
                    rate, latency, failures = drive_python(port, token, requests, concurrency)
                raw_rate = baseline(url, time.perf_counter() - round_started)
                ratios.append(rate / raw_rate)
                lines.append(f"report writes, round {round_number}: {rate:,.0f} req/s ({latency}; {failures} failures); "
                             f"baseline {raw_rate:,.0f} tx/s; ratio {rate / raw_rate:.2f}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    driver = "wrk" if use_wrk else "a Python thread pool (no wrk)"
    return [f"report writes: gunicorn {workers} workers, {concurrency} keep-alive clients from {driver}", *lines,
            f"report writes: median ratio {statistics.median(ratios):.2f} of one psycopg connection (goal >= 0.3)"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    for line in run(args.requests, args.concurrency):
        print(line)


if __name__ == "__main__":
    main()
