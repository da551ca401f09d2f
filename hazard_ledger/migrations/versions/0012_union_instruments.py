"""the union's instruments: formal notices with their chains and number counters, campaigns
with enrolments, inspectors' scores and honours (issue: the union's own instruments)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('notice_number_counters',
    sa.Column('jurisdiction_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_notice_number_counters_jurisdiction_id_jurisdictions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('jurisdiction_id', 'year', name=op.f('pk_notice_number_counters'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('cha_bao_cu', 'ankang_cup', name='campaign_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('focus', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('scoring', sa.String(length=60), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_campaigns_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_campaigns_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_year_jurisdiction', ['year', 'jurisdiction_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reminder', 'opinion', 'recommendation', name='notice_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('state', sa.Enum('issued', 'replied', 'accepted', 'escalated', name='notice_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=True),
    sa.Column('escalated_from_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_user_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reply_working_days', sa.Integer(), nullable=False),
    sa.Column('reply_due_on', sa.Date(), nullable=False),
    sa.Column('calendar_estimated', sa.Boolean(), nullable=False),
    sa.Column('reply_text', sa.Text(), nullable=True),
    sa.Column('reply_measures', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chain_head', sa.String(length=64), nullable=False),
    sa.Column('history_length', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_notices_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['escalated_from_id'], ['notices.id'], name=op.f('fk_notices_escalated_from_id_notices')),
    sa.ForeignKeyConstraint(['issued_by_user_id'], ['users.id'], name=op.f('fk_notices_issued_by_user_id_users')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_notices_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('jurisdiction_id', 'year', 'serial', name='uq_notices_jurisdiction_year_serial')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_enterprise_state', ['enterprise_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_escalated_from_id'), ['escalated_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_jurisdiction_id'), ['jurisdiction_id'], unique=False)
        batch_op.create_index('ix_notices_state_reply_due_on', ['state', 'reply_due_on'], unique=False)

    op.create_table('campaign_enrollments',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_by_user_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_enrollments_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrolled_by_user_id'], ['users.id'], name=op.f('fk_campaign_enrollments_enrolled_by_user_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_campaign_enrollments_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'enterprise_id', name=op.f('pk_campaign_enrollments'))
    )
    with op.batch_alter_table('campaign_enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_enrollments_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('campaign_honours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_honours_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_campaign_honours_decided_by_user_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_campaign_honours_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_honours_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_honours'))
    )
    with op.batch_alter_table('campaign_honours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_honours_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('campaign_scores',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=40), nullable=False),
    sa.Column('points', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('scored_by_user_id', sa.Integer(), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_scores_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_campaign_scores_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scored_by_user_id'], ['users.id'], name=op.f('fk_campaign_scores_scored_by_user_id_users')),
    sa.PrimaryKeyConstraint('campaign_id', 'enterprise_id', 'item_key', name=op.f('pk_campaign_scores'))
    )
    op.create_table('notice_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_notice_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_events_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_events')),
    sa.UniqueConstraint('notice_id', 'seq', name='uq_notice_events_notice_seq')
    )
    op.create_table('notice_hazards',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_notice_hazards_hazard_id_hazards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_hazards_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notice_id', 'hazard_id', name=op.f('pk_notice_hazards'))
    )
    with op.batch_alter_table('notice_hazards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_hazards_hazard_id'), ['hazard_id'], unique=False)


def downgrade() -> None:
    for table in ("notice_hazards", "notice_events", "campaign_scores", "campaign_honours", "campaign_enrollments",
                  "notices", "campaigns", "notice_number_counters"):
        op.drop_table(table)
