"""fewer lead indexes: every index on `leads` is paid by every captured or imported lead (an import
spent most of its SQL time maintaining ~20 of them). Dropped: ix_leads_assigned_window (its columns
are a subset of ix_leads_report_response, which serves the same range reads), ix_leads_owner_open
(owner + status is served by ix_leads_open_figures / ix_leads_owner_inbox), ix_leads_status_grade
(a status is served by ix_leads_pool_waiting / ix_leads_open_figures); and on the audit trail
(two lines per new lead) ix_audit_action_time, a prefix of ix_audit_report, and
ix_audit_entries_created_at, which no read uses (each names the action or the lead first). The timer's
due-timestamp indexes become partial (not null): a new lead has none of those timestamps, so
it no longer adds entries to them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 01:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

DROPPED = {
    'ix_leads_assigned_window': ['assigned_at', 'owner_id', 'first_contact_at', 'is_deleted'],
    'ix_leads_owner_open': ['owner_id', 'status', 'grade', 'created_at'],
    'ix_leads_status_grade': ['status', 'grade', 'created_at'],
}
PARTIAL = {
    'ix_leads_sla_grace': 'sla_grace_at',
    'ix_leads_follow_up_due': 'follow_up_due_at',
    'ix_leads_next_follow_up': 'next_follow_up_at',
}


def upgrade() -> None:
    op.drop_index('ix_audit_action_time', table_name='audit_entries')
    op.drop_index('ix_audit_entries_created_at', table_name='audit_entries')
    for name in DROPPED:
        op.drop_index(name, table_name='leads')
    for name, column in PARTIAL.items():
        op.drop_index(name, table_name='leads')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(name, 'leads', [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, column in PARTIAL.items():
        op.drop_index(name, table_name='leads')
        op.create_index(name, 'leads', [column])
    for name, columns in DROPPED.items():
        op.create_index(name, 'leads', columns)
    op.create_index('ix_audit_action_time', 'audit_entries', ['action', 'created_at'])
    op.create_index('ix_audit_entries_created_at', 'audit_entries', ['created_at'])
