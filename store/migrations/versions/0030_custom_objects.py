"""custom fields on opportunities and customers: a `custom` JSON object on `opportunities` and
`accounts` (as 0027 gave leads), and per definition when it is required beyond capture (a lead's
qualification, an opportunity's stage from which on) and its help text in both languages.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    for table in ('opportunities', 'accounts'):
        op.add_column(table, sa.Column('custom', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('custom_fields') as batch:
        batch.add_column(sa.Column('is_required_to_qualify', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('required_stage_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('help_zh', sa.String(length=300), nullable=False, server_default=''))
        batch.add_column(sa.Column('help_en', sa.String(length=300), nullable=False, server_default=''))
        batch.create_foreign_key('fk_custom_fields_required_stage', 'stages', ['required_stage_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('custom_fields') as batch:
        batch.drop_constraint('fk_custom_fields_required_stage', type_='foreignkey')
        for column in ('help_en', 'help_zh', 'required_stage_id', 'is_required_to_qualify'):
            batch.drop_column(column)
    # Plain ALTER (SQLite >= 3.35, PostgreSQL): a batch copy would trip the foreign keys to these tables.
    for table in ('accounts', 'opportunities'):
        op.execute(f'ALTER TABLE {table} DROP COLUMN custom')
