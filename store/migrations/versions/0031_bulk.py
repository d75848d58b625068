"""bulk edit: `bulk_batches`, one row per bulk edit of leads with each lead's values before it,
so the batch can be undone within 24 hours.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 21:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bulk_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.ForeignKeyConstraint(['undone_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_bulk_batches_actor_id', 'bulk_batches', ['actor_id'])
    op.create_index('ix_bulk_batches_created_at', 'bulk_batches', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_bulk_batches_created_at', table_name='bulk_batches')
    op.drop_index('ix_bulk_batches_actor_id', table_name='bulk_batches')
    op.drop_table('bulk_batches')
