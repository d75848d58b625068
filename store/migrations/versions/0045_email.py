"""email and goals: the email outbox, password reset tokens, notification kinds sent by email;
monthly goals per rep and team.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-07 03:30:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'email_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('last_attempt_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('delivered_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_email_messages_due', 'email_messages', ['status', 'next_attempt_at'])
    op.create_table(
        'password_reset_tokens',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', store.types.UTCDateTime(), nullable=False),
        sa.Column('used_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_password_reset_tokens_user_id', 'password_reset_tokens', ['user_id'])
    with op.batch_alter_table('notify_prefs') as batch:
        batch.add_column(sa.Column('emailed', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table(
        'goals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('metric', sa.String(length=20), nullable=False),
        sa.Column('target', sa.BigInteger(), nullable=False),
        sa.Column('stretch', sa.BigInteger(), nullable=True),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_goals_month', 'goals', ['month', 'metric'])


def downgrade() -> None:
    op.drop_index('ix_goals_month', table_name='goals')
    op.drop_table('goals')
    with op.batch_alter_table('notify_prefs') as batch:
        batch.drop_column('emailed')
    op.drop_index('ix_password_reset_tokens_user_id', table_name='password_reset_tokens')
    op.drop_table('password_reset_tokens')
    op.drop_index('ix_email_messages_due', table_name='email_messages')
    op.drop_table('email_messages')
