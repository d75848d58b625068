"""several pools (公海): `pools` records with their own numbers and departments, `leads.pool_id`.

The default pool created here leaves every number None (it follows the automation policy), shows to
everyone and masks phones: an existing install behaves exactly as with its one pool. Leads waiting in
the pool or the review queue are placed in it; owned leads keep NULL (read as the default pool), so
no owned row is rewritten.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07 03:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None

DEFAULT_NAME = 'Public pool'  # frozen copy of store.models.DEFAULT_POOL_NAME


def upgrade() -> None:
    pools = op.create_table(
        'pools',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('department_ids', sa.JSON(), nullable=False),
        sa.Column('protection_days', sa.Float(), nullable=True),
        sa.Column('warn_hours', sa.Float(), nullable=True),
        sa.Column('cooldown_days', sa.Float(), nullable=True),
        sa.Column('claim_limit', sa.Integer(), nullable=True),
        sa.Column('hold_limit', sa.Integer(), nullable=True),
        sa.Column('masked', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
    )
    op.bulk_insert(pools, [{'id': 1, 'name': DEFAULT_NAME, 'is_default': True, 'department_ids': [],
                            'masked': True}])
    if op.get_bind().dialect.name == 'postgresql':  # the explicit id 1 leaves the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('pools', 'id'), 1)")
    # a plain column without a foreign key (see store.models.Lead.pool_id): no rebuild of leads
    op.add_column('leads', sa.Column('pool_id', sa.Integer(), nullable=True))
    op.create_index('ix_leads_pool_id', 'leads', ['pool_id'])
    op.execute("UPDATE leads SET pool_id = 1 WHERE status IN ('pool', 'review')")


def downgrade() -> None:
    op.drop_index('ix_leads_pool_id', table_name='leads')
    op.execute('ALTER TABLE leads DROP COLUMN pool_id')
    op.drop_table('pools')
