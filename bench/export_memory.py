"""Peak memory of a ledger export: 10x the rows must not cost 10x the memory.

Each export runs in a fresh process on a seeded SQLite file. The figure is how far the
process's peak RSS (VmHWM) rises above its RSS just before the export starts (app,
openpyxl and the database connection already loaded). Baseline, in the same run: the
size of the rows themselves, what an export that kept them all would need at least.

    python -m bench.export_memory --small 10000 --large 100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
from datetime import date
from zoneinfo import ZoneInfo
from hazard_ledger.db import Database
from hazard_ledger.hazards.operations import HazardFilters
from hazard_ledger.paperwork.ledger_export import export_ledger
url, target, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
import openpyxl.cell, sqlalchemy
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
database = Database(url)
with database.unit_of_work(write=False) as session:
    session.execute(sqlalchemy.text("SELECT 1"))
before = status("VmRSS:")
started = time.perf_counter()
with database.unit_of_work(write=False) as session:
    export_ledger(session, None, HazardFilters(), target, target[target.rfind("."):], date.today(), ZoneInfo("Asia/Shanghai"))
print(json.dumps({"growth_kib": status("VmHWM:") - before, "seconds": time.perf_counter() - started,
                  "file_kib": __import__("os").path.getsize(target) // 1024}))
"""


def measure(url: str, target: Path, rows: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(target), str(rows)], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(small: int, large: int) -> list[str]:
    from bench.seed import seed

    lines = []
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for rows in (small, large):
            url = f"sqlite:///{folder}/export-{rows}.sqlite3"
            seed(url, rows, enterprises=100)
            for fmt in ("xlsx", "csv"):
                results[(rows, fmt)] = measure(url, Path(folder) / f"ledger-{rows}.{fmt}", rows)
        for fmt in ("xlsx", "csv"):
            s, l = results[(small, fmt)], results[(large, fmt)]
            baseline = results[(large, "csv")]["file_kib"]  # the rows' own size, as CSV text
            lines.append(
                f"export {fmt}: {small:,} rows +{s['growth_kib'] / 1024:.1f} MiB in {s['seconds']:.1f} s; "
                f"{large:,} rows +{l['growth_kib'] / 1024:.1f} MiB in {l['seconds']:.1f} s "
                f"({large / l['seconds']:,.0f} rows/s); growth ratio large/small "
                f"{l['growth_kib'] / max(s['growth_kib'], 1):.2f} for {large // small}x the rows; "
                f"vs holding the rows ({baseline / 1024:.1f} MiB): {l['growth_kib'] / max(baseline, 1):.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    for line in run(args.small, args.large):
        print(line)
    print(f"(took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
