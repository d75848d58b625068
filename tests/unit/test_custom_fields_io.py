"""Custom fields in imports and exports: the fields as import targets guessed from their key and
both labels, cells read (option labels, several options, dates) and checked by type per row, and
lead exports (CSV and XLSX) with a readable column per field in each language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.custom_fields.text import Cells, readable
from core.custom_fields.values import CustomFields, Definition, Option
from core.desk import Desk
from core.errors import ValidationFailed
from core.imports.mapping import guess_field, row_data, suggest_mapping, targets
from core.imports.worker import Validator, prepare
from store.models import ImportRow, Lead
from tests import factories
from tests.unit.db import rows
from tests.unit.test_export import read_csv, read_xlsx
from tests.unit.test_import import csv_bytes, fates, run_import

PRODUCT = ({'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'},
           {'key': 'erp', 'label_zh': '企业资源', 'label_en': 'ERP Suite'})
CHANNELS = ({'key': 'east', 'label_zh': '华东代理', 'label_en': 'East agent'},
            {'key': 'north', 'label_zh': '华北代理', 'label_en': 'North agent'})


def define(desk: Desk) -> None:
    """The issue's own examples: 意向产品, 渠道代理, 门店数, 合同到期日, and money and yes/no."""
    fields = desk.custom_fields
    fields.define_field(None, entity='lead', key='product', type='single_select', label_zh='意向产品',
                        label_en='Product', options=PRODUCT)
    fields.define_field(None, entity='lead', key='channels', type='multi_select', label_zh='渠道代理',
                        label_en='Agents', options=CHANNELS)
    fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数', label_en='Store count')
    fields.define_field(None, entity='lead', key='renewal', type='date', label_zh='合同到期日',
                        label_en='Contract end', required=True)
    fields.define_field(None, entity='lead', key='deposit', type='money', label_zh='定金', label_en='Deposit')
    fields.define_field(None, entity='lead', key='vip', type='yes_no', label_zh='重点客户', label_en='VIP')


def custom_of(desk: Desk) -> CustomFields:
    with desk.ctx.read() as session:
        return desk.ctx.capture_config.load(session).custom


# ----- mapping (pure) ----------------------------------------------------------------------------

PURE = CustomFields([
    Definition('product', 'single_select', '意向产品', 'Product', (Option('crm', '客户管理', 'CRM'),)),
    Definition('stores', 'number', '门店数', 'Store count'),
    Definition('old', 'text', '旧字段', 'Old', is_retired=True),
])


@pytest.mark.parametrize(('header', 'target'), [
    ('意向产品', 'custom.product'), ('Product', 'custom.product'), (' PRODUCT ', 'custom.product'),
    ('门店数', 'custom.stores'), ('store count', 'custom.stores'), ('StoreCount', 'custom.stores'),
    ('stores', 'custom.stores'), ('门店数（必填）', 'custom.stores'), ('旧字段', None), ('Old', None),
    ('手机', 'phone'), ('Name', 'name'),
])
def test_a_header_naming_a_custom_field_s_key_or_either_label_maps_to_it(header: str, target: str | None) -> None:
    assert guess_field(header, PURE) == target


def test_active_custom_fields_are_targets_after_the_built_in_ones() -> None:
    assert targets(PURE)[-2:] == ('custom.product', 'custom.stores')
    assert 'custom.old' not in targets(PURE)
    assert suggest_mapping(['姓名', 'Product', '意向产品'], custom=PURE) == ['name', 'custom.product', None]
    assert suggest_mapping(['Product'], {'Product': 'custom.old'}, PURE) == [None]  # a template's retired field


def test_a_row_s_custom_cells_go_to_its_custom_object_read_as_their_type() -> None:
    data, _ = row_data(['李明', '客户管理', '12', ''], ['name', 'custom.product', 'custom.stores', 'custom.old'],
                       PURE)
    assert data == {'name': '李明', 'custom': {'product': 'crm', 'stores': '12'}}
    assert row_data(['李明', ''], ['name', 'custom.product'], PURE)[0] == {'name': '李明'}


def test_cells_name_options_by_key_or_label_and_dates_in_common_forms() -> None:
    fields = CustomFields([
        Definition('ms', 'multi_select', 'm', 'm', (Option('a', '甲', 'Alpha'), Option('b', '乙', 'Beta, Inc'))),
        Definition('d', 'date', 'd', 'd')])
    cells = Cells(fields)
    assert cells.value('ms', '甲、Beta, Inc') == ['a', 'Beta', 'Inc']  # split first: a comma separates
    assert cells.value('ms', 'Beta, Inc') == ['b']  # the whole cell naming one option wins
    assert cells.value('ms', 'alpha; 乙') == ['a', 'b']
    assert cells.value('ms', 'alpha; gamma') == ['a', 'gamma']  # left for the check to refuse
    assert [cells.value('d', v) for v in ('2027/3/1', '2027年3月1日', '2027-03-01 00:00:00', 'soon')] == [
        '2027-03-01', '2027-03-01', '2027-03-01', 'soon']


# ----- import ------------------------------------------------------------------------------------

LINES = [
    ['姓名', '手机', '意向产品', 'Agents', '门店数', 'contract end', 'Deposit', '重点客户'],
    ['张伟', '13800138001', 'ERP Suite', '华东代理、North agent', '12', '2027/3/31', '¥8000.5', '是'],
    ['李娜', '13900138002', 'crm', '', 'many', '2027-02-30', '', 'maybe'],
    ['王芳', '13700137003', '', '', '', '', '', ''],
    ['赵强', '13600136004', '第三种', '', '3', '', '', 'no'],
]


def test_a_csv_with_custom_columns_is_guessed_checked_and_stored(desk: Desk) -> None:
    define(desk)
    draft = desk.imports.upload(factories.admin(desk), 'leads.csv', csv_bytes(LINES, 'utf-8-sig'))
    assert draft.mapping == ['name', 'phone', 'custom.product', 'custom.channels', 'custom.stores',
                             'custom.renewal', 'custom.deposit', 'custom.vip']
    desk.imports.start(factories.admin(desk), draft.job_id, draft.mapping, background=False)
    fate = fates(desk, draft.job_id)
    assert [fate[n][0] for n in (2, 3, 4, 5)] == ['created', 'failed', 'created', 'failed']
    assert fate[3][2] == {'custom.stores': 'not_number', 'custom.renewal': 'invalid_date',
                          'custom.vip': 'not_yes_no'}  # every bad value named, nothing else of the row kept
    assert fate[5][2] == {'custom.product': 'invalid_option'}
    leads = {lead.name: lead for lead in rows(desk, Lead)}
    assert set(leads) == {'张伟', '王芳'}  # the failed rows stored nothing
    assert leads['张伟'].custom == {'product': 'erp', 'channels': ['east', 'north'], 'stores': 12,
                                    'renewal': '2027-03-31', 'deposit': 800050, 'vip': True}
    assert leads['王芳'].custom == {}  # a required field is not enforced on import
    failed = desk.imports.failed_csv(factories.admin(desk), draft.job_id).decode('utf-8-sig')
    assert 'custom.stores: not_number' in failed


def test_the_worker_process_reads_and_checks_custom_cells_as_the_capture_path_does(desk: Desk) -> None:
    define(desk)
    custom = custom_of(desk)
    mapping = suggest_mapping(LINES[0], custom=custom)
    body = LINES[1:]
    with Validator(enabled=True, mapping=mapping, default_source='import', region='CN',
                   custom=custom.definitions) as worker:
        assert worker.submit(body)
        got = worker.take()
    assert got is not None
    mine = prepare(body, mapping, 'import', 'CN', custom)
    assert [o.errors if isinstance(o, ValidationFailed) else o.custom for o in got] == [
        fields['custom'] if ok else fields for ok, fields in mine]
    assert [isinstance(o, ValidationFailed) for o in got] == [False, True, False, True]


def test_a_many_batch_import_stores_custom_values_through_the_worker(desk: Desk) -> None:
    define(desk)
    desk.imports.batch_rows = 2
    lines = [['name', 'phone', 'Store count']] + [[f'N{i}', f'1360013{i:04d}', str(i) if i % 4 else 'x']
                                                 for i in range(10)]
    fate = fates(desk, run_import(desk, 'many.csv', csv_bytes(lines, 'utf-8')))
    assert {n: f[2] for n, f in fate.items() if f[0] == 'failed'} == {
        n: {'custom.stores': 'not_number'} for n in (2, 6, 10)}
    assert sorted(lead.custom['stores'] for lead in rows(desk, Lead)) == [1, 2, 3, 5, 6, 7, 9]


def test_a_retired_field_is_no_target_and_its_mapping_is_refused(desk: Desk) -> None:
    define(desk)
    actor = factories.admin(desk)
    desk.custom_fields.retire_field(None, entity='lead', key='stores')
    draft = desk.imports.upload(actor, 'leads.csv', csv_bytes(LINES[:2], 'utf-8'))
    assert draft.mapping[4] is None
    with pytest.raises(ValidationFailed) as info:
        desk.imports.start(actor, draft.job_id, [*draft.mapping[:4], 'custom.stores', *draft.mapping[5:]],
                           background=False)
    assert info.value.errors == {'mapping': 'invalid'}
    assert [d.key for d in desk.imports.custom_fields(actor)][2] == 'stores'  # still named for old reports


def test_the_preview_names_a_bad_custom_value(desk: Desk) -> None:
    define(desk)
    actor = factories.admin(desk)
    draft = desk.imports.upload(actor, 'leads.csv', csv_bytes(LINES, 'utf-8'))
    preview = desk.imports.preview(actor, draft.job_id, draft.mapping)
    assert [r.problems for r in preview.rows][:2] == [
        {}, {'custom.stores': 'not_number', 'custom.renewal': 'invalid_date', 'custom.vip': 'not_yes_no'}]
    assert rows(desk, ImportRow) == [] and rows(desk, Lead) == []


# ----- export ------------------------------------------------------------------------------------

def test_readable_values_in_each_language() -> None:
    select = Definition('s', 'multi_select', 's', 's', (Option('a', '甲', 'Alpha'), Option('b', '乙', 'Beta')))
    assert readable(select, ['b', 'a'], 'zh-CN') == '乙、甲'
    assert readable(select, ['b', 'a'], 'en') == 'Beta, Alpha'
    assert readable(Definition('m', 'money', 'm', 'm'), 800050, 'en') == Decimal('8000.50')
    assert readable(Definition('y', 'yes_no', 'y', 'y'), False, 'zh-CN') == '否'
    assert readable(Definition('y', 'yes_no', 'y', 'y'), [], 'zh-CN') is None


def imported(desk: Desk) -> None:
    define(desk)
    run_import(desk, 'leads.csv', csv_bytes(LINES, 'utf-8'))


def test_lead_csv_has_a_readable_column_per_custom_field_in_chinese(desk: Desk) -> None:
    imported(desk)
    manager = factories.admin(desk)
    by_name = {r['name']: r for r in read_csv(desk.export.export_list(manager, 'leads', 'csv', language='zh-CN'))}
    zhang = by_name['张伟']
    assert {k: zhang[k] for k in ('意向产品', '渠道代理', '门店数', '合同到期日', '定金', '重点客户')} == {
        '意向产品': '企业资源', '渠道代理': '华东代理、华北代理', '门店数': '12', '合同到期日': '2027-03-31',
        '定金': '8000.50', '重点客户': '是'}
    assert by_name['王芳']['意向产品'] == '' and by_name['王芳']['重点客户'] == ''
    assert list(zhang)[-6:] == ['意向产品', '渠道代理', '门店数', '合同到期日', '定金', '重点客户']


def test_lead_xlsx_in_english_and_retired_fields_only_when_held(desk: Desk) -> None:
    imported(desk)
    desk.custom_fields.define_field(None, entity='lead', key='unused', type='text', label_zh='未用', label_en='Unused')
    desk.custom_fields.retire_field(None, entity='lead', key='unused')
    desk.custom_fields.retire_field(None, entity='lead', key='vip')  # 张伟 holds a value: still exported
    desk.custom_fields.define_field(None, entity='lead', key='name_en', type='text', label_zh='英文名', label_en='name')
    manager = factories.admin(desk)
    sheet = read_xlsx(desk.export.export_list(manager, 'leads', 'xlsx', language='en'))
    zhang = next(r for r in sheet if r['name'] == '张伟')
    assert {k: zhang[k] for k in ('Product', 'Agents', 'Store count', 'Contract end', 'Deposit', 'VIP')} == {
        'Product': 'ERP Suite', 'Agents': 'East agent, North agent', 'Store count': 12,
        'Contract end': '2027-03-31', 'Deposit': 8000.5, 'VIP': 'Yes'}
    assert 'Unused' not in zhang and 'name (name_en)' in zhang  # a label that is a built-in column's name


def test_a_template_keeps_a_custom_target_for_the_next_file(desk: Desk) -> None:
    define(desk)
    actor = factories.admin(desk)
    headers = ['客户', 'Mobile', '店铺数量']
    template = desk.imports.save_template(actor, 'stores', headers, ['name', 'phone', 'custom.stores'])
    assert desk.imports.apply_template(actor, template, headers) == ['name', 'phone', 'custom.stores']
    draft = desk.imports.upload(actor, 'next.csv', csv_bytes([headers, ['李明', '13800138009', '7']], 'utf-8'))
    assert draft.mapping == ['name', 'phone', 'custom.stores']
