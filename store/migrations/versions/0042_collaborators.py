"""collaborators: colleagues added to a lead, an opportunity or a customer (read or edit access).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 03:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'collaborators',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('access', sa.String(length=10), nullable=False),
        sa.Column('added_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('kind', 'record_id', 'user_id', name='uq_collaborators_record_user'),
    )
    op.create_index('ix_collaborators_user', 'collaborators', ['user_id', 'kind', 'record_id'])


def downgrade() -> None:
    op.drop_index('ix_collaborators_user', table_name='collaborators')
    op.drop_table('collaborators')
