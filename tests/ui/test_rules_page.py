"""/rules: managers edit the ordered assignment rules and ask who a sample lead would go to."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from tests.ui.conftest import Team, login


async def names_after(team: Team, expected: int) -> list[str]:
    for _ in range(60):
        names = [r.name for r in team.desk.rules.rules(team.manager)]
        if len(names) >= expected:
            return names
        await asyncio.sleep(0.05)
    return [r.name for r in team.desk.rules.rules(team.manager)]


async def test_manager_adds_a_rule(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/rules')
    await user.should_see('Least loaded')  # the default rules are listed
    user.find(marker='new-rule-name').type('Referrals first')
    user.find(marker='new-rule-strategy').elements.pop().set_value('round_robin')
    user.find(marker='new-rule-sources').elements.pop().set_value(['referral'])
    user.find(marker='new-rule-grades').elements.pop().set_value(['A', 'B'])
    user.find(marker='new-rule-regions').type('Beijing, 上海')
    user.find(marker='new-rule-save').click()
    names = await names_after(team, 4)
    assert names[-1] == 'Referrals first'
    saved = team.desk.rules.rules(team.manager)[-1]
    assert (saved.strategy, saved.match_sources, saved.match_grades, saved.match_regions) == (
        'round_robin', ['referral'], ['A', 'B'], ['Beijing', '上海'])


async def test_invalid_rule_shows_the_field_error_and_stores_nothing(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='new-rule-save').click()  # no name
    await user.should_see('Required', retries=50)
    await asyncio.sleep(0.2)
    assert len(team.desk.rules.rules(team.manager)) == 3


async def test_test_box_shows_who_would_get_a_sample_lead(user: User, team: Team) -> None:
    expected = team.desk.rules.test_rule(team.manager, source='website', grade='B', region=None)
    assert expected.rep_name in ('Rep Li', 'Rep Zhao')
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='test-run').click()
    await user.should_see(expected.rep_name, retries=50)
    await user.should_see('Least loaded', marker='test-reason', retries=50)


async def test_rep_is_not_allowed(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/rules')
    await user.should_see(marker='not-allowed')
    await user.should_not_see('Least loaded')


async def test_industry_score_and_target_reps_are_saved_and_tested(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/rules')
    await user.should_see('Least loaded')
    user.find(marker='new-rule-name').type('Retail to Zhao')
    user.find(marker='new-rule-industries').type('Retail, 零售')
    user.find(marker='new-rule-min-score').elements.pop().set_value(60)
    user.find(marker='new-rule-reps').elements.pop().set_value([team.rep_b.id])
    user.find(marker='new-rule-position').elements.pop().set_value(0)
    user.find(marker='new-rule-save').click()
    await names_after(team, 4)
    saved = next(r for r in team.desk.rules.rules(team.manager) if r.name == 'Retail to Zhao')
    assert (saved.name, saved.match_industries, saved.min_score, saved.max_score, saved.rep_ids) == (
        'Retail to Zhao', ['Retail', '零售'], 60, None, [team.rep_b.id])
    # the sample box: a retail lead scoring 70 goes to Zhao by the new rule
    await user.should_see(marker='test-industry', retries=50)
    user.find(marker='test-industry').type('retail')
    user.find(marker='test-score').elements.pop().set_value(70)
    user.find(marker='test-run').click()
    await user.should_see('Rep Zhao', marker='test-rep', retries=50)
    await user.should_see('Retail to Zhao', marker='test-reason', retries=50)


async def test_a_score_range_upside_down_is_refused(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/rules')
    user.find(marker='new-rule-name').type('Backwards')
    user.find(marker='new-rule-min-score').elements.pop().set_value(80)
    user.find(marker='new-rule-max-score').elements.pop().set_value(20)
    user.find(marker='new-rule-save').click()
    await user.should_see('Must not be below the minimum', retries=50)
    await asyncio.sleep(0.2)
    assert len(team.desk.rules.rules(team.manager)) == 3
