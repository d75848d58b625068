"""checklist report rolled up: step exits indexed by lead (the roll-up's flush hook reads a touched
lead's exits), and `report_days` rebuilt so it holds the checklist families (steps, entered, ticked;
store/report_rollup.py) — the checklist panel then sums a few rows a day instead of a year's exits
and ticks. A database whose roll-up was never built is left to start-up (`report_rollup.ensure`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 04:10:00
"""
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: on SQLite the index commits at once (the driver runs DDL outside a transaction),
    # so an upgrade stopped during the rebuild below (minutes at 1M leads) must be able to run again.
    op.create_index('ix_playbook_exits_lead', 'playbook_exits', ['lead_id'], if_not_exists=True)
    from store import report_rollup  # the families are defined once, by the code that keeps them

    connection = op.get_bind()
    zone = report_rollup.built_zone(connection)
    if zone is not None:
        report_rollup.rebuild(connection, zone)


def downgrade() -> None:
    op.execute("DELETE FROM report_days WHERE family IN ('steps', 'entered', 'ticked')")
    op.drop_index('ix_playbook_exits_lead', table_name='playbook_exits', if_exists=True)
