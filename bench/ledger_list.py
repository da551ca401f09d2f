"""The ledger list with filters, the first page and a page deep in the cursor, against
the raw SQL of the same page. A deep page must cost what the first one costs.

    python -m bench.ledger_list --hazards 1000000
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.common import describe, postgres_schema
from bench.seed import seed
from hazard_ledger.db import Database
from hazard_ledger.enums import HazardState
from hazard_ledger.hazards.operations import HazardFilters, encode_cursor, list_hazards
from hazard_ledger.organisations.models import User

ZONE = ZoneInfo("Asia/Shanghai")
RAW = ("SELECT * FROM hazards WHERE enterprise_id = :e AND state = 'closed' AND id < :before "
       "ORDER BY id DESC LIMIT 51")


def run(hazards: int, repeats: int = 200) -> list[str]:
    lines = []
    with postgres_schema() as url:
        seed(url, hazards, enterprises=100)
        database = Database(url)
        today = datetime.now(timezone.utc).astimezone(ZONE).date()
        with database.unit_of_work(write=False) as session:
            admin = session.query(User).filter_by(username="bench-admin").one()
            deep_id = hazards // 10  # most rows of enterprise 7 lie above it: a page far down the cursor
        filters = HazardFilters(states=[HazardState.CLOSED], enterprise_id=7)
        results = {}
        for label, cursor, before in (("first page", None, 2**31 - 1), ("deep page", encode_cursor(deep_id), deep_id)):
            app, raw = [], []
            for _ in range(repeats):
                with database.unit_of_work(write=False) as session:
                    t0 = time.perf_counter()
                    items, _ = list_hazards(session, admin, filters, today, ZONE, limit=50, cursor=cursor)
                    app.append(time.perf_counter() - t0)
                with database.engine.connect() as connection:
                    t0 = time.perf_counter()
                    connection.execute(text(RAW), {"e": 7, "before": before}).all()
                    raw.append(time.perf_counter() - t0)
            results[label] = (sorted(app), sorted(raw))
            lines.append(f"list {label} (enterprise + state, 50 rows): {describe(app)}; raw SQL {describe(raw)}; "
                         f"ratio p50 {sorted(app)[len(app) // 2] / sorted(raw)[len(raw) // 2]:.1f}x")
        first, deep = results["first page"][0], results["deep page"][0]
        lines.append(f"list: deep page p50 / first page p50 = {deep[len(deep) // 2] / first[len(first) // 2]:.2f}")
        database.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    for line in run(parser.parse_args().hazards):
        print(line)


if __name__ == "__main__":
    main()
