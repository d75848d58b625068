"""team figure indexes: the team page reads open leads and recent assignments from indexes alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 18:00:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_open_figures', ['status', 'owner_id', 'grade', 'next_follow_up_at',
                                                        'sla_status', 'last_activity_at', 'is_deleted'], unique=False)
        batch_op.create_index('ix_leads_assigned_window', ['assigned_at', 'owner_id', 'first_contact_at',
                                                           'is_deleted'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_assigned_window')
        batch_op.drop_index('ix_leads_open_figures')
