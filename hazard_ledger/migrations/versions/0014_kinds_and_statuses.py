"""kinds and statuses as enums: CHECK constraints on Award.status, Delivery.status,
Webhook.kind and Notification.kind (issue 16, item 4)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Frozen copies of the vocabularies as of this revision (rewards/models.py,
# notifications/kinds.py): a migration gives the same answer whatever the code becomes.
# Each column keeps its type and width; only the CHECK is new.
CHECKS = {
    "awards": ("ck_awards_award_status", "status",
               ("proposed", "approved", "paid", "rejected", "lapsed")),
    "deliveries": ("ck_deliveries_delivery_status", "status", ("pending", "sending", "sent", "failed")),
    "webhooks": ("ck_webhooks_webhook_kind", "kind", ("generic", "dingtalk", "wecom")),
    "notifications": ("ck_notifications_notification_kind", "kind",
                      ("assigned", "due_soon", "overdue", "escalation", "stale_progress", "untriaged",
                       "training_due", "drill_due", "reward", "statistics_due", "inspection_missed",
                       "notice_issued", "notice_replied", "notice_due", "notice_overdue")),
}
# SQLite takes a CHECK only by rebuilding the table (batch mode), and dropping the old
# notifications and webhooks tables under the foreign keys (which stay on: PRAGMA
# foreign_keys cannot change inside the migration's transaction) would cascade into
# their deliveries. So the deliveries are kept aside while their parents are rebuilt,
# and put back once the deliveries table is rebuilt too: same rows, same ids.
PARENTS_FIRST = ("notifications", "webhooks", "awards", "deliveries")
KEPT_DELIVERIES = "_deliveries_kept_0014"


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _sqlite_rebuild(change) -> None:
    op.execute(f"CREATE TEMPORARY TABLE {KEPT_DELIVERIES} AS SELECT * FROM deliveries")
    for table in PARENTS_FIRST:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            change(batch_op, table)
    op.execute(f"INSERT INTO deliveries SELECT * FROM {KEPT_DELIVERIES}")
    op.execute(f"DROP TABLE {KEPT_DELIVERIES}")


def upgrade() -> None:
    def add(batch_op, table):
        name, column, values = CHECKS[table]
        batch_op.create_check_constraint(op.f(name), sa.text(_condition(column, values)))

    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(add)
        return
    for table, (name, column, values) in CHECKS.items():
        op.create_check_constraint(op.f(name), table, sa.text(_condition(column, values)))


def downgrade() -> None:
    def drop(batch_op, table):
        batch_op.drop_constraint(op.f(CHECKS[table][0]), type_="check")

    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(drop)
        return
    for table, (name, _column, _values) in CHECKS.items():
        op.drop_constraint(op.f(name), table, type_="check")
