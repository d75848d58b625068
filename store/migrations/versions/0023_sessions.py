"""browser sessions on the server: one row per login, the browser holding only a random token
(its SHA-256 here) in an HttpOnly cookie; replaces the user id kept in NiceGUI's per-browser
storage files.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 08:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'browser_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('user_version', sa.Integer(), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('started_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('last_seen_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('ended_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('ended_reason', sa.String(length=20), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_browser_sessions_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_browser_sessions_open', ['last_seen_at'], unique=False,
                              sqlite_where=sa.text('ended_at IS NULL'),
                              postgresql_where=sa.text('ended_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_browser_sessions_open')
        batch_op.drop_index('ix_browser_sessions_user_id')
    op.drop_table('browser_sessions')
