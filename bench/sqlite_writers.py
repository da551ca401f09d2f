"""SQLite under 20 concurrent writers through the API: zero "database is locked". The
baseline is one raw sqlite3 connection inserting the same rows.

    python -m bench.sqlite_writers --writers 20 --reports 50
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time

from bench.seed import BENCH_PASSWORD, seed
from hazard_ledger import create_app


def run(writers: int, reports: int) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/writers.sqlite3"
        seed(url, 100, enterprises=writers)
        app = create_app({"database": {"url": url}, "uploads": {"dir": folder}})
        statuses: list[int] = []
        lock = threading.Lock()
        tokens = {}
        client = app.test_client()
        for n in range(1, writers + 1):
            tokens[n] = client.post("/api/v1/auth/token", json={"username": f"officer{n}",
                                                                 "password": BENCH_PASSWORD}).json["token"]
        start = threading.Barrier(writers)

        def write(n: int) -> None:
            mine = app.test_client()
            start.wait()
            for i in range(reports):
                answer = mine.post("/api/v1/hazards", headers={"Authorization": f"Bearer {tokens[n]}"},
                                   json={"location": f"{i}号车间", "description": "并发写入测试"})
                with lock:
                    statuses.append(answer.status_code)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(1, writers + 1)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        app.extensions["hazard_ledger.db"].dispose()
        raw = sqlite3.connect(f"{folder}/writers.sqlite3")
        raw_started = time.perf_counter()
        for i in range(writers * reports):
            raw.execute("INSERT INTO hazard_events (hazard_id, seq, event, to_state, at, data, prev_hash, hash) "
                        "VALUES (1, ?, 'bench', 'reported', '2026-01-01', '{}', 'x', 'y')", (1000 + i,))
            raw.commit()
        raw_seconds = time.perf_counter() - raw_started
        raw.close()
    failures = [s for s in statuses if s != 201]
    total = writers * reports
    return [f"sqlite writers: {writers} threads x {reports} reports: {len(failures)} failures "
            f"({sorted(set(failures)) or 'none'}), {total / seconds:,.0f} reports/s; "
            f"raw sqlite3 single-connection commits {total / raw_seconds:,.0f}/s; ratio {seconds / raw_seconds:.1f}x"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--reports", type=int, default=50)
    args = parser.parse_args()
    for line in run(args.writers, args.reports):
        print(line)


if __name__ == "__main__":
    main()
