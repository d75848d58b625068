"""the reports' daily roll-up

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 18:45:00.000000
"""
# lead: rebase at merge
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # filled by store.report_rollup.ensure() at start-up (it needs the team's time zone for the days)
    op.create_table(
        'report_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family', sa.String(length=12), nullable=False),
        sa.Column('scope_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=80), nullable=False),
        sa.Column('value', sa.String(length=220), nullable=False),
        sa.Column('n1', sa.BigInteger(), nullable=False),
        sa.Column('n2', sa.BigInteger(), nullable=False),
        sa.Column('n3', sa.BigInteger(), nullable=False),
        sa.Column('n4', sa.BigInteger(), nullable=False),
        sa.Column('n5', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('family', 'scope_id', 'day', 'dimension', 'value', name='uq_report_days_key'),
    )


def downgrade() -> None:
    op.drop_table('report_days')
