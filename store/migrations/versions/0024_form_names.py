"""the seeded contact form's name in its language: the form speaks Chinese, so its title (the
hosted page's heading) reads 网站联系表单, not "Website contact form" (issue 20). Only the name
LeadDesk gave it, on a form still in Chinese; a name someone chose stays.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ENGLISH, CHINESE = 'Website contact form', '网站联系表单'


def upgrade() -> None:
    op.execute(sa.text("UPDATE web_forms SET name = :chinese WHERE key = 'contact' AND name = :english "
                       "AND language = 'zh-CN'").bindparams(chinese=CHINESE, english=ENGLISH))


def downgrade() -> None:
    op.execute(sa.text("UPDATE web_forms SET name = :english WHERE key = 'contact' AND name = :chinese "
                       "AND language = 'zh-CN'").bindparams(chinese=CHINESE, english=ENGLISH))
