"""the hash chain's format 2: the actor as a salted commitment (Trust issue, item 1)

Every entry written so far was hashed with its actor as it is (format 1); they keep
that format, and `audit verify` checks them as they are. Entries written from now on
are format 2 and carry the salt of their actor's commitment.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # the default marks every existing entry as format 1; new entries say their format
    op.add_column("hazard_events", sa.Column("chain_format", sa.SmallInteger(), server_default=sa.text("1"),
                                             nullable=False))
    op.add_column("hazard_events", sa.Column("actor_salt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # format 2 entries cannot be checked without these columns: refuse rather than
    # leave chains that no longer verify
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM hazard_events WHERE chain_format <> 1 LIMIT 1")).first():
        raise RuntimeError("hazard_events holds format 2 chain entries; downgrading would break their chains")
    with op.batch_alter_table("hazard_events") as batch:
        batch.drop_column("actor_salt")
        batch.drop_column("chain_format")
