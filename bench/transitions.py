"""Transitions in process (read, fire, chain, write, commit) against a raw UPDATE + INSERT
of the same rows; and the RSS of a process firing many transitions, which must stay flat.

A `progress` note, as the API fires it: an event without effects is one statement on
PostgreSQL (`db.one_statement`). The same events in a transaction (the pages, an
Idempotency-Key, events with effects) are measured too, for comparison.

    python -m bench.transitions --count 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.common import postgres_schema
from bench.seed import seed
from hazard_ledger import effects
from hazard_ledger.db import Database
from hazard_ledger.hazards import operations as ops
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.organisations import operations as orgs

ZONE = ZoneInfo("Asia/Shanghai")


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def run(count: int) -> list[str]:
    lines = []
    with postgres_schema() as url:
        seed(url, max(2000, count // 20), enterprises=100)
        database = Database(url)
        with database.unit_of_work(write=False) as session:
            targets = list(session.execute(select(Hazard.id, Hazard.enterprise_id).where(Hazard.state == "assigned")))
        samples, rss = [], []
        one_statement = not effects.effects_of("progress")  # as the API decides (web/api/hazards.py)

        def fire(n: int, *, one_statement: bool) -> None:
            hazard_id, enterprise_id = targets[n % len(targets)]
            with database.unit_of_work(one_statement=one_statement) as session:
                # the enterprise's safety officer (same id in the seed), looked up as the API looks up its caller
                actor = orgs.user_by_id(session, enterprise_id)
                ops.transition(session, actor, hazard_id, "progress", {"note": f"进展 {n}"}, version=None,
                               now=datetime.now(timezone.utc), zone=ZONE)

        started, cpu_started = time.perf_counter(), time.process_time()
        for n in range(count):
            t0 = time.perf_counter()
            fire(n, one_statement=one_statement)
            samples.append(time.perf_counter() - t0)
            if n % max(1, count // 10) == 0:
                rss.append(round(rss_mib(), 1))
        app_seconds, app_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rss.append(round(rss_mib(), 1))
        started = time.perf_counter()
        for n in range(count):
            fire(n, one_statement=False)
        transaction_seconds = time.perf_counter() - started
        # baseline: the same rows, raw
        raw = database.engine.raw_connection()
        cursor = raw.cursor()
        started, cpu_started = time.perf_counter(), time.process_time()
        for n in range(count):
            hazard_id, _ = targets[n % len(targets)]
            cursor.execute("UPDATE hazards SET last_progress_at = now(), version = version + 1, history_length = "
                           "history_length + 1, chain_head = md5(random()::text) WHERE id = %s RETURNING history_length",
                           (hazard_id,))
            seq = cursor.fetchone()[0]
            cursor.execute("INSERT INTO hazard_events (hazard_id, seq, event, from_state, to_state, actor_user_id, "
                           "actor_label, at, data, prev_hash, hash) VALUES (%s, %s, 'progress', 'assigned', 'assigned', "
                           "NULL, 'raw', now(), %s, 'x', 'y')", (hazard_id, seq, json.dumps({"note": "raw"})))
            raw.commit()
        raw_seconds, raw_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        raw.close()
        database.dispose()
    samples.sort()
    lines.append(f"transitions: {count:,} in process at {count / app_seconds:,.0f}/s "
                 f"(p50 {samples[len(samples) // 2] * 1000:.2f} ms, p95 {samples[int(len(samples) * .95)] * 1000:.2f} ms); "
                 f"raw UPDATE + INSERT {count / raw_seconds:,.0f}/s; ratio {app_seconds / raw_seconds:.1f}x the raw time")
    # the CPU this process spends (Python, SQLAlchemy, psycopg), which the machine's other
    # load and the database's wake-ups bend less than the wall-clock times
    lines.append(f"CPU in this process per transition: {app_cpu / count * 1000:.2f} ms; "
                 f"per raw UPDATE + INSERT {raw_cpu / count * 1000:.2f} ms")
    lines.append(f"transitions in a transaction (pages, Idempotency-Key, events with effects): "
                 f"{count / transaction_seconds:,.0f}/s; ratio {transaction_seconds / raw_seconds:.1f}x the raw time")
    lines.append(f"memory: RSS while firing (MiB, every {max(1, count // 10):,}): {rss}; growth after the first tenth "
                 f"{rss[-1] - rss[1]:+.1f} MiB; peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    for line in run(parser.parse_args().count):
        print(line)


if __name__ == "__main__":
    main()
