"""channel costs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 17:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import store.types


revision = '0007'
down_revision = '0005'  # lead: rebase onto 0006 at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_costs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=30), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('cost_cents', sa.BigInteger(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'month'),
    )


def downgrade() -> None:
    op.drop_table('channel_costs')
