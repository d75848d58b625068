"""stage stays stored: stage_changes.left_at (the time-in-stage report reads a range instead of a
window over every move); covering index for the stage a deal was lost from; deleted leads indexed

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-26 21:40:00
"""
from alembic import op
import sqlalchemy as sa

import store.types


revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stage_changes') as batch:
        batch.add_column(sa.Column('left_at', store.types.UTCDateTime(), nullable=True))
    op.execute('UPDATE stage_changes SET left_at = ('
               ' SELECT later.created_at FROM stage_changes AS later'
               ' WHERE later.opportunity_id = stage_changes.opportunity_id'
               ' AND (later.created_at > stage_changes.created_at'
               ' OR (later.created_at = stage_changes.created_at AND later.id > stage_changes.id))'
               ' ORDER BY later.created_at, later.id LIMIT 1)')
    op.create_index('ix_stage_changes_left', 'stage_changes', ['left_at', 'to_stage_id', 'created_at', 'opportunity_id'])
    op.create_index('ix_stage_changes_lost_from', 'stage_changes',
                    ['opportunity_id', 'to_stage_id', 'id', 'from_stage_id'])
    op.create_index('ix_leads_deleted', 'leads', ['id'], sqlite_where=sa.text('is_deleted = 1'),
                    postgresql_where=sa.text('is_deleted'))


def downgrade() -> None:
    op.drop_index('ix_leads_deleted', table_name='leads')
    op.drop_index('ix_stage_changes_lost_from', table_name='stage_changes')
    op.drop_index('ix_stage_changes_left', table_name='stage_changes')
    with op.batch_alter_table('stage_changes') as batch:
        batch.drop_column('left_at')
