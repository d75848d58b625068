"""Sorting the pool, the board's columns and the customer list by a custom field (and the inbox's
column for it): choosing the sort reorders the list and shows the field's value beside each record,
on the phone's card too; a saved view keeps the sort; "select all N matching" on the pool's manager
bar and the customer list's bar takes every record the list shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select, update

from store.engine import read_session
from store.models import Account, Opportunity, RecordTag, TagEntity, ViewPage
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_customers_page import won_deal
from tests.ui.test_pipeline_page import card_html, make_opportunity, open_board
from tests.ui.test_pool_page import pool_lead


def element(user: User, marker: str) -> Any:
    return user.find(marker=marker).elements.pop()


async def until(read: Callable[[], Any], expected: Any) -> Any:
    for _ in range(100):
        if read() == expected:
            break
        await asyncio.sleep(0.05)
    return read()


def names(user: User, marker: str) -> list[str]:
    table = element(user, marker)
    assert isinstance(table, ui.table)
    return [row['name'] for row in table.rows]


def field(team: Team, entity: str, key: str, zh: str, en: str) -> None:
    team.desk.custom_fields.define_field(team.admin, entity=entity, key=key, type='number', label_zh=zh, label_en=en,
                                         filterable=True)


def tagged(team: Team, entity: str) -> set[int]:
    with read_session(team.desk.ctx.engine) as s:
        return set(s.exec(select(RecordTag.record_id).where(RecordTag.entity == entity)).all())


async def test_the_pool_sorts_by_a_lead_field_and_shows_its_column(user: User, team: Team) -> None:
    field(team, 'lead', 'stores', '门店数', 'Stores')
    for name, stores in (('Bai', 5), ('Chen', None), ('Ai', 40)):
        pool_lead(team, name=name, **({'custom': {'stores': stores}} if stores is not None else {}))
    await login(user, team.manager.email)
    await user.open('/pool')
    assert await until(lambda: names(user, 'pool-table'), ['Ai', 'Chen', 'Bai']) == ['Ai', 'Chen', 'Bai']
    table = element(user, 'pool-table')
    assert 'sorted' not in [c['name'] for c in table.columns]
    sort = element(user, 'pool-sort')
    assert sort.options['custom:stores:desc'] == 'Stores, descending'
    sort.set_value('custom:stores:desc')
    assert await until(lambda: names(user, 'pool-table'), ['Ai', 'Bai', 'Chen']) == ['Ai', 'Bai', 'Chen']
    assert {'name': 'sorted', 'label': 'Stores'} == {k: v for c in table.columns if c['name'] == 'sorted'
                                                     for k, v in c.items() if k in ('name', 'label')}
    assert [r['sorted'] for r in table.rows] == ['40', '5', '']
    ai = next(r['id'] for r in table.rows if r['name'] == 'Ai')
    await user.should_see(marker=f'pool-sorted-{ai}')  # the phone's card says it too
    assert element(user, f'pool-sorted-{ai}').text == 'Stores: 40'
    sort.set_value('custom:stores:asc')  # missing values last both ways
    assert await until(lambda: names(user, 'pool-table'), ['Bai', 'Ai', 'Chen']) == ['Bai', 'Ai', 'Chen']

    user.find(marker='view-save-as').click()  # the pool's saved view keeps the sort
    user.find(marker='view-name').type('Fewest stores')
    user.find(marker='view-save').click()
    await user.should_see('View “Fewest stores” saved')
    [view] = team.desk.views.views(team.manager, ViewPage.POOL)
    assert view.filters['sort'] == 'custom:stores:asc'


async def test_select_all_matching_on_the_pool_tags_every_pool_lead(user: User, team: Team) -> None:
    vip = team.desk.tags.define_tag(team.manager, name_zh='重点', name_en='VIP', colour='red')
    ids = [pool_lead(team, name=f'Pool {i}') for i in range(30)]  # more than a page (25)
    await login(user, team.manager.email)
    await user.open('/pool')
    assert await until(lambda: len(names(user, 'pool-table')), 25) == 25
    table = element(user, 'pool-table')
    picked = table.rows[:1]
    user.find(marker='pool-table').trigger('selection', {'added': True, 'rows': picked, 'keys': [picked[0]['id']]})
    await user.should_see('1 selected')
    user.find(marker='bulk-select-all').click()
    await user.should_see('All 30 matching selected')
    assert len(table.selected) == 25  # this page's rows show ticked
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    element(user, 'bulk-kind').set_value('tag_add')
    element(user, 'bulk-tag').set_value(vip.id)
    user.find(marker='bulk-do-preview').click()
    await user.should_see('30 will change')
    user.find(marker='bulk-apply').click()
    await user.should_see('30 leads changed (0 skipped)', retries=100)
    assert tagged(team, TagEntity.LEAD) == set(ids)


def customer_with(team: Team, company: str, custom: dict[str, Any]) -> int:
    account_id, _ = won_deal(team, team.rep_a, company)
    with team.desk.ctx.write() as s:
        s.exec(update(Account).where(col(Account.id) == account_id).values(custom=custom))  # type: ignore[call-overload]
    return account_id


async def test_the_customer_list_sorts_by_a_customer_field_and_keeps_it_in_a_view(user: User, team: Team) -> None:
    field(team, 'customer', 'outlets', '门店数', 'Outlets')
    for company, outlets in (('Beta Co', 7), ('Gamma Co', None), ('Alpha Co', 70)):
        customer_with(team, company, {'outlets': outlets} if outlets is not None else {})
    await login(user, team.manager.email)
    await user.open('/customers')
    await until(lambda: len(names(user, 'customers')), 3)
    sort = element(user, 'customer-sort')
    assert sort.value == 'value:desc' and 'name:asc' in sort.options
    sort.set_value('custom:outlets:asc')
    assert await until(lambda: names(user, 'customers'), ['Beta Co', 'Alpha Co', 'Gamma Co']) == [
        'Beta Co', 'Alpha Co', 'Gamma Co']
    table, cards = element(user, 'customers'), element(user, 'customer-cards')
    assert [c['label'] for c in table.columns][-1] == 'Outlets'
    assert [r['sorted_text'] for r in cards.rows] == ['Outlets: 7', 'Outlets: 70', '']
    sort.set_value('name:desc')
    assert await until(lambda: names(user, 'customers'), ['Gamma Co', 'Beta Co', 'Alpha Co']) == [
        'Gamma Co', 'Beta Co', 'Alpha Co']
    assert 'Outlets' not in [c['label'] for c in table.columns]

    sort.set_value('custom:outlets:desc')
    await until(lambda: names(user, 'customers')[0], 'Alpha Co')
    user.find(marker='view-save-as').click()
    user.find(marker='view-name').type('Most outlets')
    user.find(marker='view-save').click()
    await user.should_see('View “Most outlets” saved')
    [view] = team.desk.views.views(team.manager, ViewPage.CUSTOMERS)
    assert view.filters['sort'] == 'custom:outlets:desc'
    team.desk.views.open_on(team.manager, ViewPage.CUSTOMERS, view.id)
    await user.open('/customers')  # opens on the view: its sort in the control, its order on the page
    assert await until(lambda: names(user, 'customers'), ['Alpha Co', 'Beta Co', 'Gamma Co']) == [
        'Alpha Co', 'Beta Co', 'Gamma Co']
    assert element(user, 'customer-sort').value == 'custom:outlets:desc'


async def test_select_all_matching_on_the_customer_list(user: User, team: Team) -> None:
    vip = team.desk.tags.define_tag(team.manager, name_zh='重点', name_en='VIP', colour='red')
    ids = [customer_with(team, f'Co {i}', {}) for i in range(3)]
    await login(user, team.manager.email)
    await user.open('/customers')
    await until(lambda: len(names(user, 'customers')), 3)
    user.find(marker='customers').trigger('pick', [ids[0], True])
    await user.should_see('1 selected')
    user.find(marker='bulk-select-all').click()
    await user.should_see('All 3 matching customers selected')
    assert all(r['picked'] for r in element(user, 'customers').rows)
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    element(user, 'bulk-kind').set_value('tag_add')
    element(user, 'bulk-tag').set_value(vip.id)
    user.find(marker='bulk-apply').click()
    await user.should_see('3 customers changed (0 skipped)', retries=100)
    assert tagged(team, TagEntity.CUSTOMER) == set(ids)


async def test_the_board_sorts_each_columns_cards_by_a_deal_field(user: User, team: Team) -> None:
    field(team, 'opportunity', 'seats', '席位数', 'Seats')
    deals = {company: make_opportunity(team.desk, team.rep_a, company=company) for company in ('A Co', 'B Co', 'C Co')}
    with team.desk.ctx.write() as s:
        for company, seats in (('A Co', 30), ('B Co', 4)):
            s.exec(update(Opportunity).where(col(Opportunity.id) == deals[company])  # type: ignore[call-overload]
                   .values(custom={'seats': seats}))
    await open_board(user, team.rep_a, *deals.values())
    sort = element(user, 'board-sort')
    sort.set_value('custom:seats:asc')

    def order() -> list[int]:
        column = element(user, f'opp-{deals["A Co"]}').parent_slot.parent
        return [int(c.props['data-opp-id']) for c in column.default_slot.children if 'data-opp-id' in c.props]

    expected = [deals['B Co'], deals['A Co'], deals['C Co']]
    assert await until(order, expected) == expected
    assert 'Seats: 4' in card_html(user, deals['B Co'])
    assert 'Seats' not in card_html(user, deals['C Co'])
    sort.set_value('custom:seats:desc')
    expected = [deals['A Co'], deals['B Co'], deals['C Co']]
    assert await until(order, expected) == expected
    user.find(marker='view-save-as').click()
    user.find(marker='view-name').type('Most seats')
    user.find(marker='view-save').click()
    await user.should_see('View “Most seats” saved')
    [view] = team.desk.views.views(team.rep_a, ViewPage.BOARD)
    assert view.filters['sort'] == 'custom:seats:desc'


async def test_the_inbox_shows_the_column_of_the_field_it_is_sorted_by(user: User, team: Team) -> None:
    field(team, 'lead', 'stores', '门店数', 'Stores')
    for name, stores in (('Bai', 5), ('Ai', 40)):
        team.desk.leads.capture_lead(factories.lead_data(name=name, custom={'stores': stores}), channel='manual',
                                     default_source='manual', actor=team.rep_a, keep_for_actor=True)
    await login(user, team.rep_a.email)
    await until(lambda: len(names(user, 'inbox-table')), 2)
    table, cards = element(user, 'inbox-table'), element(user, 'inbox-cards')
    assert 'custom.stores' not in [c['name'] for c in table.columns]
    element(user, 'inbox-sort').set_value('custom:stores:asc')
    assert await until(lambda: names(user, 'inbox-table'), ['Bai', 'Ai']) == ['Bai', 'Ai']
    assert 'custom.stores' in [c['name'] for c in table.columns]
    assert 'custom.stores' in [c['name'] for c in cards.columns]  # the phone's card lists it
    assert [r['custom.stores'] for r in table.rows] == ['5', '40']
    element(user, 'inbox-sort').set_value('name:asc')
    await until(lambda: names(user, 'inbox-table'), ['Ai', 'Bai'])
    assert 'custom.stores' not in [c['name'] for c in table.columns]
