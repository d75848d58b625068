"""rule conditions (industry, score range, target reps) and rep shifts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 17:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assignment_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_industries', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('min_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rep_ids', sa.String(length=500), nullable=False, server_default=''))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_start', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shift_end', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('shift_end')
        batch_op.drop_column('shift_start')
    with op.batch_alter_table('assignment_rules', schema=None) as batch_op:
        batch_op.drop_column('rep_ids')
        batch_op.drop_column('max_score')
        batch_op.drop_column('min_score')
        batch_op.drop_column('match_industries')
