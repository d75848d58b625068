"""admin "view as": `browser_sessions.viewing_as_id`, the user an admin's browser session is
browsing as (read-only) until the admin ends it; NULL for every ordinary session.

Revision ID: 0041
Revises: 0037
Create Date: 2026-12-07 03:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0041'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    op.add_column('browser_sessions', sa.Column('viewing_as_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE browser_sessions DROP COLUMN viewing_as_id')
