"""`python -m bench` (make bench): every benchmark at a small scale, in a few minutes;
`--full` (make bench-full) at full scale: 1,000,000 hazards, 100,000 transitions."""

import argparse
import os
import platform
import time

from bench import export_memory, inspections, ledger_list, pages, report_writes, sqlite_writers, sweep, transitions
from bench.common import postgres_available
from bench.seed import seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="full scale (slow)")
    full = parser.parse_args().full
    print(f"hazard-ledger benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, Python {platform.python_version()}, "
          f"{'full' if full else 'small'} scale")
    for line in export_memory.run(*((10_000, 100_000) if full else (2_000, 20_000))):
        print(line)
    for line in sqlite_writers.run(20, 50 if full else 10):
        print(line)
    for line in inspections.run(1000 if full else 200):  # SQLite, and PostgreSQL when there is one
        print(line)
    if not postgres_available():
        print("no PostgreSQL at HAZARD_LEDGER_BENCH_DATABASE_URL: the PostgreSQL benchmarks are skipped")
        return
    from bench.common import postgres_schema

    with postgres_schema() as url:
        count = 1_000_000 if full else 50_000
        print(f"seed: {count:,} hazards over 1,000 enterprises at {seed(url, count):,.0f} rows/s")
    for line in sweep.run(1_000_000 if full else 100_000):
        print(line)
    for line in ledger_list.run(1_000_000 if full else 100_000):
        print(line)
    for line in transitions.run(100_000 if full else 5_000):
        print(line)
    for line in report_writes.run(5_000 if full else 1_000, 16 if full else 8):
        print(line)
    if os.path.exists(pages.CHROMIUM):
        for line in pages.run(100_000 if full else 20_000, 20 if full else 5, enterprises=99):
            print(line)
    else:
        print(f"no Chromium at {pages.CHROMIUM}: the page benchmark is skipped (make browser installs it)")


if __name__ == "__main__":
    main()
