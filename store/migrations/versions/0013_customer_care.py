"""customer care: schedules, tasks and revisits

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 10:00:00.000000
"""
# lead: re-chain at merge (written to follow 0011)
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa
import store.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

DEFAULT_DAYS = {'vip': 30, 'regular': 90, 'potential': 60}
"""core.customers.care.CarePlan's defaults: a migration must not import the app's rules, so they are copied."""


def upgrade() -> None:
    op.create_table(
        'care_schedules',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('due_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('since_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.PrimaryKeyConstraint('account_id'),
    )
    with op.batch_alter_table('care_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_schedules_due_at'), ['due_at'], unique=False)
    op.create_table(
        'revisits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('tier', sa.String(length=12), nullable=False),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('nps', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('revisits', schema=None) as batch_op:
        batch_op.create_index('ix_revisits_account', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_revisits_report', ['created_at', 'owner_id', 'tier', 'nps', 'satisfaction'],
                              unique=False)
    op.create_table(
        'care_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('tier', sa.String(length=12), nullable=False),
        sa.Column('due_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('open_account_id', sa.Integer(), nullable=True),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('closed_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('revisit_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['revisit_id'], ['revisits.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('open_account_id'),
    )
    with op.batch_alter_table('care_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_tasks_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_care_tasks_owner_open', ['owner_id', 'open_account_id', 'due_at'], unique=False)
    _plan_existing_accounts()


def _plan_existing_accounts() -> None:
    """Accounts that exist before this version get their plan with the default intervals, counted
    from their last activity: the first ticks then open the revisits that are already overdue."""
    accounts = sa.table('accounts', sa.column('id', sa.Integer()), sa.column('tier', sa.String()),
                        sa.column('is_deleted', sa.Boolean()),
                        sa.column('last_activity_at', store.types.UTCDateTime()),
                        sa.column('created_at', store.types.UTCDateTime()))
    schedules = sa.table('care_schedules', sa.column('account_id', sa.Integer()), sa.column('kind', sa.String()),
                         sa.column('due_at', store.types.UTCDateTime()),
                         sa.column('since_at', store.types.UTCDateTime()))
    now = datetime.now(UTC)
    rows = []
    found = op.get_bind().execute(sa.select(accounts.c.id, accounts.c.tier, accounts.c.last_activity_at,
                                            accounts.c.created_at).where(accounts.c.is_deleted == sa.false()))
    for account_id, tier, last_activity, created in found:
        since = last_activity or created or now
        if tier == 'dormant':
            rows.append({'account_id': account_id, 'kind': 'wake_up', 'due_at': now, 'since_at': since})
        else:
            days = DEFAULT_DAYS.get(tier, DEFAULT_DAYS['potential'])
            rows.append({'account_id': account_id, 'kind': 'revisit', 'due_at': since + timedelta(days=days),
                         'since_at': since})
    if rows:
        op.bulk_insert(schedules, rows)


def downgrade() -> None:
    with op.batch_alter_table('care_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_care_tasks_owner_open')
        batch_op.drop_index(batch_op.f('ix_care_tasks_account_id'))
    op.drop_table('care_tasks')
    with op.batch_alter_table('revisits', schema=None) as batch_op:
        batch_op.drop_index('ix_revisits_report')
        batch_op.drop_index('ix_revisits_account')
    op.drop_table('revisits')
    with op.batch_alter_table('care_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_schedules_due_at'))
    op.drop_table('care_schedules')
