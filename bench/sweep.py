"""The overdue sweep on N hazards with 1 % overdue, against the raw indexed SELECT plus
the INSERT of the same notifications, composed by the server in one statement. Also
counts the hazard rows the sweep reads into Python: none but the due ones that go on by
e-mail or webhook (tests/test_deployment.py checks with EXPLAIN that each of its
statements reaches the hazards through an index). Both sides run once to warm up, then
five times rolled back; the medians are compared.

    python -m bench.sweep --hazards 1000000
"""

from __future__ import annotations

import argparse
import statistics
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from bench.common import postgres_schema, timed
from bench.seed import seed
from hazard_ledger.config import load_settings
from hazard_ledger.db import Database
from hazard_ledger.notifications.reminders import sweep_reminders

# The baseline: the same notices (kinds, recipients, text, dedup keys) composed and
# inserted by the server itself in one statement: what the database alone can do.
RAW = """
WITH due AS (
    SELECT h.id, h.code, h.location, h.deadline, h.enterprise_id, h.responsible_user_id, 'overdue' AS kind,
           '【整改逾期】' AS title, CAST(:today AS text) AS key,
           '，已逾期 ' || (CAST(:today AS date) - h.deadline) || ' 天，请立即整改或申请延期。' AS tail
    FROM hazards h WHERE h.state = 'assigned' AND h.deadline < :today
    UNION ALL
    SELECT h.id, h.code, h.location, h.deadline, h.enterprise_id, h.responsible_user_id, 'due_soon',
           '【整改即将到期】', CAST(h.deadline AS text),
           '，还剩 ' || (h.deadline - CAST(:today AS date)) || ' 天，请按期完成整改并记录。'
    FROM hazards h WHERE h.state = 'assigned' AND h.deadline >= :today AND h.deadline <= :horizon
), people AS (
    SELECT due.*, u.id AS user_id FROM due JOIN users u ON u.enterprise_id = due.enterprise_id
        AND u.role = 'safety_officer' AND u.active
    UNION
    SELECT due.*, due.responsible_user_id FROM due WHERE due.responsible_user_id IS NOT NULL
)
INSERT INTO notifications (kind, recipient_user_id, hazard_id, message, dedup_key, created_at)
SELECT p.kind, p.user_id, p.id,
       p.title || e.name || ' ' || p.code || '（' || p.location || '）' || :base || '/hazards/' || p.id
           || ' 整改时限 ' || p.deadline || p.tail,
       'raw:' || p.kind || ':' || p.id || ':' || p.key || ':' || p.user_id, :now
FROM people p JOIN enterprises e ON e.id = p.enterprise_id
ON CONFLICT (dedup_key) DO NOTHING
"""
RUNS = 5


def median_of_rolled_back_runs(database: Database, work) -> tuple[float, object]:
    """Time `work(session)` RUNS times after one warm-up, each run rolled back, so every
    run does the same work on the same data; answers the median time and the last result."""
    times, result = [], None
    for attempt in range(RUNS + 1):
        with database.session_factory() as session:
            seconds, result = timed(work, session)
            session.rollback()
        if attempt:
            times.append(seconds)
    return statistics.median(times), result


def run(hazards: int) -> list[str]:
    with postgres_schema() as url:
        seed(url, hazards)
        settings = load_settings({"database": {"url": url}}, environ={})
        database = Database(url)
        now = datetime.now(timezone.utc)
        today = now.astimezone(settings.timezone).date()
        with database.engine.connect() as connection:
            due = connection.execute(text(
                "SELECT count(*) FROM hazards WHERE state = 'assigned' AND (deadline < current_date + 4 "
                "OR last_progress_at < now() - interval '7 days') OR (state = 'reported' AND reported_at < now() - interval '1 day')"
            )).scalar()
        seconds, result = median_of_rolled_back_runs(database, lambda session: sweep_reminders(session, now, settings))
        parameters = {"today": today, "now": now, "horizon": today + timedelta(days=3),
                      "base": settings["app"]["base_url"].rstrip("/")}
        raw_seconds, raw = median_of_rolled_back_runs(
            database, lambda session: session.connection().execute(text(RAW), parameters).rowcount)
        database.dispose()
    return [
        f"sweep: {hazards:,} hazards, {due:,} due; sent {result}; hazard rows read into Python: {result.examined:,}",
        f"sweep: {seconds:.3f} s (median of {RUNS}); baseline (the same {raw:,} notices composed and inserted by one "
        f"INSERT … SELECT on the server) {raw_seconds:.3f} s; ratio {seconds / raw_seconds:.1f}x",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    args = parser.parse_args()
    for line in run(args.hazards):
        print(line)


if __name__ == "__main__":
    main()
