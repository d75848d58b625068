"""The public pool in a real browser: cards and no sideways scroll on a phone, the table on a desk,
and search, filters and page kept in the address across a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from core.desk import Desk
from tests import factories

from .support import Server, login

pytestmark = pytest.mark.browser


def _pool_30(desk: Desk, server: Server) -> None:
    """30 never-owned pool leads (captured while both reps are on leave), half of them in 上海."""
    team = server.team
    assert team is not None
    for rep in (team.rep, team.other_rep):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': True})
    for i in range(30):
        desk.leads.capture_lead(factories.lead_data(name=f'Pool Lead {i:02d}', company=f'Company {i:02d}',
                                                    region='上海' if i % 2 else '北京'),
                                channel='api', default_source='api')
    for rep in (team.rep, team.other_rep):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': False})


@pytest.fixture
def pool_server(start_server: Callable[..., Server]) -> Server:
    return start_server(seed=_pool_30)


def test_pool_is_a_card_list_on_a_phone(new_context: Callable[..., BrowserContext], pool_server: Server) -> None:
    assert pool_server.team is not None
    page = new_context(locale='en-US', viewport={'width': 390, 'height': 844}).new_page()
    login(page, pool_server, pool_server.team.rep)
    page.goto(pool_server.url('/pool'))
    cards = page.get_by_test_id('pool-cards')
    expect(cards.get_by_text('Pool Lead 29')).to_be_visible()
    expect(page.get_by_test_id('pool-table')).to_be_hidden()
    expect(page.get_by_test_id('pool-total')).to_have_text('1–25 of 30')
    assert page.evaluate('document.documentElement.scrollWidth') <= 390
    cards.get_by_role('button', name='Claim').first.click()
    expect(page.get_by_text('Claimed: the lead is yours')).to_be_visible()
    expect(page.get_by_test_id('pool-total')).to_have_text('1–25 of 29')


def test_search_and_page_survive_a_reload(page: Page, pool_server: Server) -> None:
    assert pool_server.team is not None
    page.set_viewport_size({'width': 1440, 'height': 900})
    login(page, pool_server, pool_server.team.rep)
    page.goto(pool_server.url('/pool'))
    table = page.get_by_test_id('pool-table')
    expect(table.get_by_text('Pool Lead 29')).to_be_visible()
    expect(page.get_by_test_id('pool-cards')).to_be_hidden()
    page.get_by_test_id('pool-pager').get_by_role('button', name='2', exact=True).click()
    expect(page.get_by_test_id('pool-total')).to_have_text('26–30 of 30')
    expect(page).to_have_url(pool_server.url('/pool?page=2'))
    page.get_by_test_id('pool-search').fill('Company 1')
    expect(page.get_by_test_id('pool-total')).to_have_text('1–10 of 10')  # Company 1, 10 … 19
    expect(page).to_have_url(pool_server.url('/pool?q=Company+1'))
    page.reload()
    expect(page.get_by_test_id('pool-total')).to_have_text('1–10 of 10')
    expect(page.get_by_test_id('pool-search')).to_have_value('Company 1')


def test_manager_selects_by_named_checkboxes(page: Page, pool_server: Server) -> None:
    """The table's selection checkboxes have names (axe's aria-toggle-field-name) and still select:
    the header's the whole page, a row's its lead; the selection is what gets assigned."""
    team = pool_server.team
    assert team is not None
    page.set_viewport_size({'width': 1440, 'height': 900})
    login(page, pool_server, team.manager)
    page.goto(pool_server.url('/pool'))
    table = page.get_by_test_id('pool-table')
    everyone = table.get_by_role('checkbox', name='Select all leads on this page')
    one = table.get_by_role('checkbox', name='Select Pool Lead 29', exact=True)
    expect(one).to_have_attribute('aria-checked', 'false')
    everyone.click()
    expect(one).to_have_attribute('aria-checked', 'true')
    one.click()
    expect(one).to_have_attribute('aria-checked', 'false')
    expect(everyone).to_have_attribute('aria-checked', 'mixed')
    expect(page.get_by_test_id('bulk-count')).to_have_text('24 selected')
    page.get_by_test_id('bulk-action').click()
    page.get_by_test_id('bulk-kind').click()
    page.get_by_role('option', name='Reassign').click()
    page.get_by_test_id('bulk-rep').click()
    page.get_by_role('option', name='Rita Rep').click()
    page.get_by_test_id('bulk-apply').click()
    expect(page.get_by_text('24 leads changed (0 skipped)')).to_be_visible()
    expect(page.get_by_test_id('pool-total')).to_have_text('1–6 of 6')
    expect(table.get_by_text('Pool Lead 29')).to_be_visible()
