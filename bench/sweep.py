"""The overdue sweep on N hazards with 1 % overdue, against the raw indexed SELECT plus
the INSERT of the same notifications. Also counts the hazards the sweep loads: it must
load only those that are due.

    python -m bench.sweep --hazards 1000000
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, text

from bench.common import postgres_schema, timed
from bench.seed import seed
from hazard_ledger.config import load_settings
from hazard_ledger.db import Database
from hazard_ledger.hazards.models import Hazard
from hazard_ledger.notifications.reminders import sweep_reminders

RAW = """
WITH due AS (
    SELECT h.id, h.enterprise_id, 'overdue' AS kind FROM hazards h
    WHERE h.state = 'assigned' AND h.deadline < :today
    UNION ALL
    SELECT h.id, h.enterprise_id, 'due_soon' FROM hazards h
    WHERE h.state = 'assigned' AND h.deadline >= :today AND h.deadline <= :horizon
)
INSERT INTO notifications (kind, recipient_user_id, hazard_id, message, dedup_key, created_at)
SELECT due.kind, u.id, due.id, '【整改逾期】' || due.id, 'raw:' || due.kind || ':' || due.id || ':' || u.id, :now
FROM due JOIN users u ON u.enterprise_id = due.enterprise_id AND u.role = 'safety_officer'
ON CONFLICT (dedup_key) DO NOTHING
"""


def run(hazards: int) -> list[str]:
    with postgres_schema() as url:
        seed(url, hazards)
        settings = load_settings({"database": {"url": url}}, environ={})
        database = Database(url)
        now = datetime.now(timezone.utc)
        today = now.astimezone(settings.timezone).date()
        loaded = []
        event.listen(Hazard, "load", lambda target, context: loaded.append(target.id))
        with database.engine.connect() as connection:
            due = connection.execute(text(
                "SELECT count(*) FROM hazards WHERE state = 'assigned' AND (deadline < current_date + 4 "
                "OR last_progress_at < now() - interval '7 days') OR (state = 'reported' AND reported_at < now() - interval '1 day')"
            )).scalar()
        with database.unit_of_work() as session:
            seconds, result = timed(sweep_reminders, session, now, settings)
        with database.engine.begin() as connection:
            connection.execute(text("DELETE FROM notifications WHERE dedup_key LIKE 'raw:%'"))
            raw_seconds, raw = timed(connection.execute, text(RAW), {"today": today, "now": now,
                                                                     "horizon": today + timedelta(days=3)})
        database.dispose()
    return [
        f"sweep: {hazards:,} hazards, {due:,} due; the sweep loaded {len(loaded):,} hazards and sent {result}",
        f"sweep: {seconds:.3f} s; baseline (raw indexed SELECT + INSERT of the same notices, {raw.rowcount:,} rows) "
        f"{raw_seconds:.3f} s; ratio {seconds / raw_seconds:.1f}x",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    args = parser.parse_args()
    for line in run(args.hazards):
        print(line)


if __name__ == "__main__":
    main()
