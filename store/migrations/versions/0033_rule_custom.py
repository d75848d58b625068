"""rules test a custom field: assignment rules gain a custom-field condition.

Two plain columns (key, comma-separated option keys) rather than one JSON column: the rule's other
conditions are comma-joined strings too, and the option keys cannot hold a comma. Scoring rules
need no schema change (`field` holds the custom key, `value` the option; new `kind`s).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Constant defaults: SQLite adds the columns without copying the table, PostgreSQL without a rewrite.
    op.add_column('assignment_rules', sa.Column('match_custom_key', sa.String(length=40), nullable=False,
                                                server_default=''))
    op.add_column('assignment_rules', sa.Column('match_custom_values', sa.String(length=500), nullable=False,
                                                server_default=''))


def downgrade() -> None:
    op.execute('ALTER TABLE assignment_rules DROP COLUMN match_custom_values')
    op.execute('ALTER TABLE assignment_rules DROP COLUMN match_custom_key')
