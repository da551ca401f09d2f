"""photo stages: each attachment's stage (the event it came with: report, progress,
rectify, close) and the seq of the history entry that chains its sha256 (issue 17, item 9)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A photo stored before this revision gets the stage of the state its hazard was in when
# it was uploaded (the newest history entry at or before that moment), as a photo sent
# on its own gets it from now on; "report" when no entry is that old. A frozen copy of
# hazards/attachments.py STAGE_OF_STATE. No entry chained such a photo: entry_seq stays
# empty, and `audit verify` checks its file against its name only.
STAGE_OF_STATE = {"reported": "report", "rejected": "report", "assigned": "progress", "rectified": "rectify",
                  "closed": "close"}
STATE_AT_UPLOAD = ("(SELECT e.to_state FROM hazard_events e WHERE e.hazard_id = attachments.hazard_id "
                   "AND e.at <= attachments.uploaded_at ORDER BY e.seq DESC LIMIT 1)")


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("entry_seq", sa.Integer(), nullable=True))
    cases = " ".join(f"WHEN '{state}' THEN '{stage}'" for state, stage in STAGE_OF_STATE.items())
    op.execute(f"UPDATE attachments SET stage = COALESCE(CASE {STATE_AT_UPLOAD} {cases} END, 'report')")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.alter_column("stage", existing_type=sa.String(length=12), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("entry_seq")
        batch_op.drop_column("stage")
