"""playbooks: checklists, talk tracks, ticks and step exits

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 21:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import store.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'playbook_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_status', sa.String(length=20), nullable=True),
        sa.Column('stage_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text_en', sa.String(length=300), nullable=False),
        sa.Column('text_zh', sa.String(length=300), nullable=False),
        sa.Column('deadline_hours', sa.Integer(), nullable=True),
        sa.Column('is_required', sa.Boolean(), nullable=False),
        sa.Column('is_archived', sa.Boolean(), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_playbook_items_step', 'playbook_items',
                    ['lead_status', 'stage_id', 'is_archived', 'position'], unique=False)
    op.create_table(
        'talk_tracks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_status', sa.String(length=20), nullable=True),
        sa.Column('stage_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('grade', sa.String(length=1), nullable=False),
        sa.Column('text_en', sa.String(length=1000), nullable=False),
        sa.Column('text_zh', sa.String(length=1000), nullable=False),
        sa.Column('is_archived', sa.Boolean(), nullable=False),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_talk_tracks_step', 'talk_tracks',
                    ['lead_status', 'stage_id', 'is_archived', 'position'], unique=False)
    op.create_table(
        'checklist_ticks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('opportunity_id', sa.Integer(), nullable=True),
        sa.Column('done', sa.Boolean(), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], ),
        sa.ForeignKeyConstraint(['item_id'], ['playbook_items.id'], ),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ),
        sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], ),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('item_id', 'lead_id', name='uq_checklist_ticks_item_lead'),
    )
    op.create_index('ix_checklist_ticks_lead', 'checklist_ticks', ['lead_id', 'done'], unique=False)
    op.create_table(
        'playbook_exits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('opportunity_id', sa.Integer(), nullable=True),
        sa.Column('lead_status', sa.String(length=20), nullable=True),
        sa.Column('stage_id', sa.Integer(), nullable=True),
        sa.Column('done_ids', sa.JSON(), nullable=False),
        sa.Column('open_ids', sa.JSON(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ),
        sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], ),
        sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_playbook_exits_time', 'playbook_exits', ['created_at', 'lead_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_playbook_exits_time', table_name='playbook_exits')
    op.drop_table('playbook_exits')
    op.drop_index('ix_checklist_ticks_lead', table_name='checklist_ticks')
    op.drop_table('checklist_ticks')
    op.drop_index('ix_talk_tracks_step', table_name='talk_tracks')
    op.drop_table('talk_tracks')
    op.drop_index('ix_playbook_items_step', table_name='playbook_items')
    op.drop_table('playbook_items')
