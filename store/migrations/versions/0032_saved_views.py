"""saved views: a list's filter (and the inbox's columns) saved under a name, own or shared.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'saved_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('page', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('is_shared', sa.Boolean(), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_saved_views_page_owner', 'saved_views', ['page', 'owner_id'])


def downgrade() -> None:
    op.drop_index('ix_saved_views_page_owner', table_name='saved_views')
    op.drop_table('saved_views')
