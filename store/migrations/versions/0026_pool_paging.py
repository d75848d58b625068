"""the public pool pages, filters and sorts server-side: `pooled_at` (when a lead last entered the
pool or the review queue) and three indexes led by `status`, one per sort, so a page of the pool
walks only pool rows (about 5% of the leads) in the order shown instead of sorting or scanning the
table. Existing pool and review leads take their `updated_at`, the time their status last changed.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 14:30:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('leads', sa.Column('pooled_at', store.types.UTCDateTime(), nullable=True))
    op.execute("UPDATE leads SET pooled_at = COALESCE(updated_at, created_at) WHERE status IN ('pool', 'review')")
    op.create_index('ix_leads_pool_recent', 'leads', ['status', 'pooled_at', 'id'])
    op.create_index('ix_leads_pool_grade', 'leads', ['status', 'grade', sa.text('score DESC'), sa.text('id DESC')])
    op.create_index('ix_leads_pool_score', 'leads', ['status', 'score', 'id'])


def downgrade() -> None:
    op.drop_index('ix_leads_pool_score', table_name='leads')
    op.drop_index('ix_leads_pool_grade', table_name='leads')
    op.drop_index('ix_leads_pool_recent', table_name='leads')
    # Plain ALTER (SQLite >= 3.35, PostgreSQL): a batch copy of `leads` would trip the foreign keys to it.
    op.execute('ALTER TABLE leads DROP COLUMN pooled_at')
