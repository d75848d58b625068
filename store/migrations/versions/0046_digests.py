"""digests: one row per user, kind and period (sent once), and each user's digest settings.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07 07:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0046'
down_revision = '0045'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('own_lines', sa.JSON(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=True),
        sa.Column('sent_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'kind', 'day', name='uq_digests_user_kind_day'),
    )
    op.create_index('ix_digests_user_sent', 'digests', ['user_id', 'sent_at'])
    op.create_table(
        'digest_prefs',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=True),
        sa.Column('channels', sa.JSON(), nullable=True),
        sa.Column('send_time', sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('digest_prefs')
    op.drop_index('ix_digests_user_sent', table_name='digests')
    op.drop_table('digests')
