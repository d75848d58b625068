"""The inbox's sort control: choosing a sort reorders the rows (a filterable custom field's value
among the choices), a saved view keeps the sort and opens on it, and a view saved before sorts
existed still opens, in the default order."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from store.models import ViewPage
from tests import factories
from tests.ui.conftest import Team, login


def table_names(user: User) -> list[str]:
    table = user.find(marker='inbox-table').elements.pop()
    assert isinstance(table, ui.table)
    return [row['name'] for row in table.rows]


async def until(user: User, expected: list[str]) -> list[str]:
    for _ in range(100):
        if table_names(user) == expected:
            break
        await asyncio.sleep(0.05)
    return table_names(user)


def sort_control(user: User) -> ui.select:
    control = user.find(marker='inbox-sort').elements.pop()
    assert isinstance(control, ui.select)
    return control


def seed(team: Team) -> None:
    team.desk.custom_fields.define_field(team.admin, entity='lead', key='stores', type='number', label_zh='门店数',
                                         label_en='Stores', filterable=True)
    team.desk.custom_fields.define_field(team.admin, entity='lead', key='memo', type='text', label_zh='备注',
                                         label_en='Memo')  # not filterable: not a sort
    for name, stores in (('Bai', 5), ('Chen', None), ('Ai', 40)):
        custom = {'stores': stores} if stores is not None else {}
        team.desk.leads.capture_lead(factories.lead_data(name=name, custom=custom), channel='manual',
                                     default_source='manual', actor=team.rep_a, keep_for_actor=True)


async def test_choosing_a_sort_reorders_the_inbox(user: User, team: Team) -> None:
    seed(team)
    await login(user, team.rep_a.email)
    assert await until(user, ['Ai', 'Chen', 'Bai']) == ['Ai', 'Chen', 'Bai']  # grade, then newest
    control = sort_control(user)
    assert 'custom:stores:desc' in control.options and not any('memo' in str(o) for o in control.options)
    control.set_value('name:asc')
    assert await until(user, ['Ai', 'Bai', 'Chen']) == ['Ai', 'Bai', 'Chen']
    control.set_value('custom:stores:desc')  # the lead without a value last
    assert await until(user, ['Ai', 'Bai', 'Chen']) == ['Ai', 'Bai', 'Chen']
    control.set_value('custom:stores:asc')
    assert await until(user, ['Bai', 'Ai', 'Chen']) == ['Bai', 'Ai', 'Chen']
    control.set_value('oldest')
    assert await until(user, ['Bai', 'Chen', 'Ai']) == ['Bai', 'Chen', 'Ai']


async def test_a_saved_view_keeps_the_sort_and_an_older_view_still_opens(user: User, team: Team) -> None:
    seed(team)
    await login(user, team.rep_a.email)
    await until(user, ['Ai', 'Chen', 'Bai'])
    sort_control(user).set_value('custom:stores:asc')
    assert await until(user, ['Bai', 'Ai', 'Chen']) == ['Bai', 'Ai', 'Chen']
    user.find(marker='view-save-as').click()
    user.find(marker='view-name').type('Fewest stores')
    user.find(marker='view-save').click()
    await user.should_see('View “Fewest stores” saved')
    [view] = team.desk.views.views(team.rep_a, ViewPage.INBOX)
    assert view.filters['sort'] == 'custom:stores:asc'

    team.desk.views.open_on(team.rep_a, ViewPage.INBOX, view.id)
    await user.open('/')  # opens on the view: its sort in the control, its order on the page
    assert await until(user, ['Bai', 'Ai', 'Chen']) == ['Bai', 'Ai', 'Chen']
    assert sort_control(user).value == 'custom:stores:asc'

    old = team.desk.views.save_view(team.rep_a, ViewPage.INBOX, 'Before sorts', {'search': ''})
    team.desk.views.open_on(team.rep_a, ViewPage.INBOX, old.id)
    await user.open('/')
    assert await until(user, ['Ai', 'Chen', 'Bai']) == ['Ai', 'Chen', 'Bai']
    assert sort_control(user).value == 'default'
