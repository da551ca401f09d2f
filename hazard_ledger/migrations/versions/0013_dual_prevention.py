"""dual prevention: risk points, inspection plans and inspections; a hazard's source (issue 13)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('risk_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('place', 'equipment', 'activity', name='risk_point_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('dangers', sa.JSON(), nullable=False),
    sa.Column('controls', sa.JSON(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('method', sa.Enum('lec', 'matrix', name='risk_method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('l', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('e', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('c', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('s', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('score', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('level', sa.Enum('major', 'high', 'general', 'low', name='risk_level', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('tier', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_risk_points_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_points')),
    sa.UniqueConstraint('enterprise_id', 'name', 'location', name='uq_risk_points_enterprise_name_location')
    )
    with op.batch_alter_table('risk_points', schema=None) as batch_op:
        batch_op.create_index('ix_risk_points_enterprise_level', ['enterprise_id', 'level'], unique=False)

    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Enum('daily', 'weekly', 'monthly', 'quarterly', name='inspection_frequency', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_inspection_plans_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_inspection_plans_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_inspection_plans_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans'))
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plans_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_plans_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('inspection_plan_points',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_plan_points_plan_id_inspection_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_inspection_plan_points_risk_point_id_risk_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'risk_point_id', name=op.f('pk_inspection_plan_points'))
    )
    with op.batch_alter_table('inspection_plan_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plan_points_risk_point_id'), ['risk_point_id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('due', 'done', 'missed', name='inspection_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_user_id', sa.Integer(), nullable=True),
    sa.Column('missed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_inspections_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['done_by_user_id'], ['users.id'], name=op.f('fk_inspections_done_by_user_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_inspections_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspections_plan_id_inspection_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_inspections_risk_point_id_risk_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('plan_id', 'risk_point_id', 'period_start', name='uq_inspections_plan_point_period')
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_assignee_state', ['assignee_user_id', 'state'], unique=False)
        batch_op.create_index('ix_inspections_due_period_end', ['period_end'], unique=False, postgresql_where=sa.text("state = 'due'"), sqlite_where=sa.text("state = 'due'"))
        batch_op.create_index('ix_inspections_enterprise_state', ['enterprise_id', 'state'], unique=False)
        batch_op.create_index('ix_inspections_risk_point_state', ['risk_point_id', 'state'], unique=False)

    # ADD COLUMN with the reference inline: SQLite takes it as it is. Batch mode would
    # rebuild the ledger's biggest table, and dropping the old copy with foreign keys on
    # would cascade to its history.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column('hazards', sa.Column('source', sa.String(length=12), nullable=True))
    for column, table in (('risk_point_id', 'risk_points'), ('inspection_id', 'inspections')):
        constraint = f'fk_hazards_{column}_{table}'
        if sqlite:
            op.execute(f'ALTER TABLE hazards ADD COLUMN {column} INTEGER CONSTRAINT {constraint} REFERENCES {table} (id)')
        else:
            op.add_column('hazards', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(constraint), 'hazards', table, [column], ['id'])
        op.create_index(op.f(f'ix_hazards_{column}'), 'hazards', [column], unique=False)
    op.add_column('hazards', sa.Column('check_index', sa.Integer(), nullable=True))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, table in (('risk_point_id', 'risk_points'), ('inspection_id', 'inspections')):
        op.drop_index(op.f(f'ix_hazards_{column}'), table_name='hazards')
        if not sqlite:  # SQLite drops a column's inline reference with the column
            op.drop_constraint(op.f(f'fk_hazards_{column}_{table}'), 'hazards', type_='foreignkey')
    for column in ('check_index', 'inspection_id', 'risk_point_id', 'source'):
        if sqlite:  # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a rebuild of the table
            op.execute(f'ALTER TABLE hazards DROP COLUMN {column}')
        else:
            op.drop_column('hazards', column)

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_risk_point_state')
        batch_op.drop_index('ix_inspections_enterprise_state')
        batch_op.drop_index('ix_inspections_due_period_end', postgresql_where=sa.text("state = 'due'"), sqlite_where=sa.text("state = 'due'"))
        batch_op.drop_index('ix_inspections_assignee_state')

    op.drop_table('inspections')
    with op.batch_alter_table('inspection_plan_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plan_points_risk_point_id'))

    op.drop_table('inspection_plan_points')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plans_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_plans_assignee_user_id'))

    op.drop_table('inspection_plans')
    with op.batch_alter_table('risk_points', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_points_enterprise_level')

    op.drop_table('risk_points')
