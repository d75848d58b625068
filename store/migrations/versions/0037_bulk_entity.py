"""bulk edit of any list: `bulk_batches.entity` says which records a batch changed (a lead, an
opportunity or a customer); the batches before it were all of leads.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 23:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    op.add_column('bulk_batches', sa.Column('entity', sa.String(length=20), nullable=False, server_default='lead'))


def downgrade() -> None:
    op.execute('ALTER TABLE bulk_batches DROP COLUMN entity')
