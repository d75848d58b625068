"""inbox indexes: a manager's inbox walks (grade, newest first) instead of sorting every open lead;
agendas find follow-ups by date

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_leads_inbox_order', 'leads',
                    ['grade', sa.text('created_at DESC'), sa.text('id DESC'), 'status', 'owner_id', 'is_deleted'])
    op.create_index('ix_leads_next_follow_up', 'leads', ['next_follow_up_at'])
    op.create_index('ix_leads_owner_inbox', 'leads',
                    ['owner_id', 'grade', sa.text('created_at DESC'), sa.text('id DESC'), 'status', 'is_deleted'])


def downgrade() -> None:
    op.drop_index('ix_leads_owner_inbox', table_name='leads')
    op.drop_index('ix_leads_next_follow_up', table_name='leads')
    op.drop_index('ix_leads_inbox_order', table_name='leads')
