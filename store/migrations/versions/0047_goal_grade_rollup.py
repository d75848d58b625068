"""department goals and the goals leaderboard: `goals.department_id` (a department's goal, its
subtree summed; a plain column as `users.department_id`); the daily roll-up gains the cohort's `grade` dimension (per owner), so the
normalised leaderboard (core/goals/leaderboard.py) reads each rep's grade mix from a few rows.

The roll-up is forgotten here (its zone setting removed) rather than rebuilt: start-up's
`report_rollup.ensure` rebuilds a roll-up that was never built with the code of the day, and until
then nothing reads it (a report falls back to the rows). Downgrade: the column and the grade rows go.

Revision ID: 0047
Revises: 0045
Create Date: 2026-12-07 07:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0047'
down_revision = '0046'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('goals', sa.Column('department_id', sa.Integer(), nullable=True))
    op.execute("DELETE FROM app_settings WHERE key = 'report_rollup_zone'")


def downgrade() -> None:
    op.execute('ALTER TABLE goals DROP COLUMN department_id')
    op.execute("DELETE FROM report_days WHERE family = 'cohort' AND dimension = 'grade'")
