"""tags: the team's tags (`tags`: a key, a name in zh-CN and en, a colour, retired or not), the
tags on records (`record_tags`: one row per tag on a lead, an opportunity or a customer, keyed by
record and indexed by tag for filtered lists), and assignment rules' "has tag" condition
(`assignment_rules.match_tags`).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 21:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('name_zh', sa.String(length=40), nullable=False),
        sa.Column('name_en', sa.String(length=40), nullable=False),
        sa.Column('colour', sa.String(length=12), nullable=False),
        sa.Column('is_retired', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_table(
        'record_tags',
        sa.Column('entity', sa.String(length=12), nullable=False),
        sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('tag_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['tag_id'], ['tags.id']),
        sa.PrimaryKeyConstraint('entity', 'record_id', 'tag_id'),
    )
    op.create_index('ix_record_tags_tag', 'record_tags', ['tag_id', 'entity', 'record_id'], unique=False)
    # A constant default: SQLite adds the column without copying the table, PostgreSQL without a rewrite.
    op.add_column('assignment_rules', sa.Column('match_tags', sa.String(length=500), nullable=False,
                                                server_default=''))


def downgrade() -> None:
    op.execute('ALTER TABLE assignment_rules DROP COLUMN match_tags')
    op.drop_index('ix_record_tags_tag', table_name='record_tags')
    op.drop_table('record_tags')
    op.drop_table('tags')
