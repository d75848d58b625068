"""The conversion, win-rate and sales-cycle panels grouped by a custom field, on test_reports.py's hand-made team.

Values set on that team's leads (see test_reports.py for everything else):
  product (single select: a 甲 Alpha, b 乙 Beta):  L1 a, L2 a, L9 a, L3 b, L6 b, L10 a; the rest none
  vip (yes/no):                                    L3 yes, L4 no; the rest none
March cohort L1 L2 L3 L4 L5 L9, converted L3 L4; closed in March O1 (L3, won 1,000.00), O2 (L4, lost),
O3 (L6, won 500.00), O4 (L10, lost).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from core.desk import Desk
from core.errors import ValidationFailed
from store.models import Lead, Opportunity
from tests.unit.test_reports import MARCH, Data, data, records  # noqa: F401  (data: the fixture)

PRODUCT = 'custom.product'
VIP = 'custom.vip'


@pytest.fixture
def fields(desk: Desk, data: Data) -> Data:  # noqa: F811
    define = desk.custom_fields.define_field
    define(None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
           options=[{'key': 'a', 'label_zh': '甲', 'label_en': 'Alpha'},
                    {'key': 'b', 'label_zh': '乙', 'label_en': 'Beta'}])
    define(None, entity='lead', key='vip', type='yes_no', label_zh='贵宾', label_en='VIP')
    define(None, entity='lead', key='tags', type='multi_select', label_zh='标签', label_en='Tags',
           options=[{'key': 'x', 'label_zh': '叉', 'label_en': 'X'}])
    values: dict[str, dict[str, Any]] = {
        'L1': {'product': 'a'}, 'L2': {'product': 'a'}, 'L9': {'product': 'a'}, 'L3': {'product': 'b', 'vip': True},
        'L6': {'product': 'b'}, 'L10': {'product': 'a'}, 'L4': {'vip': False, 'tags': ['x']}}
    with desk.ctx.write() as s:
        for lead in s.exec(select(Lead).where(col(Lead.id).in_([data.leads[k] for k in values]))):
            lead.custom = next(v for k, v in values.items() if data.leads[k] == lead.id)
    return data


def test_conversion_and_win_rate_by_a_select_field(desk: Desk, fields: Data) -> None:
    by = desk.reports.by_custom_field(fields.manager, MARCH, PRODUCT, 'en')
    # a: L1 L2 L9, none converted; none: L4 L5 (L4 converted); b: L3 converted
    assert records(by.conversion, 'key', 'label', 'captured', 'converted', 'rate') == [
        ('a', 'Alpha', 3, 0, 0.0), (None, '', 2, 1, 0.5), ('b', 'Beta', 1, 1, 1.0)]
    # b: O1 + O3 won (1,500.00); none: O2 lost; a: O4 lost
    assert records(by.win, 'key', 'label', 'won', 'lost', 'rate', 'won_cents') == [
        ('b', 'Beta', 2, 0, 1.0, 150_000), (None, '', 0, 1, 0.0, 0), ('a', 'Alpha', 0, 1, 0.0, 0)]
    chinese = desk.reports.by_custom_field(fields.manager, MARCH, PRODUCT, 'zh-CN')
    assert chinese.conversion['label'].tolist() == ['甲', '', '乙']


def test_the_breakdown_adds_up_to_the_panels_it_replaces(desk: Desk, fields: Data) -> None:
    report = desk.reports.report(fields.manager, MARCH)
    for dimension in (PRODUCT, VIP):
        by = desk.reports.by_custom_field(fields.manager, MARCH, dimension)
        assert by.conversion['captured'].sum() == report.conversion['source']['captured'].sum() == 6
        assert by.conversion['converted'].sum() == report.conversion['source']['converted'].sum() == 2
        assert by.win['won'].sum() == report.win['source']['won'].sum()
        assert by.win['lost'].sum() == report.win['source']['lost'].sum()


def test_the_sales_cycle_by_a_select_field(desk: Desk, fields: Data) -> None:
    """Won in March: O1 (L3, b) and O3 (L6, b); the panel's median is of capture → win per value."""
    with desk.ctx.read() as s:
        days = sorted((s.get(Opportunity, fields.deals[o]).closed_at
                       - s.get(Lead, fields.leads[lead]).created_at).total_seconds() / 86400
                      for o, lead in (('O1', 'L3'), ('O3', 'L6')))
    by = desk.reports.by_custom_field(fields.manager, MARCH, PRODUCT, 'en')
    assert records(by.cycle, 'key', 'label', 'won') == [('b', 'Beta', 2)]
    assert by.cycle['median_days'][0] == pytest.approx(sum(days) / 2, abs=0.05)
    report = desk.reports.report(fields.manager, MARCH)
    assert by.cycle['won'].sum() == report.cycle['won'].sum()
    vip = desk.reports.by_custom_field(fields.manager, MARCH, VIP, 'zh-CN')  # O1's lead is a VIP, O3's has no value
    assert sorted(records(vip.cycle, 'label', 'won'), key=str) == [('', 1), ('是', 1)]
    won = desk.reports.closed_opportunities(fields.manager, MARCH, PRODUCT, 'b', kind='won')  # the bar's deals
    assert sorted(r['id'] for r in won) == sorted(fields.deals[o] for o in ('O1', 'O3'))
    text = desk.export.export_report(fields.manager, MARCH, 'csv', 'sales_cycle_by_custom.product').decode('utf-8-sig')
    assert text.splitlines()[0].split(',')[:3] == ['key', 'won', 'median_days']
    assert text.splitlines()[1].split(',')[:2] == ['b', '2']


def test_a_yes_no_field_groups_into_yes_no_and_none(desk: Desk, fields: Data) -> None:
    by = desk.reports.by_custom_field(fields.manager, MARCH, VIP, 'zh-CN')
    assert records(by.conversion, 'key', 'label', 'captured', 'converted') == [
        (None, '', 4, 0), (False, '否', 1, 1), (True, '是', 1, 1)]
    assert records(by.win, 'key', 'won', 'lost') == [(None, 1, 1), (False, 0, 1), (True, 1, 0)]


def test_a_rep_sees_only_their_own_leads_grouped(desk: Desk, fields: Data) -> None:
    by = desk.reports.by_custom_field(fields.zhao, MARCH, PRODUCT)  # Zhao: L4 L5 L9
    assert records(by.conversion, 'key', 'captured') == [(None, 2), ('a', 1)]


def test_clicking_a_bar_lists_the_records_of_that_value(desk: Desk, fields: Data) -> None:
    leads = desk.reports.cohort_leads(fields.manager, MARCH, PRODUCT, 'a')
    assert sorted(r['id'] for r in leads) == sorted(fields.leads[k] for k in ('L1', 'L2', 'L9'))
    none = desk.reports.cohort_leads(fields.manager, MARCH, PRODUCT, None, converted=True)
    assert [r['id'] for r in none] == [fields.leads['L4']]
    won = desk.reports.closed_opportunities(fields.manager, MARCH, VIP, True)
    assert [r['id'] for r in won] == [fields.deals['O1']]
    lost = desk.reports.closed_opportunities(fields.manager, MARCH, PRODUCT, 'a', kind='lost')
    assert [r['id'] for r in lost] == [fields.deals['O4']]


@pytest.mark.parametrize('dimension', ['custom.nope', 'custom.tags', 'product', 'custom.'])
def test_a_field_that_cannot_group_is_refused(desk: Desk, fields: Data, dimension: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        desk.reports.by_custom_field(fields.manager, MARCH, dimension)
    assert caught.value.errors == {'dimension': 'invalid'}
    with pytest.raises(ValidationFailed):
        desk.reports.cohort_leads(fields.manager, MARCH, dimension, 'a')


def test_a_value_the_field_does_not_have_is_refused_not_searched(desk: Desk, fields: Data) -> None:
    with pytest.raises(ValidationFailed):
        desk.reports.cohort_leads(fields.manager, MARCH, PRODUCT, "a' OR '1'='1")
    with pytest.raises(ValidationFailed):
        desk.reports.closed_opportunities(fields.manager, MARCH, VIP, 'yes')  # the bar's key is True / False


def test_a_retired_field_no_longer_groups(desk: Desk, fields: Data) -> None:
    assert [d.key for d in desk.reports.groupable_fields()] == ['product', 'vip']
    desk.custom_fields.retire_field(None, entity='lead', key='product')
    assert [d.key for d in desk.reports.groupable_fields()] == ['vip']
    with pytest.raises(ValidationFailed):
        desk.reports.by_custom_field(fields.manager, MARCH, PRODUCT)


def test_the_grouped_panel_exports_with_readable_labels(desk: Desk, fields: Data) -> None:
    text = desk.export.export_report(fields.manager, MARCH, 'csv', 'conversion_by_custom.product').decode('utf-8-sig')
    lines = text.splitlines()
    assert lines[0].split(',')[:4] == ['key', 'label', 'captured', 'converted']
    assert lines[1].split(',')[:4] == ['a', '甲', '3', '0']
    win = desk.export.export_report(fields.manager, MARCH, 'csv', 'win_rate_by_custom.vip').decode('utf-8-sig')
    # the won count stays a count beside the won amount (`won_cents` in yuan): O3 won 500.00, O4 lost
    assert win.splitlines()[:2] == ['key,label,won,lost,closed,rate,won_amount', ',,1,1,2,0.5,500.00']
    with pytest.raises(ValidationFailed):
        desk.export.export_report(fields.manager, MARCH, 'csv', 'conversion_by_custom.tags')
