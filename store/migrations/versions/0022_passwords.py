"""passwords: wrong passwords counted per address (login_throttles), and a forced change after an
admin's reset (users.must_change_password). A lock in progress on users.failed_logins/locked_until
moves to the new table (those two columns stay, unused: dropping a column on SQLite rebuilds the
users table, which nearly every table references).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 07:30:00
"""
# lead: rebase at merge
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import store.types


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    throttles = op.create_table(
        'login_throttles',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', store.types.UTCDateTime(), nullable=True),
        sa.Column('last_failed_at', store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('email'),
    )
    op.create_index(op.f('ix_login_throttles_last_failed_at'), 'login_throttles', ['last_failed_at'], unique=False)
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    users = sa.table('users', sa.column('email', sa.String()), sa.column('failed_logins', sa.Integer()),
                     sa.column('locked_until', store.types.UTCDateTime()))
    connection = op.get_bind()
    now = datetime.now(UTC)
    counted = connection.execute(sa.select(users.c.email, users.c.failed_logins, users.c.locked_until)
                                 .where(users.c.failed_logins > 0)).all()
    if counted:
        op.bulk_insert(throttles, [{'email': email, 'failures': failures, 'locked_until': locked,
                                    'last_failed_at': now} for email, failures, locked in counted])
    connection.execute(sa.update(users).values(failed_logins=0, locked_until=None))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `users` fails its foreign keys, which
    # nearly every table holds.
    op.drop_column('users', 'must_change_password')
    op.drop_index(op.f('ix_login_throttles_last_failed_at'), table_name='login_throttles')
    op.drop_table('login_throttles')
