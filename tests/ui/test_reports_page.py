"""The reports page through NiceGUI's simulated user: the page opens with the panels empty and
fills them in the background; range changes recompute; a funnel click lists the leads; an
export downloads the panel's rows; reps see only their own numbers."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

from nicegui import app, ui
from nicegui.testing import User

from core.desk import Desk
from store.models import Role, UserRef
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_customers_page import won_deal


async def text_of(user: User, marker: str, expected: str | None = None) -> str:
    """A label's text, waiting (up to ~6 s) for `expected` when given."""
    await user.should_see(marker=marker, retries=100)
    label = next(iter(user.find(marker=marker).elements))
    assert isinstance(label, ui.label)
    for _ in range(120):
        if expected is None or label.text == expected:
            break
        await asyncio.sleep(0.05)
    return label.text


def capture(desk: Desk, rep: UserRef, count: int) -> list[int]:
    """Leads entered by hand and kept by their rep (now, on the running app's real clock)."""
    return [desk.leads.capture_lead(factories.lead_data(source='ads'), channel='manual', default_source='manual',
                                    actor=rep, keep_for_actor=True).lead_id for _ in range(count)]


async def test_page_opens_and_fills_the_funnel(user: User, team: Team) -> None:
    desk: Desk = app.state.desk
    capture(desk, team.rep_a, 2)
    capture(desk, team.rep_b, 1)
    await login(user, team.manager.email)
    await user.open('/reports')
    await user.should_see(marker='panel-funnel')
    assert await text_of(user, 'line-funnel-0', 'Captured: 3') == 'Captured: 3'
    assert await text_of(user, 'summary-win') == 'Win rate —'  # nothing closed: no division by zero
    await user.should_see(marker='panel-roi')
    await user.should_see('Reports')


async def test_changing_the_range_recomputes(user: User, team: Team) -> None:
    capture(app.state.desk, team.rep_a, 2)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 2')
    user.find(marker='report-start').elements.pop().set_value('2020-01-01')
    user.find(marker='report-end').elements.pop().set_value('2020-01-31')
    assert await text_of(user, 'line-funnel-0', 'Captured: 0') == 'Captured: 0', await text_of(user, 'report-status')
    preset = user.find(marker='report-preset').elements.pop()
    assert preset.value == 'custom'
    preset.set_value('this_month')
    assert await text_of(user, 'line-funnel-0', 'Captured: 2') == 'Captured: 2'


async def test_clicking_a_funnel_step_lists_its_leads(user: User, team: Team) -> None:
    ids = capture(app.state.desk, team.rep_a, 2)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 2')
    user.find(marker='chart-funnel').trigger('componentClick', {
        'componentType': 'series', 'seriesType': 'funnel', 'seriesIndex': 0, 'seriesName': '', 'name': 'Captured',
        'dataIndex': 0, 'data': {'name': 'Captured', 'value': 2}, 'value': 2})
    for lead_id in ids:
        await user.should_see(marker=f'drill-leads-{lead_id}', retries=100)
    await user.should_see('2 records')


def click(user: User, marker: str, index: int, name: str) -> None:
    """What ECharts sends when a bar or slice is clicked."""
    user.find(marker=marker).trigger('componentClick', {
        'componentType': 'series', 'seriesType': 'bar', 'seriesIndex': 0, 'seriesName': '', 'name': name,
        'dataIndex': index, 'data': {'name': name}, 'value': 0})


async def test_clicking_a_rep_in_the_response_ranking_lists_their_leads(user: User, team: Team) -> None:
    ids = capture(app.state.desk, team.rep_a, 2)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 2')
    click(user, 'chart-response', 0, team.rep_a.name)
    for lead_id in ids:
        await user.should_see(marker=f'drill-leads-{lead_id}', retries=100)
    await user.should_see('2 records')


async def test_clicking_a_channel_in_roi_lists_its_leads(user: User, team: Team) -> None:
    ids = capture(app.state.desk, team.rep_a, 3)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 3')
    click(user, 'chart-roi', 0, 'Ads')
    for lead_id in ids:
        await user.should_see(marker=f'drill-leads-{lead_id}', retries=100)
    await user.should_see('3 records')


async def test_export_downloads_the_panel_rows(user: User, team: Team) -> None:
    capture(app.state.desk, team.rep_a, 3)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 3')
    user.find(marker='export-funnel-csv').click()
    response = await user.download.next(timeout=5)
    assert response.content.startswith(b'\xef\xbb\xbf')
    rows = list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert [(r['step'], r['count']) for r in rows] == [('captured', '3'), ('contacted', '0'), ('qualified', '0'),
                                                        ('opportunity', '0'), ('won', '0')]


async def test_rep_sees_only_own_numbers_and_no_costs(user: User, team: Team) -> None:
    capture(app.state.desk, team.rep_a, 2)
    capture(app.state.desk, team.rep_b, 3)
    await login(user, team.rep_a.email)
    await user.open('/reports')
    assert await text_of(user, 'line-funnel-0', 'Captured: 2') == 'Captured: 2'
    await user.should_see('My numbers')
    await user.should_not_see(marker='panel-roi')


async def test_nav_link_for_everyone_reps_reach_their_own_numbers(user: User, team: Team) -> None:
    marketing = factories.user(team.desk, Role.MARKETING)
    await login(user, marketing.email)
    await user.should_see('Reports')
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit', retries=50)  # /logout answered: signed out
    await login(user, team.rep_a.email)
    user.find(kind=ui.link, content='Reports').click()  # the header's link (a phone's drawer lists it too)
    await user.should_see('My numbers')


async def test_marketing_enters_a_channel_cost(user: User, team: Team) -> None:
    marketing = factories.user(team.desk, Role.MARKETING)
    capture(app.state.desk, team.rep_a, 2)
    await login(user, marketing.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 2')
    month = app.state.desk.reports.today().strftime('%Y-%m')
    user.find(marker='cost-source').elements.pop().set_value('ads')
    user.find(marker='cost-month').elements.pop().set_value(month)
    user.find(marker='cost-amount').type('300')
    user.find(marker='cost-save').click()
    await user.should_see('Saved')
    table = next(iter(user.find(marker='table-roi').elements))
    assert isinstance(table, ui.table)
    for _ in range(100):
        ads = [r for r in table.rows if r['source'] == 'Ads']
        if ads and ads[0]['cost'] != '¥0':
            break
        await asyncio.sleep(0.05)
    assert ads[0]['leads'] == 2 and ads[0]['cost'] != '¥0'


async def test_headline_tiles_show_the_panels_figures_and_sections_link_to_panels(user: User, team: Team) -> None:
    desk: Desk = app.state.desk
    capture(desk, team.rep_a, 2)
    capture(desk, team.rep_b, 1)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 3')
    assert await text_of(user, 'tile-value-captured', '3') == '3'  # the funnel's first step
    assert await text_of(user, 'tile-value-win') == '—'  # as the win panel: nothing closed yet
    assert (await text_of(user, 'tile-value-pipeline')).startswith('¥')
    for key in ('captured', 'qualified', 'win', 'response', 'pipeline'):
        await user.should_see(marker=f'tile-{key}')
    for key in ('funnel', 'win', 'forecast', 'roi', 'care', 'checklist'):
        link = next(iter(user.find(marker=f'section-{key}').elements))
        assert isinstance(link, ui.link)
        assert link.props['href'].startswith('#c')  # the panel's own anchor on this page


async def test_conversion_grouped_by_a_custom_select_drills_and_exports(user: User, team: Team) -> None:
    desk: Desk = app.state.desk
    desk.custom_fields.define_field(
        None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
        options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'},
                 {'key': 'erp', 'label_zh': '企业资源', 'label_en': 'ERP'}])
    ids: dict[str | None, list[int]] = {}
    for product in ('crm', 'crm', 'erp', None):
        data = factories.lead_data(name=f'Wants {product}') | ({'custom': {'product': product}} if product else {})
        ids.setdefault(product, []).append(desk.leads.capture_lead(
            data, channel='manual', default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id)
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 4')
    switch = user.find(marker='dim-conversion').elements.pop()
    assert isinstance(switch, ui.select)
    assert switch.options == {'source': 'Source', 'region': 'Region', 'industry': 'Industry', 'owner_id': 'Rep',
                              'department': 'Department', 'custom.product': 'Product'}
    switch.set_value('custom.product')
    table = user.find(marker='table-conversion').elements.pop()
    assert isinstance(table, ui.table)
    for _ in range(100):
        if table.rows and table.rows[0]['key'] == 'CRM':
            break
        await asyncio.sleep(0.05)
    assert [(r['key'], r['captured']) for r in table.rows] == [('CRM', 2), ('(none)', 1), ('ERP', 1)]

    click(user, 'chart-conversion', 0, 'CRM')  # the CRM bar lists its two leads
    for lead_id in ids['crm']:
        await user.should_see(marker=f'drill-leads-{lead_id}', retries=100)
    await user.should_see('2 records')

    user.find(marker='export-conversion-csv').click()
    response = await user.download.next(timeout=5)
    rows = list(csv.DictReader(io.StringIO(response.content.decode('utf-8-sig'))))
    assert [(r['key'], r['label'], r['captured']) for r in rows] == [('crm', 'CRM', '2'), ('', '', '1'),
                                                                     ('erp', 'ERP', '1')]


async def test_the_sales_cycle_groups_by_a_custom_select_and_drills(user: User, team: Team) -> None:
    """Without a custom field the cycle panel has no switch (source is its only grouping); with one,
    the switch lists source and the field, the lines name the field's values, a bar lists its deals."""
    desk: Desk = app.state.desk
    await login(user, team.manager.email)
    await user.open('/reports')
    await text_of(user, 'line-funnel-0', 'Captured: 0')
    await user.should_not_see(marker='dim-cycle')
    desk.custom_fields.define_field(
        None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
        options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'}])
    _, deal = won_deal(team, team.rep_a, 'Huaxin Tech', custom={'product': 'crm'})
    won_deal(team, team.rep_a, 'Other Co')
    await user.open('/reports')
    closed = team.desk.ctx.now().date()  # the team's desk runs on the fake clock: the deals closed on its day
    user.find(marker='report-start').elements.pop().set_value(str(closed - timedelta(days=1)))
    user.find(marker='report-end').elements.pop().set_value(str(closed + timedelta(days=1)))
    switch = user.find(marker='dim-cycle').elements.pop()
    assert isinstance(switch, ui.select)
    assert switch.options == {'source': 'Source', 'custom.product': 'Product'}
    assert await text_of(user, 'summary-cycle', '2 deals won') == '2 deals won'
    switch.set_value('custom.product')
    await text_of(user, 'line-cycle-1')
    lines: list[str] = []
    for _ in range(100):
        lines = [await text_of(user, f'line-cycle-{i}') for i in range(2)]
        if any(line.startswith('CRM:') for line in lines):
            break
        await asyncio.sleep(0.05)
    assert sorted(line.split(':')[0] for line in lines) == ['(none)', 'CRM']
    click(user, 'chart-cycle', [line.startswith('CRM:') for line in lines].index(True), 'CRM')
    await user.should_see(marker=f'drill-opportunities-{deal}', retries=100)
    await user.should_see('1 records')
