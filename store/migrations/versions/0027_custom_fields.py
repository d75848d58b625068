"""custom fields: the `custom_fields` definitions (admin-defined fields of leads, later opportunities
and customers) and a `custom` JSON object on leads holding their values by key, so defining a field
changes no schema. Existing leads get an empty object.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'custom_fields',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label_zh', sa.String(length=100), nullable=False),
        sa.Column('label_en', sa.String(length=100), nullable=False),
        sa.Column('type', sa.String(length=20), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('is_required', sa.Boolean(), nullable=False),
        sa.Column('is_retired', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('entity', 'key', name='uq_custom_fields_entity_key'),
    )
    # A constant default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    op.add_column('leads', sa.Column('custom', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    # Plain ALTER (SQLite >= 3.35, PostgreSQL): a batch copy of `leads` would trip the foreign keys to it.
    op.execute('ALTER TABLE leads DROP COLUMN custom')
    op.drop_table('custom_fields')
