"""/automation: the recycle rules editor (add, order, save, errors under the inputs, a broken rule's
warning) and the lead page's "kept out of the pool by rule" line."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from core.automation.recycle_rules import RecycleAction
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until
from tests.ui.test_rules_custom_ui import define


def names(team: Team) -> list[str]:
    return [r.rule.name for r in team.desk.recycle_rules.rules(team.manager)]


async def open_page(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/automation')
    await user.should_see(marker='recycle-add', retries=50)


async def test_a_manager_adds_two_rules_orders_them_and_saves(user: User, team: Team) -> None:
    define(team)
    await open_page(user, team)
    await user.should_see(marker='recycle-empty')
    user.find(marker='recycle-add').click()
    await user.should_see(marker='recycle-0-name')
    user.find(marker='recycle-0-name').type('Plan A stays')
    element(user, 'recycle-0-custom-key').set_value('product')
    await asyncio.sleep(0.05)
    assert element(user, 'recycle-0-custom-values').options == {'a': 'Plan A', 'b': 'Plan B'}
    element(user, 'recycle-0-custom-values').set_value(['a'])
    user.find(marker='recycle-add').click()
    await user.should_see(marker='recycle-1-name')
    assert element(user, 'recycle-0-name').value == 'Plan A stays'  # kept across the redraw
    user.find(marker='recycle-1-name').type('Grade A later')
    element(user, 'recycle-1-grades').set_value(['A'])
    element(user, 'recycle-1-action').set_value('later')
    element(user, 'recycle-1-days').set_value(5)
    user.find(marker='recycle-1-up').click()
    await asyncio.sleep(0.05)
    assert element(user, 'recycle-0-name').value == 'Grade A later'
    user.find(marker='recycle-save').click()
    assert await until(lambda: names(team) == ['Grade A later', 'Plan A stays'])
    first, second = (r.rule for r in team.desk.recycle_rules.rules(team.manager))
    assert (first.action, first.days, first.condition.grades) == (RecycleAction.LATER, 5, ('A',))
    assert (second.action, second.condition.custom_key, second.condition.custom_values) == (
        RecycleAction.NEVER, 'product', ('a',))


async def test_errors_show_under_the_inputs_and_nothing_is_saved(user: User, team: Team) -> None:
    await open_page(user, team)
    user.find(marker='recycle-add').click()
    await user.should_see(marker='recycle-0-name')
    element(user, 'recycle-0-action').set_value('later')
    element(user, 'recycle-0-days').set_value(0)
    user.find(marker='recycle-save').click()
    assert await until(lambda: bool(element(user, 'recycle-0-days').error))
    assert element(user, 'recycle-0-name').error == 'Required'
    assert element(user, 'recycle-0-days').error == 'Whole days from 1 to 365'
    assert 'at least one condition' in (element(user, 'recycle-0-custom-key').error or '')
    assert names(team) == []


async def test_a_rule_on_a_retired_field_is_shown_broken_and_the_lead_page_names_a_keeping_rule(
        user: User, team: Team) -> None:
    define(team, 'vip', 'yes_no')
    team.desk.recycle_rules.save(team.manager, [
        {'name': 'VIP never', 'action': 'never', 'custom_key': 'vip', 'custom_values': ['yes']},
        {'name': 'Grade C stays', 'action': 'never', 'grades': ['A', 'B', 'C']}])
    team.desk.custom_fields.retire_field(team.admin, entity='lead', key='vip')
    await open_page(user, team)
    await user.should_see('Its custom field is retired or gone', marker='recycle-0-broken')
    lead_id = team.desk.leads.capture_lead({'name': 'Kept Lead', 'phone': '13800138000'}, channel='manual',
                                           default_source='manual').lead_id
    await user.open(f'/leads/{lead_id}')
    await user.should_see('Kept out of the pool by rule “Grade C stays”', retries=50)
