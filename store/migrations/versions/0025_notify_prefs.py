"""per-user notification preferences: kinds muted, toasts on or off, quiet hours.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notify_prefs',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('muted', sa.JSON(), nullable=False),
        sa.Column('toasts', sa.Boolean(), nullable=False),
        sa.Column('quiet_start', sa.Integer(), nullable=True),
        sa.Column('quiet_end', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('notify_prefs')
