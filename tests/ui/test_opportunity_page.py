"""The opportunity page: editing with a version check, stage history, one activity timeline."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from store.engine import read_session
from store.models import Activity, Opportunity
from tests.ui.conftest import Team, login
from tests.ui.test_convert import converted, until


def opportunity(team: Team, opportunity_id: int) -> Opportunity:
    with read_session(team.desk.ctx.engine) as s:
        found = s.get(Opportunity, opportunity_id)
        assert found is not None
        return found


def deal_activities(team: Team, opportunity_id: int) -> list[Activity]:
    with read_session(team.desk.ctx.engine) as s:
        return list(s.exec(select(Activity).where(Activity.opportunity_id == opportunity_id)))


async def test_owner_edits_the_deal(user: User, team: Team) -> None:
    _, opportunity_id = converted(team, name='Edit Deal')
    await login(user, team.rep_a.email)
    await user.open(f'/opportunities/{opportunity_id}')
    await user.should_see('¥12,500')
    await user.should_see(marker='read-opp')  # the fields read as text until the pencil
    await user.should_not_see(marker='opp-amount')
    user.find(marker='edit-opp').click()
    user.find(marker='opp-amount').clear().type('30,000')
    user.find(marker='opp-expected-close').clear().type('2030-09-15')
    user.find(marker='opp-decision-maker').clear().type('CFO Liu')
    user.find(marker='save-opp').click()
    await until(lambda: opportunity(team, opportunity_id).version == 2)
    saved = opportunity(team, opportunity_id)
    assert (saved.amount_cents, saved.expected_close, saved.decision_maker) == \
        (3_000_000, date(2030, 9, 15), 'CFO Liu')
    await user.should_see('¥30,000', retries=50)
    await user.should_see(marker='value-decision_maker')  # read again, with what was saved
    assert user.find(marker='value-decision_maker').elements.pop().text == 'CFO Liu'
    await user.should_not_see(marker='opp-amount')


async def test_stale_edit_is_refused_and_nothing_overwritten(user: User, team: Team) -> None:
    _, opportunity_id = converted(team, name='Contested Deal')
    await login(user, team.manager.email)
    await user.open(f'/opportunities/{opportunity_id}')
    # Someone else saves while this page is open.
    team.desk.pipeline.update_opportunity(team.admin, opportunity_id, version=1, changes={'budget': 'Their budget'})
    user.find(marker='edit-opp').click()
    user.find(marker='opp-name').clear().type('My name')
    user.find(marker='save-opp').click()
    await user.should_see(marker='opp-stale', retries=50)
    saved = opportunity(team, opportunity_id)
    assert (saved.budget, saved.version) == ('Their budget', 2)
    assert saved.name != 'My name'


async def test_logged_activity_appears_in_the_timeline_with_the_leads(user: User, team: Team) -> None:
    _, opportunity_id = converted(team, name='Busy Deal')
    await login(user, team.rep_a.email)
    await user.open(f'/opportunities/{opportunity_id}')
    await user.should_see('First call')  # the lead's activity is part of the deal's history
    user.find(marker='log-activity').click()
    user.find(marker='activity-outcome').type('Sent the quote')
    user.find(marker='activity-next').type('2031-02-03')
    user.find(marker='activity-save').click()
    await until(lambda: deal_activities(team, opportunity_id) != [])
    await user.should_see(kind=ui.label, content='Sent the quote', retries=50)
    [activity] = deal_activities(team, opportunity_id)
    assert activity.outcome == 'Sent the quote' and activity.next_follow_up_at is not None
    assert opportunity(team, opportunity_id).next_follow_up_at is not None


async def test_stage_history_shows_every_move(user: User, team: Team) -> None:
    _, opportunity_id = converted(team, name='Moving Deal')
    stages = team.desk.pipeline.stages()
    team.desk.pipeline.move_opportunity(team.manager, opportunity_id, to_stage_id=stages[1].id or 0, version=1)
    await login(user, team.rep_a.email)
    await user.open(f'/opportunities/{opportunity_id}')
    table = user.find(marker='stage-history').elements.pop()
    assert isinstance(table, ui.table)
    assert [(r['from'], r['to'], r['by']) for r in table.rows] == [
        (stages[0].name_en, stages[1].name_en, 'Manager Wang'), ('—', stages[0].name_en, 'Rep Li')]


async def test_page_links_back_to_the_lead_and_the_customer(user: User, team: Team) -> None:
    lead_id, opportunity_id = converted(team, name='Linked Deal')
    account_id = opportunity(team, opportunity_id).account_id
    await login(user, team.rep_a.email)
    await user.open(f'/opportunities/{opportunity_id}')
    assert user.find(marker='opp-lead-link').elements.pop().props['href'] == f'/leads/{lead_id}'
    assert user.find(marker='opp-customer-link').elements.pop().props['href'] == f'/customers/{account_id}'


async def test_another_rep_cannot_open_the_deal(user: User, team: Team) -> None:
    _, opportunity_id = converted(team, name='Private Deal')
    await login(user, team.rep_b.email)
    await user.open(f'/opportunities/{opportunity_id}')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker='edit-opp')
