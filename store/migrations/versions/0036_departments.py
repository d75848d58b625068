"""departments: a tree of departments (any depth) with a head; every user belongs to one.

Existing users land in the root department created here (stored name 'Company', shown translated).
`users.department_id` stays nullable: NULL means the root (a user created by a path naming none).

Revision ID: 0036
Revises: 0034
Create Date: 2026-12-06 23:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0036'
down_revision = '0034'
branch_labels = None
depends_on = None

ROOT_NAME = 'Company'  # frozen copy of store.models.ROOT_DEPARTMENT_NAME


def upgrade() -> None:
    departments = op.create_table(
        'departments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('parent_id', sa.Integer(), sa.ForeignKey('departments.id'), nullable=True),
        sa.Column('head_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_departments_parent_id', 'departments', ['parent_id'])
    # a plain column without a foreign key (see store.models.User.department_id): no rebuild of users
    op.add_column('users', sa.Column('department_id', sa.Integer(), nullable=True))
    op.create_index('ix_users_department_id', 'users', ['department_id'])
    op.bulk_insert(departments, [{'id': 1, 'name': ROOT_NAME, 'parent_id': None, 'head_id': None}])
    op.execute('UPDATE users SET department_id = 1')
    if op.get_bind().dialect.name == 'postgresql':  # the explicit id 1 leaves the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('departments', 'id'), 1)")


def downgrade() -> None:
    op.drop_index('ix_users_department_id', table_name='users')
    op.execute('ALTER TABLE users DROP COLUMN department_id')
    op.drop_index('ix_departments_parent_id', table_name='departments')
    op.drop_table('departments')
