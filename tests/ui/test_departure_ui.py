"""The hand-over offered on the users list (Settings) when an admin moves a user to another
department or deactivates them: the preview says who gets what, Apply hands over, "Not now" leaves
everything; deals and customers wait for a named colleague. And /rules: a rule targeting a
department is saved from its select, and the test box names the department."""

from __future__ import annotations

from datetime import date

from nicegui.testing import User

from core.clock import FakeClock
from store.engine import read_session
from store.models import Lead, Opportunity
from tests.factories import lead_data
from tests.ui.conftest import Team, login
from tests.ui.test_custom_fields_ui import element, until
from tests.unit.test_conversion import make_opportunity


def leads_of(team: Team, rep_id: int, count: int) -> list[int]:
    ids = [team.desk.leads.capture_lead(lead_data(), channel='manual', default_source='manual').lead_id
           for _ in range(count)]
    team.desk.steering.reassign(team.admin, ids, to_rep_id=rep_id)
    return ids


def owner(team: Team, model: type[Lead] | type[Opportunity], record_id: int) -> int | None:
    with read_session(team.desk.ctx.engine) as s:
        row = s.get(model, record_id)
        return row.owner_id if row else None


async def test_moving_a_rep_offers_the_hand_over_through_the_rules(user: User, team: Team) -> None:
    ids = leads_of(team, team.rep_a.id, 2)
    east = team.desk.departments.add(None, 'East sales')
    await login(user, team.admin.email)
    await user.open('/settings')
    element(user, f'user-dept-{team.rep_a.id}').set_value(east)
    await user.should_see(marker='departure-dialog', retries=100)
    await user.should_see('Rep Zhao: 2 leads', retries=50)  # the only other rep, by the default rules
    user.find(marker='departure-apply').click()
    assert await until(lambda: {owner(team, Lead, i) for i in ids} == {team.rep_b.id}, timeout=10)
    await user.should_see('Handed over: 2 leads', retries=50)


async def test_not_now_leaves_everything(user: User, team: Team) -> None:
    ids = leads_of(team, team.rep_a.id, 1)
    await login(user, team.admin.email)
    await user.open('/settings')
    element(user, f'active-{team.rep_a.id}').set_value(False)
    await user.should_see(marker='departure-dialog', retries=100)
    await user.should_see('is deactivated', retries=50)
    user.find(marker='departure-later').click()
    await user.should_not_see(marker='departure-dialog', retries=50)
    assert owner(team, Lead, ids[0]) == team.rep_a.id


async def test_deals_wait_for_a_named_colleague(user: User, team: Team) -> None:
    deal_id = make_opportunity(team.desk, FakeClock(), team.rep_a, expected_close=date(2030, 1, 1),
                               company='Acme Trading')
    east = team.desk.departments.add(None, 'East sales')
    await login(user, team.admin.email)
    await user.open('/settings')
    element(user, f'user-dept-{team.rep_a.id}').set_value(east)
    await user.should_see(marker='departure-needs', retries=100)
    apply = element(user, 'departure-apply')
    assert not apply.enabled
    element(user, 'departure-colleague').set_value(team.rep_b.id)
    await user.should_see('1 deals and 1 customers → Rep Zhao', retries=100)
    assert await until(lambda: apply.enabled, timeout=10)
    user.find(marker='departure-apply').click()
    assert await until(lambda: owner(team, Opportunity, deal_id) == team.rep_b.id, timeout=10)


async def test_a_rule_targets_a_department_and_the_test_box_names_it(user: User, team: Team) -> None:
    east = team.desk.departments.add(None, 'East sales')
    team.desk.departments.place_user(None, team.rep_b.id, east)
    await login(user, team.manager.email)
    await user.open('/rules')
    await user.should_see('Least loaded')
    user.find(marker='new-rule-name').type('East first')
    user.find(marker='new-rule-strategy').elements.pop().set_value('round_robin')
    element(user, 'new-rule-department').set_value(east)
    user.find(marker='new-rule-position').elements.pop().set_value(0)
    user.find(marker='new-rule-save').click()
    assert await until(lambda: any(r.department_id == east for r in team.desk.rules.rules(team.manager)),
                       timeout=10)
    await user.should_see(marker='test-run', retries=50)
    user.find(marker='test-run').click()
    await user.should_see('in department East sales', marker='test-reason', retries=100)
    await user.should_see('Rep Zhao', marker='test-rep', retries=50)


async def test_the_team_page_shows_capacity_per_department_and_filters_by_one(user: User, team: Team) -> None:
    east = team.desk.departments.add(None, 'East sales')
    team.desk.departments.place_user(None, team.rep_b.id, east)
    await login(user, team.manager.email)
    await user.open('/team')
    await user.should_see(marker=f'rep-{team.rep_a.id}', retries=100)
    await user.should_see('East sales: 0 / 10', marker=f'team-dept-{east}', retries=100)
    element(user, 'team-department').set_value(east)
    await user.should_not_see(marker=f'rep-{team.rep_a.id}', retries=100)
    await user.should_see(marker=f'rep-{team.rep_b.id}')
