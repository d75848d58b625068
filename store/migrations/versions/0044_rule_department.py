"""rules target a department: an assignment rule may pick only among the reps of a department subtree.

One nullable plain column (no foreign key, as `users.department_id`): NULL means the rule picks from
every rep (or its named reps), as before. A removed department leaves the id behind; core reads an
unknown id as an empty subtree, so the rule places nobody rather than widening to everyone.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07 03:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0044'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('assignment_rules', sa.Column('department_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE assignment_rules DROP COLUMN department_id')
