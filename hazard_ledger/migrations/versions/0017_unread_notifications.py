"""the unread notifications indexed by recipient: the header's badge counts them on every page

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0017"
down_revision: Union[str, Sequence[str], None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNREAD = sa.text("read_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_notifications_unread", "notifications", ["recipient_user_id"], unique=False,
                    postgresql_where=UNREAD, sqlite_where=UNREAD)


def downgrade() -> None:
    op.drop_index("ix_notifications_unread", table_name="notifications", postgresql_where=UNREAD, sqlite_where=UNREAD)
