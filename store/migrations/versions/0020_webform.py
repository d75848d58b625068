"""web forms speak a language and say what they ask: web_forms.language, fields (ordered),
consent_text, thanks_text, redirect_url, allowed_origins (the hosted form is a plain HTML page,
ui/webform.py). Existing forms keep what they showed: every field they asked for, in Chinese
(the app's default language), any site may embed them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 07:30:00
"""
import json

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

DEFAULT_FIELDS = ['name', 'phone', 'email', 'company', 'title', 'region', 'city', 'need', 'timeline', 'budget',
                  'message']


def upgrade() -> None:
    with op.batch_alter_table('web_forms') as batch:
        batch.add_column(sa.Column('language', sa.String(10), nullable=False, server_default='zh-CN'))
        batch.add_column(sa.Column('fields', sa.JSON(), nullable=False,
                                   server_default=json.dumps(DEFAULT_FIELDS)))
        batch.add_column(sa.Column('consent_text', sa.String(2000), nullable=True))
        batch.add_column(sa.Column('thanks_text', sa.String(1000), nullable=True))
        batch.add_column(sa.Column('redirect_url', sa.String(500), nullable=True))
        batch.add_column(sa.Column('allowed_origins', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('web_forms') as batch:
        for name in ('allowed_origins', 'redirect_url', 'thanks_text', 'consent_text', 'fields', 'language'):
            batch.drop_column(name)
