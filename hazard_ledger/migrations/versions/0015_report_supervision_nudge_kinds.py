"""notification kinds for the pages: `reported` (a new report, to the enterprise's safety
officers), `supervised` (督办 by an inspector) and `nudged` (a reminder pressed on the ledger)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAME = "ck_notifications_notification_kind"
# frozen copies of notifications/kinds.py before and after this revision
BEFORE = ("assigned", "due_soon", "overdue", "escalation", "stale_progress", "untriaged", "training_due", "drill_due",
          "reward", "statistics_due", "inspection_missed", "notice_issued", "notice_replied", "notice_due",
          "notice_overdue")
AFTER = BEFORE + ("reported", "supervised", "nudged")
# SQLite changes a CHECK only by rebuilding the table, and dropping the old notifications
# table cascades into its deliveries (the foreign keys stay on inside the migration's
# transaction): they are kept aside and put back, same rows, same ids (as in 0014).
KEPT_DELIVERIES = "_deliveries_kept_0015"


def _condition(values: tuple[str, ...]) -> sa.TextClause:
    return sa.text(f"kind IN ({', '.join(repr(value) for value in values)})")


def _replace_check(values: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TEMPORARY TABLE {KEPT_DELIVERIES} AS SELECT * FROM deliveries "
                   "WHERE notification_id IS NOT NULL")
        with op.batch_alter_table("notifications", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f(NAME), type_="check")
            batch_op.create_check_constraint(op.f(NAME), _condition(values))
        op.execute(f"INSERT INTO deliveries SELECT * FROM {KEPT_DELIVERIES} "
                   "WHERE id NOT IN (SELECT id FROM deliveries)")
        op.execute(f"DROP TABLE {KEPT_DELIVERIES}")
        return
    op.drop_constraint(op.f(NAME), "notifications", type_="check")
    op.create_check_constraint(op.f(NAME), "notifications", _condition(values))


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    op.execute(f"DELETE FROM notifications WHERE kind IN {tuple(set(AFTER) - set(BEFORE))!r}")
    _replace_check(BEFORE)
