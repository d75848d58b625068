"""`python run.py migrate-to URL`: a SQLite desk with every table in use moves to PostgreSQL; row
counts match, every row of every table is identical, and the desk keeps working there."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from cli.demo import seed
from core.clock import FakeClock
from core.desk import Desk
from core.errors import LoginFailed
from core.leads.bulk import BulkAction, BulkKind, Selection
from core.ops.demo_accounts import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from store.custom_indexes import existing
from store.engine import make_engine, read_session
from store.models import CareTask, TagEntity, ViewPage
from tests import factories
from tests.unit.test_import import csv_bytes

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data))
    return subprocess.run([sys.executable, str(ROOT / 'run.py'), *args], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=300)


def busy_sqlite_desk(path: Path) -> Desk:
    """The demo seed plus what it leaves out: API keys and replays, an import with a template,
    a merge, channel costs, a custom field — so no table is empty."""
    desk = factories.make_desk(path, FakeClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    seed(desk, now=desk.ctx.now(), leads=120)
    admin, ticket = desk.team.login(DEMO_ADMIN_EMAIL, DEMO_PASSWORD)
    assert desk.sessions.start(ticket) is not None  # a browser session
    with pytest.raises(LoginFailed):  # a counted wrong password (login_throttles)
        desk.team.login('nobody@example.com', 'wrong password')
    desk.team.set_quiet_hours(admin, 22 * 60, 7 * 60)  # notification preferences (notify_prefs)
    desk.webhooks.set_allow_private(admin, True)  # (a loopback receiver)
    desk.webhooks.save(admin, None, {'name': 'Robot', 'url': 'http://127.0.0.1:9/hook', 'format': 'json',
                                     'events': ['lead.captured']})  # the captures below queue deliveries
    raw = desk.access.create_api_key(admin, name='Site')
    key = desk.access.check_api_key(raw)
    assert key is not None
    desk.custom_fields.define_field(admin, entity='lead', key='product', type='multi_select', label_zh='意向产品',
                                    options=[{'key': 'a', 'label_zh': '甲'}, {'key': 'b', 'label_zh': '乙'}])
    desk.custom_fields.define_field(admin, entity='lead', key='stores', type='number', label_zh='门店数',
                                    filterable=True)  # an expression index, which the copy recreates
    desk.access.capture_via_api(key, {'name': '搬家 Lead', 'phone': '13911112222', 'custom': {'product': ['b', 'a']}},
                                'idem-1')  # a custom field and a lead's values (custom_fields, leads.custom)
    draft = desk.imports.upload(admin, 'move.csv', csv_bytes([['Name', 'Phone'], ['导入 One', '13922223333'],
                                                             ['导入 Two', '13933334444']], 'utf-8'))
    desk.imports.start(admin, draft.job_id, draft.mapping, {}, background=False)
    desk.imports.save_template(admin, 'Simple', ['Name', 'Phone'], ['name', 'phone'])
    a = desk.leads.capture_lead({'name': 'Merge Me', 'phone': '13944445555'}, channel='manual',
                                default_source='manual')
    b = desk.leads.capture_lead({'name': 'Merge Me', 'email': 'merge@me.cn'}, channel='manual',
                                default_source='manual')
    desk.merges.merge(admin, [a.lead_id, b.lead_id])
    desk.reports.set_channel_cost(admin, source='ads', month=date(2026, 2, 1), amount='1234.50')
    desk.automation.tick(desk.ctx.now() + timedelta(days=400))  # customer-care revisits fall due
    with read_session(desk.ctx.engine) as session:
        account_id = session.exec(select(CareTask.account_id)).first()
    assert account_id is not None
    desk.care.record_revisit(admin, account_id, satisfaction=5, nps=9, note='迁移')
    tag = desk.tags.define_tag(admin, name_zh='重点', name_en='Key account')  # tags, record_tags
    desk.record_tags.add_tag(admin, TagEntity.LEAD, a.lead_id, tag.id)
    desk.views.save_view(admin, ViewPage.INBOX, 'Mine', {'grade': 'A'})  # saved_views
    moved = desk.leads.capture_lead({'name': 'Bulk Me', 'phone': '13955556666'}, channel='manual',
                                    default_source='manual')
    desk.bulk.apply(admin, Selection(ids=(moved.lead_id,)), BulkAction(BulkKind.SET_FIELD, field='city',
                                                                       value='杭州'))  # bulk_batches
    desk.mail.save(admin, {'host': '127.0.0.1', 'port': '25', 'tls': 'none', 'sender_address': 'crm@example.com',
                           'sender_name': 'Acme CRM'})  # nothing listens: the rows wait in the outbox
    desk.mail.send_test(admin)  # email_messages
    desk.ctx.settings.public_url = 'https://crm.example.com'
    desk.password_reset.request(DEMO_ADMIN_EMAIL)  # password_reset_tokens
    desk.digests.set_my_settings(admin, {'kinds': ['daily'], 'channels': ['app'], 'send_time': '09:00'})  # digest_prefs
    return desk


def all_rows(engine: sa.Engine, table: sa.Table) -> list[dict]:
    with engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(sa.select(table).order_by(*table.primary_key.columns))]


def test_migrate_to_copies_every_table_and_the_desk_works_there(tmp_path: Path, pg_url: str) -> None:
    desk = busy_sqlite_desk(tmp_path / 'leaddesk.db')
    desk.ctx.engine.dispose()
    done = run_cli(['migrate-to', pg_url], tmp_path)
    assert done.returncode == 0, done.stderr
    source, target = make_engine(f'sqlite:///{tmp_path / "leaddesk.db"}'), make_engine(pg_url)
    with target.connect() as c:  # made by migrate-to itself, in PostgreSQL's form
        assert existing(c, 'leads') == {'ix_leads_cf_stores'}
    for table in SQLModel.metadata.sorted_tables:
        want, got = all_rows(source, table), all_rows(target, table)
        assert want, f'{table.name} is empty in the source: the test would prove nothing'
        assert len(got) == len(want), (table.name, len(got), len(want), done.stdout)
        differ = next(((w, g) for w, g in zip(want, got, strict=True) if w != g), None)
        assert differ is None, (table.name, differ)  # every row, every column (timestamps aware UTC on both)
        assert f'{table.name} ' in done.stdout and 'ok' in done.stdout, done.stdout
    source.dispose()
    target.dispose()
    moved = factories.make_desk(pg_url)  # the ids go on past the copied ones
    fresh = moved.leads.capture_lead(factories.lead_data(name='After the move'), channel='manual',
                                     default_source='manual')
    leads = SQLModel.metadata.tables['leads']
    others = [r['id'] for r in all_rows(moved.ctx.engine, leads) if r['id'] != fresh.lead_id]
    assert fresh.created and fresh.lead_id > max(others), (fresh, max(others))
    admin, _ = moved.team.login(DEMO_ADMIN_EMAIL, DEMO_PASSWORD)  # the hashes came along
    assert admin.role == 'admin'
    moved.ctx.engine.dispose()


def test_migrate_to_refuses_a_database_that_already_has_a_team(tmp_path: Path, pg_url: str) -> None:
    factories.admin(factories.make_desk(pg_url))
    factories.make_desk(tmp_path / 'leaddesk.db').ctx.engine.dispose()
    done = run_cli(['migrate-to', pg_url], tmp_path)
    assert done.returncode == 1 and 'already holds users or leads' in done.stderr
