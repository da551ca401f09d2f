"""The `inspections` job for one day: N enterprises × 50 risk points, each enterprise with
a daily plan naming all of them, so one run writes N × 50 inspections. Against the
baseline of one raw INSERT … SELECT … ON CONFLICT DO NOTHING of the same rows, written by
hand, in the same run on the same data (goal: the job within 2× of it). Both run once to
warm up, then five times rolled back; the medians are compared. Then, for the record, the
next day's run, when every one of those inspections was missed: it writes the new day's
rows, marks the old ones missed and queues a notice to each enterprise's safety officer.

    python -m bench.inspections --enterprises 1000
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from bench.common import postgres_available, postgres_schema, timed
from bench.seed import seed
from bench.sweep import RUNS, median_of_rolled_back_runs
from hazard_ledger.config import load_settings
from hazard_ledger.db import Database
from hazard_ledger.prevention.models import InspectionPlan, InspectionPlanPoint, RiskPoint
from hazard_ledger.prevention.operations import run_inspections

POINTS = 50
BATCH = 10_000

# The baseline: the same rows, by one statement written for a daily plan alone (no CASE
# over the frequencies, the period bound as two dates)
RAW = """
INSERT INTO inspections (plan_id, risk_point_id, enterprise_id, assignee_user_id, period_start, period_end, state,
                         created_at)
SELECT p.id, pp.risk_point_id, p.enterprise_id, p.assignee_user_id, :today, :today, 'due', :now
FROM inspection_plans p JOIN inspection_plan_points pp ON pp.plan_id = p.id
WHERE p.active
ON CONFLICT (plan_id, risk_point_id, period_start) DO NOTHING
"""


def load_register(database: Database, enterprises: int, now: datetime) -> None:
    """50 risk points an enterprise and one daily plan naming them all, assigned to its officer."""
    with database.engine.begin() as connection:
        points = [{"id": e * POINTS + n + 1, "enterprise_id": e + 1, "name": f"风险点{n}", "kind": "equipment",
                   "location": f"{n % 5}号车间", "dangers": ["机械伤害"], "controls": ["防护罩完好"],
                   "checks": ["防护罩是否完好", "急停按钮是否有效"], "method": "lec", "l": 3, "e": 6, "c": 7,
                   "s": None, "score": 126, "level": "general", "tier": "team", "created_at": now, "updated_at": now}
                  for e in range(enterprises) for n in range(POINTS)]
        for start in range(0, len(points), BATCH):
            connection.execute(insert(RiskPoint), points[start:start + BATCH])
        connection.execute(insert(InspectionPlan), [
            {"id": e, "enterprise_id": e, "frequency": "daily", "assignee_user_id": e, "active": True,
             "created_by_user_id": e, "created_at": now} for e in range(1, enterprises + 1)])
        links = [{"plan_id": point["enterprise_id"], "risk_point_id": point["id"]} for point in points]
        for start in range(0, len(links), BATCH):
            connection.execute(insert(InspectionPlanPoint), links[start:start + BATCH])
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))


def measure(url: str, enterprises: int, label: str) -> list[str]:
    seed(url, 0, enterprises=enterprises)
    settings = load_settings({"database": {"url": url}}, environ={})
    database = Database(url)
    # just after midnight in the configured zone, as the scheduler runs it
    now = datetime(2026, 6, 1, 16, 5, tzinfo=timezone.utc)
    today = now.astimezone(settings.timezone).date()
    load_register(database, enterprises, now)
    seconds, result = median_of_rolled_back_runs(database, lambda session: run_inspections(session, now, settings))
    raw_seconds, raw = median_of_rolled_back_runs(database, lambda session: session.connection().execute(
        text(RAW), {"today": today, "now": now}).rowcount)
    # the next day, after a day in which nobody inspected anything
    with database.unit_of_work() as session:
        run_inspections(session, now, settings)
    with database.session_factory() as session:
        next_seconds, next_day = timed(run_inspections, session, now + timedelta(days=1), settings)
        session.rollback()
    database.dispose()
    return [
        f"inspections ({label}): {enterprises:,} enterprises x {POINTS} risk points, daily plans; the job wrote "
        f"{result.created:,} inspections in {seconds:.3f} s (median of {RUNS}); baseline (one raw INSERT … SELECT of "
        f"the same {raw:,} rows) {raw_seconds:.3f} s; ratio {seconds / raw_seconds:.2f}x",
        f"inspections ({label}): the next day, all missed: {next_day} in {next_seconds:.3f} s (one run)",
    ]


def run(enterprises: int) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as directory:
        lines += measure(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", enterprises, "SQLite")
    if postgres_available():
        with postgres_schema() as url:
            lines += measure(url, enterprises, "PostgreSQL")
    else:
        lines.append("inspections: no PostgreSQL at HAZARD_LEDGER_BENCH_DATABASE_URL; PostgreSQL skipped")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=1000)
    for line in run(parser.parse_args().enterprises):
        print(line)


if __name__ == "__main__":
    main()
