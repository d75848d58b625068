"""The inbox: who sees what, search, live arrival, the New lead dialog."""

from __future__ import annotations

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User

from core.desk import Desk
from tests import factories
from tests.ui.conftest import Team, login


def table_names(user: User) -> list[str]:
    table = user.find(marker='inbox-table').elements.pop()
    assert isinstance(table, ui.table)
    return [row['name'] for row in table.rows]


async def wait_rows(user: User, expected: set[str], timeout: float = 3.0) -> list[str]:
    for _ in range(int(timeout / 0.05)):
        names = table_names(user)
        if expected <= set(names):
            return names
        await asyncio.sleep(0.05)
    return table_names(user)


async def test_rep_sees_only_own_leads(user: User, team: Team) -> None:
    desk = team.desk
    desk.leads.capture_lead(factories.lead_data(name='Mine'), channel='manual', default_source='manual',
                            actor=team.rep_a, keep_for_actor=True)
    desk.leads.capture_lead(factories.lead_data(name='Theirs'), channel='manual', default_source='manual',
                            actor=team.rep_b, keep_for_actor=True)
    await login(user, team.rep_a.email)
    names = await wait_rows(user, {'Mine'})
    assert names == ['Mine']


async def test_manager_sees_all_leads_with_owner(user: User, team: Team) -> None:
    desk = team.desk
    for name, rep in (('Alpha', team.rep_a), ('Beta', team.rep_b)):
        desk.leads.capture_lead(factories.lead_data(name=name), channel='manual', default_source='manual',
                                actor=rep, keep_for_actor=True)
    await login(user, team.manager.email)
    assert set(await wait_rows(user, {'Alpha', 'Beta'})) == {'Alpha', 'Beta'}
    table = user.find(marker='inbox-table').elements.pop()
    owners = {row['name']: row['owner'] for row in table.rows}
    assert owners == {'Alpha': 'Rep Li', 'Beta': 'Rep Zhao'}


async def test_search_filters_the_inbox(user: User, team: Team) -> None:
    for name in ('Zhang Wei', 'Liu Yang'):
        team.desk.leads.capture_lead(factories.lead_data(name=name), channel='manual', default_source='manual')
    await login(user, team.manager.email)
    await wait_rows(user, {'Zhang Wei', 'Liu Yang'})
    user.find(marker='inbox-search').type('Zhang')
    for _ in range(60):
        if table_names(user) == ['Zhang Wei']:
            break
        await asyncio.sleep(0.05)
    assert table_names(user) == ['Zhang Wei']


async def test_a_searched_inbox_says_where_its_count_stopped(user: User, team: Team,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A searched inbox counts to SEARCH_COUNT_CAP (2,000; here 2) and says "2+" beyond it."""
    from store.queries import leads as lead_queries

    monkeypatch.setattr(lead_queries, 'SEARCH_COUNT_CAP', 2)
    for name in ('Zhang One', 'Zhang Two', 'Zhang Three'):
        team.desk.leads.capture_lead(factories.lead_data(name=name), channel='manual', default_source='manual')
    await login(user, team.manager.email)
    await wait_rows(user, {'Zhang One'})
    await user.should_see('3 leads', marker='inbox-pager')  # no search: counted whole
    user.find(marker='inbox-search').type('Zhang')
    await user.should_see('2+ leads', marker='inbox-pager')


async def test_lead_captured_elsewhere_appears_live(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await asyncio.sleep(0.2)
    # The running app's own desk publishes the event, as the web form or API would.
    app_desk = _app_desk()
    app_desk.leads.capture_lead(factories.lead_data(name='Live Arrival'), channel='api', default_source='api')
    assert 'Live Arrival' in await wait_rows(user, {'Live Arrival'})


async def test_imported_leads_appear_live_in_the_reps_inbox(user: User, team: Team) -> None:
    """An import publishes one event per batch (not one per lead); the open inbox refreshes."""
    await login(user, team.rep_a.email)
    await asyncio.sleep(0.2)
    app_desk = _app_desk()
    data = b'name,phone\r\nImported One,13300133001\r\nImported Two,13300133002\r\n'
    draft = app_desk.imports.upload(team.admin, 'live.csv', data)
    app_desk.imports.start(team.admin, draft.job_id, draft.mapping, {'assign': 'rep', 'rep_id': team.rep_a.id})
    names = await wait_rows(user, {'Imported One', 'Imported Two'}, timeout=10)
    assert {'Imported One', 'Imported Two'} <= set(names)
    app_desk.imports.join(draft.job_id, timeout=30)


async def test_new_lead_dialog_shows_field_errors_and_saves(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    user.find(marker='new-lead').click()
    user.find(marker='new-name').type('Qian Lei')
    user.find(marker='new-phone').type('12')
    user.find(marker='new-save').click()
    await user.should_see('Not a valid phone number', retries=50)
    user.find(marker='new-phone').clear().type('13912345678')
    user.find(marker='new-save').click()
    assert 'Qian Lei' in await wait_rows(user, {'Qian Lei'})


def _app_desk() -> Desk:
    """The Desk run.py built for the app under test: events published through it reach the pages."""
    from nicegui import app

    return app.state.desk


async def test_inbox_shows_phones_in_national_format_with_a_tel_link(user: User, team: Team) -> None:
    team.desk.leads.capture_lead(factories.lead_data(name='Dial', phone='+8615994903672'), channel='manual',
                                 default_source='manual', actor=team.rep_a, keep_for_actor=True)
    await login(user, team.rep_a.email)
    await wait_rows(user, {'Dial'})
    table = user.find(marker='inbox-table').elements.pop()
    assert isinstance(table, ui.table)
    row = next(r for r in table.rows if r['name'] == 'Dial')
    assert (row['phone'], row['tel']) == ('159 9490 3672', 'tel:+8615994903672')


def _columns_of(user: User, marker: str = 'inbox-table') -> list[str]:
    table = user.find(marker=marker).elements.pop()
    assert isinstance(table, ui.table)
    return [c['name'] for c in table.columns]


async def test_column_chooser_shows_hides_and_remembers_per_user(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.should_see(marker='inbox-columns')
    shown = _columns_of(user)
    assert 'created' not in shown and {'name', 'phone', 'owner', 'next'} <= set(shown)  # fits 1280 px
    user.find(marker='inbox-columns').click()
    user.find(marker='inbox-col-created').click()
    user.find(marker='inbox-col-company').click()
    for _ in range(60):
        if team.desk.team.inbox_columns(team.manager) != shown:
            break
        await asyncio.sleep(0.05)
    expected = [c for c in (*shown, 'created') if c != 'company']
    assert _columns_of(user) == expected
    assert team.desk.team.inbox_columns(team.manager) == expected
    assert team.desk.team.inbox_columns(team.rep_a) != expected  # another user's choice is their own
    await user.open('/')
    await user.should_see(marker='inbox-columns')
    assert _columns_of(user) == expected


async def test_follow_up_list_leaves_pool_leads_out_unless_asked(user: User, team: Team) -> None:
    desk = team.desk
    for rep in (team.rep_a, team.rep_b):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': True})
    pooled = desk.leads.capture_lead(factories.lead_data(name='Pooled Lead'), channel='manual',
                                     default_source='manual')
    assert desk.leads.lead_view(team.manager, pooled.lead_id).lead.status == 'pool'
    desk.leads.capture_lead(factories.lead_data(name='Owned Lead'), channel='manual', default_source='manual',
                            actor=team.rep_a, keep_for_actor=True)
    await login(user, team.manager.email)
    await wait_rows(user, {'Owned Lead'})
    await asyncio.sleep(0.2)
    assert table_names(user) == ['Owned Lead']
    user.find(marker='filter-pool').click()
    assert set(await wait_rows(user, {'Pooled Lead', 'Owned Lead'})) == {'Pooled Lead', 'Owned Lead'}


async def test_inbox_rows_are_keyboard_reachable_and_keys_are_listed(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.should_see(marker='inbox-table')
    table = user.find(marker='inbox-table').elements.pop()
    body = table.slots['body'].template or ''
    assert 'tabindex="0"' in body and '@keydown.enter' in body
    user.find(marker='inbox-keys').click()
    await user.should_see(marker='inbox-help')
    await user.should_see('Keyboard shortcuts')
    await user.should_see('Next lead')


def _define_product(team: Team) -> None:
    team.desk.custom_fields.define_field(
        None, entity='lead', key='product', type='single_select', label_zh='意向产品', label_en='Product',
        options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'},
                 {'key': 'erp', 'label_zh': '企业资源', 'label_en': 'ERP'}])
    team.desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores')
    for name, product in (('Wants CRM', 'crm'), ('Wants ERP', 'erp'), ('Wants nothing', None)):
        data = factories.lead_data(name=name) | ({'custom': {'product': product}} if product else {})
        team.desk.leads.capture_lead(data, channel='manual', default_source='manual', actor=team.rep_a,
                                     keep_for_actor=True)


async def test_a_manager_filters_the_inbox_by_a_custom_select(user: User, team: Team) -> None:
    _define_product(team)
    await login(user, team.manager.email)
    await wait_rows(user, {'Wants CRM', 'Wants ERP', 'Wants nothing'})
    select = user.find(marker='filter-custom-product').elements.pop()
    assert isinstance(select, ui.select)
    assert select.props['label'] == 'Product' and select.options == {'crm': 'CRM', 'erp': 'ERP'}
    await user.should_not_see(marker='filter-custom-stores')  # only selects filter here
    select.set_value('erp')
    for _ in range(60):
        if table_names(user) == ['Wants ERP']:
            break
        await asyncio.sleep(0.05)
    assert table_names(user) == ['Wants ERP']
    select.set_value(None)
    assert set(await wait_rows(user, {'Wants CRM', 'Wants ERP', 'Wants nothing'})) == {
        'Wants CRM', 'Wants ERP', 'Wants nothing'}


async def test_a_manager_filters_the_inbox_by_a_yes_no_field(user: User, team: Team) -> None:
    team.desk.custom_fields.define_field(None, entity='lead', key='vip', type='yes_no', label_zh='贵宾客户',
                                         label_en='VIP')
    for name, vip in (('Big Buyer', True), ('Small Buyer', False), ('Unknown Buyer', None)):
        data = factories.lead_data(name=name) | ({'custom': {'vip': vip}} if vip is not None else {})
        team.desk.leads.capture_lead(data, channel='manual', default_source='manual', actor=team.rep_a,
                                     keep_for_actor=True)
    await login(user, team.manager.email)
    await wait_rows(user, {'Big Buyer', 'Small Buyer', 'Unknown Buyer'})
    select = user.find(marker='filter-custom-vip').elements.pop()
    assert isinstance(select, ui.select)
    assert select.props['label'] == 'VIP' and select.options == {'yes': 'Yes', 'no': 'No'}
    for choice, expected in (('yes', ['Big Buyer']), ('no', ['Small Buyer'])):
        select.set_value(choice)
        for _ in range(60):
            if table_names(user) == expected:
                break
            await asyncio.sleep(0.05)
        assert table_names(user) == expected


async def test_the_column_chooser_offers_a_custom_column_showing_the_option_label(user: User, team: Team) -> None:
    _define_product(team)
    await login(user, team.manager.email)
    await wait_rows(user, {'Wants CRM'})
    assert 'custom.product' not in _columns_of(user)  # not shown by default
    user.find(marker='inbox-columns').click()
    user.find(marker='inbox-col-custom.product').click()
    for _ in range(60):
        if 'custom.product' in team.desk.team.inbox_columns(team.manager):
            break
        await asyncio.sleep(0.05)
    assert _columns_of(user)[-1] == 'custom.product'
    table = user.find(marker='inbox-table').elements.pop()
    assert next(c for c in table.columns if c['name'] == 'custom.product')['label'] == 'Product'
    shown = {row['name']: row['custom.product'] for row in table.rows}
    assert shown == {'Wants CRM': 'CRM', 'Wants ERP': 'ERP', 'Wants nothing': ''}
    await user.open('/')
    await user.should_see(marker='inbox-columns')
    assert 'custom.product' in _columns_of(user)  # remembered


async def until_names(user: User, expected: list[str]) -> list[str]:
    for _ in range(100):
        if sorted(table_names(user)) == expected:
            break
        await asyncio.sleep(0.05)
    return sorted(table_names(user))


async def test_a_rep_saves_an_inbox_view_with_its_columns_and_opens_on_it(user: User, team: Team) -> None:
    from store.models import ViewPage
    for name, source in (('Hot Ads', 'ads'), ('Cold Web', 'website')):
        team.desk.leads.capture_lead(factories.lead_data(name=name, source=source), channel='manual',
                                     default_source='manual', actor=team.rep_a, keep_for_actor=True)
    await login(user, team.rep_a.email)
    assert await until_names(user, ['Cold Web', 'Hot Ads']) == ['Cold Web', 'Hot Ads']
    user.find(marker='filter-source').elements.pop().set_value('ads')
    assert await until_names(user, ['Hot Ads']) == ['Hot Ads']
    user.find(marker='view-save-as').click()
    user.find(marker='view-name').type('Ads only')
    await user.should_not_see(marker='view-shared')  # a rep's views are their own
    user.find(marker='view-save').click()
    await user.should_see('View “Ads only” saved')
    [view] = team.desk.views.views(team.rep_a, ViewPage.INBOX)
    assert view.filters['source'] == 'ads' and 'name' in view.columns

    user.find(marker='filter-source').elements.pop().set_value(None)
    assert await until_names(user, ['Cold Web', 'Hot Ads']) == ['Cold Web', 'Hot Ads']
    team.desk.views.open_on(team.rep_a, ViewPage.INBOX, view.id)
    await user.open('/')  # opens on the view: its filter set in the controls, only its leads
    assert await until_names(user, ['Hot Ads']) == ['Hot Ads']
    assert user.find(marker='filter-source').elements.pop().value == 'ads'
    await user.should_see('Ads only')  # the view control names the view it opened on
