"""channel costs and report indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 17:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import store.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_costs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=30), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('cost_cents', sa.BigInteger(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'month'),
    )
    # covering indexes for the reports: a date range walks the index without touching the table
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_report_cohort', ['created_at', 'source', 'region', 'industry', 'owner_id',
                                                         'status', 'first_contact_at', 'is_deleted'], unique=False)
        batch_op.create_index('ix_leads_report_response', ['assigned_at', 'owner_id', 'sla_status',
                                                           'first_contact_at', 'is_deleted'], unique=False)
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.create_index('ix_opportunities_closed', ['closed_at'], unique=False)
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_report', ['action', 'created_at', 'reason_key', 'actor_id',
                                                  'subject_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_report')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunities_closed')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_report_response')
        batch_op.drop_index('ix_leads_report_cohort')
    op.drop_table('channel_costs')
