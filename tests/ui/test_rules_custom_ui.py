"""/rules: an assignment rule's custom-field condition, the sample box's custom value, and the
scoring rules card (list, add, edit, delete, the highest reachable score)."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from store.models import ScoringKind
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until

OPTIONS = [{'key': 'a', 'label_zh': '甲', 'label_en': 'Plan A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'Plan B'}]


def define(team: Team, key: str = 'product', type: str = 'single_select') -> None:
    team.desk.custom_fields.define_field(team.admin, entity='lead', key=key, type=type, label_zh='意向产品',
                                         label_en='Product', options=OPTIONS if 'select' in type else ())


async def test_a_manager_adds_a_rule_on_a_custom_select_and_the_sample_box_uses_it(user: User, team: Team) -> None:
    define(team)
    await login(user, team.manager.email)
    await user.open('/rules')
    await user.should_see('Least loaded')
    user.find(marker='new-rule-name').type('Plan A to Zhao')
    element(user, 'new-rule-custom-key').set_value('product')
    await asyncio.sleep(0.05)
    values = element(user, 'new-rule-custom-values')
    assert values.options == {'a': 'Plan A', 'b': 'Plan B'}
    values.set_value(['a'])
    element(user, 'new-rule-reps').set_value([team.rep_b.id])
    element(user, 'new-rule-position').set_value(0)
    user.find(marker='new-rule-save').click()
    assert await until(lambda: any(r.name == 'Plan A to Zhao' for r in team.desk.rules.rules(team.manager)))
    saved = next(r for r in team.desk.rules.rules(team.manager) if r.name == 'Plan A to Zhao')
    assert (saved.match_custom_key, saved.match_custom_values, saved.rep_ids) == ('product', ['a'], [team.rep_b.id])
    await user.open('/rules')
    element(user, 'test-custom-key').set_value('product')
    await asyncio.sleep(0.05)
    element(user, 'test-custom-values').set_value('a')
    user.find(marker='test-run').click()
    await user.should_see('Plan A to Zhao', marker='test-reason', retries=50)


async def test_a_yes_no_field_offers_yes_and_no_and_a_saved_condition_is_shown(user: User, team: Team) -> None:
    define(team, 'vip', 'yes_no')
    rule_id = team.desk.rules.save_rule(team.manager, None, name='VIP first', strategy='least_loaded',
                                        match_custom_key='vip', match_custom_values=['yes'])
    await login(user, team.manager.email)
    await user.open('/rules')
    assert element(user, f'rule-{rule_id}-custom-key').value == 'vip'
    assert element(user, f'rule-{rule_id}-custom-values').value == ['yes']
    element(user, 'test-custom-key').set_value('vip')
    await asyncio.sleep(0.05)
    assert element(user, 'test-custom-values').options == {'yes': 'Yes', 'no': 'No'}
    element(user, 'test-custom-values').set_value('yes')
    user.find(marker='test-run').click()
    await user.should_see('VIP first', marker='test-reason', retries=50)


async def test_the_scoring_card_lists_the_rules_and_the_highest_score(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/rules')
    await user.should_see('Scoring rules')
    await user.should_see('Budget stated')
    await user.should_see('Highest reachable score: 100', marker='scoring-max')
    await user.should_see('existing leads keep their scores until they are touched')


async def test_a_manager_adds_a_scoring_rule_on_a_custom_option(user: User, team: Team) -> None:
    define(team)
    before = len(team.desk.scoring_rules.rules(team.manager))
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='scoring-add').click()
    await user.should_see(marker='scoring-dialog', retries=50)
    element(user, 'scoring-kind').set_value(ScoringKind.CUSTOM_EQUALS.value)
    element(user, 'scoring-field').set_value('product')
    await asyncio.sleep(0.05)
    element(user, 'scoring-value-option').set_value('b')
    element(user, 'scoring-points').set_value(25)
    element(user, 'scoring-label-zh').set_value('想要乙')
    element(user, 'scoring-label-en').set_value('Wants plan B')
    user.find(marker='scoring-save').click()
    assert await until(lambda: len(team.desk.scoring_rules.rules(team.manager)) == before + 1)
    added = team.desk.scoring_rules.rules(team.manager)[-1]
    assert (added.kind, added.field, added.value, added.points, added.label_zh, added.label_en) == (
        'custom_equals', 'product', 'b', 25, '想要乙', 'Wants plan B')
    await user.should_see('Wants plan B', retries=50)
    await user.should_see('Product = Plan B', retries=50)


async def test_a_scoring_rule_without_labels_shows_the_errors_and_stores_nothing(user: User, team: Team) -> None:
    before = len(team.desk.scoring_rules.rules(team.manager))
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='scoring-add').click()
    await user.should_see(marker='scoring-dialog', retries=50)
    element(user, 'scoring-kind').set_value(ScoringKind.PRESENT.value)
    element(user, 'scoring-field').set_value('wechat')
    user.find(marker='scoring-save').click()
    assert await until(lambda: element(user, 'scoring-label-zh').error == 'Required')
    assert element(user, 'scoring-label-en').error == 'Required'
    assert len(team.desk.scoring_rules.rules(team.manager)) == before


async def test_a_manager_edits_and_deletes_a_scoring_rule(user: User, team: Team) -> None:
    first = team.desk.scoring_rules.rules(team.manager)[0]
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker=f'scoring-edit-{first.id}').click()
    await user.should_see(marker='scoring-dialog', retries=50)
    element(user, 'scoring-points').set_value(10)
    user.find(marker='scoring-save').click()
    assert await until(lambda: team.desk.scoring_rules.rules(team.manager)[0].points == 10)
    await user.should_see('Highest reachable score: 90', marker='scoring-max', retries=50)
    user.find(marker=f'scoring-delete-{first.id}').click()
    await user.should_see(marker='scoring-delete-confirm', retries=50)
    user.find(marker='scoring-delete-confirm').click()
    assert await until(lambda: first.id not in [r.id for r in team.desk.scoring_rules.rules(team.manager)])
    await user.should_see('Highest reachable score: 80', marker='scoring-max', retries=50)


async def test_rescore_open_leads_tells_how_many_changed(user: User, team: Team) -> None:
    define(team)
    team.desk.leads.capture_lead({'name': 'Wang', 'phone': '+86 139 0000 1111', 'custom': {'product': 'a'}},
                                 channel='manual', default_source='manual')
    team.desk.scoring_rules.save_rule(team.manager, None, kind=ScoringKind.CUSTOM_EQUALS, field='product', value='a',
                                      points=20, label_zh='甲', label_en='Plan A')
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='scoring-rescore').click()
    await user.should_see('1 leads changed score', retries=50)
