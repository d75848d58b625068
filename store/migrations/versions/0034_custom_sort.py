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


def upgrade() -> None:
    # A constant default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    op.add_column('custom_fields', sa.Column('is_filterable', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))


def downgrade() -> None:
    op.execute('ALTER TABLE custom_fields DROP COLUMN is_filterable')
