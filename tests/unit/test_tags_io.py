"""Tags through the other doors: an import's tags column (names or keys in either language, split
on commas, 、 or semicolons; an unknown tag fails its row), the lists' exports (a tags column in the
reader's language), the import worker process, and the webhook payload's lead."""

from __future__ import annotations

from core.desk import Desk
from core.imports.mapping import guess_field, row_data
from core.imports.worker import Validator
from store.models import Lead, TagEntity, WebhookDelivery
from tests import factories
from tests.unit.db import rows
from tests.unit.test_export import read_csv, read_xlsx
from tests.unit.test_import import csv_bytes, fates, run_import
from tests.unit.test_tags import define, held
from tests.unit.test_webhooks import hook


def test_a_tags_header_in_either_language_maps_to_tags() -> None:
    assert [guess_field(h) for h in ('标签', 'Tags', 'tag')] == ['tags', 'tags', 'tags']


def test_a_tags_cell_splits_on_commas_and_enumeration_commas() -> None:
    data, _ = row_data(['张伟', '重点，展会、VIP; Fair'], ['name', 'tags'])
    assert data['tags'] == ['重点', '展会', 'VIP', 'Fair']


def test_an_import_puts_the_named_tags_on_and_fails_a_row_with_an_unknown_one(desk: Desk) -> None:
    vip, fair = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    job_id = run_import(desk, 'tags.csv', csv_bytes([
        ['姓名', '手机', '标签'],
        ['张伟', '13800138001', '重点、fair'],
        ['李娜', '13900139002', 'VIP'],
        ['王芳', '13700137003', '没有'],
    ], 'utf-8'))
    outcome = fates(desk, job_id)
    assert outcome[4][0] == 'failed' and outcome[4][2] == {'tags': 'unknown_tag'}
    assert held(desk, TagEntity.LEAD, outcome[2][1] or 0) == sorted([vip.id, fair.id])
    assert held(desk, TagEntity.LEAD, outcome[3][1] or 0) == [vip.id]


def test_the_import_worker_process_resolves_tags_too(desk: Desk) -> None:
    define(desk, '重点', 'VIP')
    tags = desk.tags.tag_set()
    with Validator(enabled=True, mapping=['name', 'phone', 'tags'], default_source='import', region='CN',
                   tags=tags.all) as worker:
        assert worker.submit([['张伟', '13800138001', 'vip'], ['李娜', '13900139002', 'nope']])
        done = worker.take()
    assert done is not None
    assert getattr(done[0], 'tags', None) == (tags.active[0].id,)
    assert getattr(done[1], 'errors', None) == {'tags': 'unknown_tag'}


def test_exports_end_with_the_tags_in_the_readers_language(desk: Desk) -> None:
    vip, fair = define(desk, '重点', 'VIP'), define(desk, '展会', 'Fair')
    manager = factories.user(desk, 'manager')
    lead_id = desk.leads.capture_lead(factories.lead_data(name='Tagged'), channel='manual',
                                      default_source='manual').lead_id
    for tag in (vip, fair):
        desk.record_tags.add_tag(manager, TagEntity.LEAD, lead_id, tag.id)
    zh = {r['name']: r for r in read_csv(desk.export.export_list(manager, 'leads', 'csv', language='zh-CN'))}
    assert zh['Tagged']['tags'] == '重点、展会'
    en = {r['name']: r for r in read_xlsx(desk.export.export_list(manager, 'leads', 'xlsx', language='en'))}
    assert en['Tagged']['tags'] == 'VIP, Fair'
    assert all('tags' in r for r in read_csv(desk.export.export_list(manager, 'customers', 'csv')))


def test_a_webhook_payload_carries_the_leads_tag_keys(desk: Desk) -> None:
    define(desk, '重点', 'VIP')
    factories.user(desk)
    hook(desk, 'http://127.0.0.1:9/hook', events=('lead.captured', 'lead.assigned'))
    lead_id = desk.leads.capture_lead(factories.lead_data(tags=['vip']), channel='api', default_source='api').lead_id
    payloads = [d.payload for d in rows(desk, WebhookDelivery)]
    assert payloads and all(p['lead']['id'] == lead_id and p['lead']['tags'] == ['vip'] for p in payloads)
    assert rows(desk, Lead)[0].id == lead_id
