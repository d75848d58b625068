"""checklist ticks covered: the checklist report joins every deal closed in the range to its
lead's ticks that are done and counts them per item (`store/playbooks.py` `closed_with_done`);
with `item_id` in the index that join reads the index alone instead of a table row per tick
(~730k a year at 1M leads: the year's checklist panel 2.1 s → 1.7 s, bench/reports.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 02:00:00
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_checklist_ticks_lead', table_name='checklist_ticks')
    op.create_index('ix_checklist_ticks_lead', 'checklist_ticks', ['lead_id', 'done', 'item_id'])


def downgrade() -> None:
    op.drop_index('ix_checklist_ticks_lead', table_name='checklist_ticks')
    op.create_index('ix_checklist_ticks_lead', 'checklist_ticks', ['lead_id', 'done'])
