"""Customers: made by a won deal, seen by their owner (all by managers), tiered by editable rules."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.testing import User

from store.models import UserRef, ViewPage
from tests.ui.conftest import Team, login
from tests.ui.test_convert import converted, until


def won_deal(team: Team, rep: UserRef, company: str, amount: str = '12500', **fields: Any) -> tuple[int, int]:
    """(account_id, opportunity_id) of a deal the rep won (`fields`: more of its lead's data)."""
    _, opportunity_id = converted(team, rep, amount=amount, name=f'{company} buyer', company=company, **fields)
    won = next(s for s in team.desk.pipeline.stages() if s.kind == 'won')
    view = team.desk.pipeline.opportunity_view(rep, opportunity_id)
    team.desk.pipeline.move_opportunity(rep, opportunity_id, to_stage_id=won.id or 0,
                                        version=view.opportunity.version)
    return view.account.id or 0, opportunity_id


def table_rows(user: User) -> list[dict]:
    table = user.find(marker='customers').elements.pop()
    assert isinstance(table, ui.table)
    return table.rows


async def test_won_deal_makes_a_customer(user: User, team: Team) -> None:
    account_id, _ = won_deal(team, team.rep_a, 'Huaxin Tech')
    await login(user, team.manager.email)
    await user.open('/customers')
    await until(lambda: len(table_rows(user)) == 1)
    [row] = table_rows(user)
    assert (row['id'], row['name'], row['tier'], row['owner'], row['ltv'], row['won']) == \
        (account_id, 'Huaxin Tech', 'regular', 'Rep Li', '¥12,500', 1)


async def test_a_phone_gets_the_same_customers_as_cards(user: User, team: Team) -> None:
    account_id, _ = won_deal(team, team.rep_a, 'Card Co')
    await login(user, team.manager.email)
    await user.open('/customers')
    cards = user.find(marker='customer-cards').elements.pop()
    assert isinstance(cards, ui.table)
    await until(lambda: len(cards.rows) == 1)
    [card] = cards.rows
    assert (card['id'], card['name'], card['owner'], card['ltv'], card['won_text']) == \
        (account_id, 'Card Co', 'Rep Li', '¥12,500', 'won 1')
    assert cards.props['grid'] is True and 'xs' in cards.classes  # shown below 600 px, the table above
    assert 'gt-xs' in user.find(marker='customers').elements.pop().classes


async def test_a_rep_sees_only_own_customers(user: User, team: Team) -> None:
    mine, _ = won_deal(team, team.rep_a, 'Mine Co')
    theirs, _ = won_deal(team, team.rep_b, 'Theirs Co')
    await login(user, team.rep_a.email)
    await user.open('/customers')
    await until(lambda: len(table_rows(user)) == 1)
    assert [r['id'] for r in table_rows(user)] == [mine]
    await user.should_not_see(marker='tier-rules')
    await user.open(f'/customers/{theirs}')
    await user.should_see(marker='not-allowed')


async def test_filter_by_tier_and_search(user: User, team: Team) -> None:
    big, _ = won_deal(team, team.rep_a, 'Big Buyer', amount='600000')
    small, _ = won_deal(team, team.rep_a, 'Small Buyer')
    await login(user, team.manager.email)
    await user.open('/customers')
    await until(lambda: len(table_rows(user)) == 2)
    assert [r['id'] for r in table_rows(user)] == [big, small]  # highest lifetime value first
    user.find(marker='filter-tier').elements.pop().set_value('vip')
    await until(lambda: [r['id'] for r in table_rows(user)] == [big])
    user.find(marker='filter-tier').elements.pop().set_value(None)
    user.find(marker='customer-search').type('small')
    await until(lambda: [r['id'] for r in table_rows(user)] == [small])


async def test_customer_page_shows_contacts_and_deals(user: User, team: Team) -> None:
    account_id, opportunity_id = won_deal(team, team.rep_a, 'Deep Account')
    await login(user, team.rep_a.email)
    await user.open(f'/customers/{account_id}')
    await user.should_see(marker='customer-name')
    await user.should_see('Deep Account buyer')  # the contact carried over from the lead
    link = user.find(marker=f'deal-{opportunity_id}').elements.pop()
    assert isinstance(link, ui.link) and link.props['href'] == f'/opportunities/{opportunity_id}'
    await user.should_see('¥12,500')


async def test_manager_saves_tier_rules(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/customers')
    await user.should_see(marker='tier-rules', retries=50)
    user.find(marker='tier-vip-min').clear().type('100,000')
    user.find(marker='tier-dormant-days').elements.pop().set_value(90)
    user.find(marker='tier-save').click()
    await until(lambda: team.desk.customers.tier_rules().dormant_days == 90)
    rules = team.desk.customers.tier_rules()
    assert (rules.vip_min_cents, rules.dormant_days) == (10_000_000, 90)


async def test_out_of_range_tier_rules_are_refused(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/customers')
    await user.should_see(marker='tier-rules', retries=50)
    user.find(marker='tier-vip-min').clear().type('lots')
    user.find(marker='tier-save').click()
    await user.should_see('Invalid value', retries=50)
    assert team.desk.customers.tier_rules().vip_min_cents == 50_000_000


async def test_a_saved_view_filters_the_list_and_the_page_opens_on_it(user: User, team: Team) -> None:
    big, _ = won_deal(team, team.rep_a, 'Big Buyer', amount='600000')
    won_deal(team, team.rep_a, 'Small Buyer')
    await login(user, team.manager.email)
    await user.open('/customers')
    await until(lambda: len(table_rows(user)) == 2)
    user.find(marker='filter-tier').elements.pop().set_value('vip')
    await until(lambda: [r['id'] for r in table_rows(user)] == [big])

    user.find(marker='view-save-as').click()
    user.find(marker='view-name').type('VIPs')
    user.find(marker='view-shared').click()  # a manager shares it with the team
    user.find(marker='view-save').click()
    await user.should_see('View “VIPs” saved')
    [view] = team.desk.views.views(team.rep_a, ViewPage.CUSTOMERS)
    assert (view.name, view.shared) == ('VIPs', True)
    assert view.filters == {'search': '', 'tier': 'vip', 'custom': {}, 'tags': [], 'sort': 'value:desc'}

    user.find(marker='filter-tier').elements.pop().set_value(None)
    await until(lambda: len(table_rows(user)) == 2)
    views = user.find(marker='views-customers').elements.pop()
    assert isinstance(views, ui.select)
    assert views.value == view.id  # the view just saved is the one shown
    views.set_value(None)
    views.set_value(view.id)  # picking it again applies its filter
    await until(lambda: [r['id'] for r in table_rows(user)] == [big])
    assert user.find(marker='filter-tier').elements.pop().value == 'vip'

    user.find(marker='view-opening').click()  # open this page on it from now on
    await user.should_see('This page now opens on “VIPs”')
    await user.open('/customers')
    await until(lambda: [r['id'] for r in table_rows(user)] == [big])
    assert user.find(marker='views-customers').elements.pop().value == view.id
