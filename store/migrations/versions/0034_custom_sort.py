"""custom fields may be marked filterable (an expression index each, made at run time from the
definitions: store/custom_indexes.py); the inbox's built-in sorts get the indexes a team view walks.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 23:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

SORT_INDEXES = (('ix_leads_sort_created', 'created_at'), ('ix_leads_sort_score', 'score'),
                ('ix_leads_sort_name', 'name'), ('ix_leads_sort_follow_up', 'next_follow_up_at'))


def upgrade() -> None:
    # A constant default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    op.add_column('custom_fields', sa.Column('is_filterable', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    # Without these a manager's page sorted by score, name, follow-up or age sorted every open lead
    # (150–430 ms at 100k leads, bench/inbox.py --sorts); each is walked until a page matches.
    for name, first in SORT_INDEXES:
        op.create_index(name, 'leads', [first, 'id', 'status', 'owner_id', 'is_deleted'])


def downgrade() -> None:
    for name, _first in SORT_INDEXES:
        op.drop_index(name, table_name='leads')
    op.execute('ALTER TABLE custom_fields DROP COLUMN is_filterable')
