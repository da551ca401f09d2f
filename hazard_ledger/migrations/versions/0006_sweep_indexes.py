"""partial indexes for the sweep's quiet spells and untriaged reports (issue 8)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = (
    ("ix_hazards_assigned_last_progress_at", "last_progress_at", "state = 'assigned'"),
    ("ix_hazards_reported_reported_at", "reported_at", "state = 'reported'"),
)


def upgrade() -> None:
    for name, column, where in INDEXES:
        op.create_index(name, "hazards", [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade() -> None:
    for name, _, _ in INDEXES:
        op.drop_index(name, table_name="hazards")
