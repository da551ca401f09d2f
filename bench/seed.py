"""Bulk-load N hazards over many enterprises (Core executemany), with a valid report entry
in each hash chain, and print rows per second. Also used by the other benchmarks.

    python -m bench.seed --hazards 1000000 --url postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert

from hazard_ledger.db import Database
from hazard_ledger.hazards import chain
from hazard_ledger.hazards.models import Hazard, HazardCodeCounter, HazardEvent
from hazard_ledger.migrations import upgrade
from hazard_ledger.organisations.models import Enterprise, Jurisdiction, User
from hazard_ledger.security import Passwords

BENCH_PASSWORD = "bench-password-1"
STATES = ["reported"] * 5 + ["assigned"] * 20 + ["rectified"] * 10 + ["closed"] * 60 + ["rejected"] * 5
ASSIGNED_SHARE = STATES.count("assigned") / len(STATES)
BATCH = 5000


def seed(url: str, hazards: int, enterprises: int = 1000, overdue_share: float = 0.01, migrate: bool = True) -> float:
    """Load the rows; return rows per second."""
    if migrate:
        upgrade(url)
    database = Database(url)
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    today = now.date()
    started = time.perf_counter()
    password = Passwords(1, 1024, 1).hash(BENCH_PASSWORD)
    with database.engine.begin() as connection:
        connection.execute(insert(Jurisdiction), [{"id": 1, "code": "BENCH", "name": "基准市总工会", "level": "city",
                                                       "created_at": now}])
        connection.execute(insert(Enterprise), [
            {"id": i, "code": f"B{i:05d}", "name": f"基准企业{i}", "jurisdiction_id": 1, "high_risk": i % 10 == 0,
             "unionized": True, "report_token": f"bench-token-{i}", "created_at": now}
            for i in range(1, enterprises + 1)])
        # a safety officer per enterprise and one admin, so reminders have recipients
        connection.execute(insert(User), [
            {"id": i, "username": f"officer{i}", "password_hash": password, "role": "safety_officer",
             "enterprise_id": i, "active": True, "created_at": now} for i in range(1, enterprises + 1)]
            + [{"id": enterprises + 1, "username": "bench-admin", "password_hash": password, "role": "admin", "enterprise_id": None,
                "active": True, "created_at": now}])
    for start in range(0, hazards, BATCH):
        rows, events = [], []
        for n in range(start, min(start + BATCH, hazards)):
            state = STATES[n % len(STATES)]
            if state == "reported":  # reports are triaged within a day
                reported = now - timedelta(minutes=rng.randint(1, 1200))
            else:
                reported = now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
            code = f"YH-B-{n + 1:09d}"
            assigned = state != "reported" and state != "rejected"
            if state == "assigned":
                overdue = rng.random() < overdue_share / ASSIGNED_SHARE  # of all hazards, not of the assigned
                deadline = today - timedelta(days=rng.randint(1, 60)) if overdue else today + timedelta(days=rng.randint(1, 90))
            else:
                deadline = (reported.date() + timedelta(days=30)) if assigned else None
            entry = chain.first_entry(event="report", to_state=state, actor_user_id=None, actor_label="bench",
                                      at=reported, data={"location": "车间"})
            head = chain.link(chain.GENESIS, code, entry)
            rows.append({
                "id": n + 1, "code": code, "enterprise_id": n % enterprises + 1, "state": state,
                "grade": ("major" if n % 97 == 0 else "general") if assigned else None, "category": "设备设施",
                "location": f"{n % 50}号车间", "description": "基准隐患描述：配电箱门未关闭，内部积尘", "reported_at": reported,
                "channel": "login", "anonymous": False, "measure": "清理" if assigned else None, "deadline": deadline,
                "responsible_unit": "设备科" if assigned else None, "responsible_person": "张三" if assigned else None,
                "protective_measures": "警示" if assigned else None,
                # progress is noted weekly on open items
                "last_progress_at": (now - timedelta(hours=rng.randint(1, 150))) if assigned else None,
                "chain_head": head, "history_length": 1, "version": 1,
            })
            events.append({"hazard_id": n + 1, "seq": 1, "event": "report", "from_state": None, "to_state": state,
                           "actor_label": "bench", "at": reported, "data": {"location": "车间"}, "prev_hash": chain.GENESIS,
                           "hash": head, "chain_format": entry.chain_format, "actor_salt": entry.actor_salt})
        with database.engine.begin() as connection:
            connection.execute(insert(Hazard), rows)
            connection.execute(insert(HazardEvent), events)
    with database.engine.begin() as connection:
        connection.execute(insert(HazardCodeCounter), [{"year": date.today().year, "last_value": 0}])
        if database.is_postgresql:
            for table in ("jurisdictions", "enterprises", "users", "hazards", "hazard_events"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            connection.exec_driver_sql("ANALYZE")
    elapsed = time.perf_counter() - started
    database.dispose()
    return hazards / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    rate = seed(args.url, args.hazards, args.enterprises)
    print(f"seed: {args.hazards} hazards over {args.enterprises} enterprises at {rate:,.0f} rows/s")


if __name__ == "__main__":
    main()
