"""The pool page: masked phones, claiming with its limits, bulk assignment, the review queue."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from store.engine import read_session
from store.models import Lead
from tests import factories
from tests.ui.conftest import Team, login


def pool_lead(team: Team, **fields: str) -> int:
    """A lead captured while every rep is on leave: it waits in the pool."""
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': True})
    lead_id = team.desk.leads.capture_lead(factories.lead_data(**fields), channel='api',
                                           default_source='api').lead_id
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': False})
    return lead_id


def owner(team: Team, lead_id: int) -> int | None:
    with read_session(team.desk.ctx.engine) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        return lead.owner_id


async def table_rows(user: User, marker: str, expected: int) -> list[dict]:
    table = user.find(marker=marker).elements.pop()
    assert isinstance(table, ui.table)
    for _ in range(60):
        if len(table.rows) == expected:
            break
        await asyncio.sleep(0.05)
    return table.rows


async def test_rep_sees_masked_phone_and_claims(user: User, team: Team) -> None:
    lead_id = pool_lead(team, name='Pool Fish', phone='13812345678')
    await login(user, team.rep_a.email)
    await user.open('/pool')
    [row] = await table_rows(user, 'pool-table', 1)
    assert (row['name'], row['phone']) == ('Pool Fish', '138****5678')
    await team_claim(user, lead_id)
    await user.should_see('Claimed: the lead is yours', retries=50)
    assert owner(team, lead_id) == team.rep_a.id
    assert await table_rows(user, 'pool-table', 0) == []


async def team_claim(user: User, lead_id: int) -> None:
    """Press the row's Claim button: the slot's button emits `act` with its row."""
    user.find(marker='pool-table').trigger('act', {'id': lead_id})
    await asyncio.sleep(0.3)


async def test_claim_limit_message_at_the_limit(user: User, team: Team) -> None:
    ids = [pool_lead(team, name=f'Fish {i}') for i in range(2)]
    policy = team.desk.policy().to_dict() | {'claim_limit': 1}
    team.desk.set_policy(team.manager, policy)
    await login(user, team.rep_a.email)
    await user.open('/pool')
    await table_rows(user, 'pool-table', 2)
    await team_claim(user, ids[0])
    await team_claim(user, ids[1])
    await user.should_see("You reached today's claim limit (1)", retries=50)
    assert owner(team, ids[1]) is None


async def test_manager_assigns_selected_pool_leads(user: User, team: Team) -> None:
    ids = [pool_lead(team, name=f'Bulk {i}') for i in range(3)]
    await login(user, team.manager.email)
    await user.open('/pool')
    rows = await table_rows(user, 'pool-table', 3)
    table = user.find(marker='pool-table').elements.pop()
    table.selected[:] = [r for r in rows if r['id'] in ids[:2]]
    user.find(marker='pool-assign-rep').elements.pop().set_value(team.rep_b.id)
    user.find(marker='pool-assign').click()
    await user.should_see('2 leads assigned', retries=50)
    assert [owner(team, i) for i in ids] == [team.rep_b.id, team.rep_b.id, None]


async def test_manager_sends_a_review_lead_back_to_the_pool(user: User, team: Team) -> None:
    desk = team.desk
    lead_id = desk.leads.capture_lead(factories.lead_data(name='Thrice'), channel='api', default_source='api').lead_id
    reps = {team.rep_a.id: team.rep_a, team.rep_b.id: team.rep_b}
    for _ in range(3):  # three protection periods end without conversion: the third goes to review
        desk.ctx.clock.advance(hours=1)
        desk.leads.log_activity(reps[owner(team, lead_id) or 0], lead_id, kind='call')  # contacted in time
        desk.ctx.clock.advance(days=31)
        desk.automation.tick()
        if _status(team, lead_id) == 'pool':
            desk.pool.assign_from_pool(team.manager, [lead_id], rep_id=team.rep_a.id)
    assert _status(team, lead_id) == 'review'
    await login(user, team.manager.email)
    await user.open('/pool')
    rows = await table_rows(user, 'review-table', 1)
    assert [r['name'] for r in rows] == ['Thrice'] and rows[0]['recycles'] == 3
    user.find(marker='review-table').trigger('act', {'id': lead_id})
    await user.should_see('Sent back to the pool', retries=50)
    assert _status(team, lead_id) == 'pool'


def _status(team: Team, lead_id: int) -> str:
    with read_session(team.desk.ctx.engine) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        return lead.status
