"""The pool page: masked phones, claiming with its limits, bulk assignment, the review queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User

from core.clock import FakeClock
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


async def bulk_assign(user: User, rep_id: int, *, preview: str = '') -> None:
    """The bulk bar's dialog: reassign the ticked leads to `rep_id` (0: through the rules)."""
    user.find(marker='bulk-action').click()
    await user.should_see(marker='bulk-dialog')
    kind = user.find(marker='bulk-kind').elements.pop()
    assert isinstance(kind, ui.select) and set(kind.options) == {'reassign'}  # no tags defined: no tag actions
    kind.set_value('reassign')
    rep = user.find(marker='bulk-rep').elements.pop()
    assert isinstance(rep, ui.select)
    rep.set_value(rep_id)
    if preview:
        user.find(marker='bulk-do-preview').click()
        await user.should_see(preview)
    user.find(marker='bulk-apply').click()


async def test_manager_assigns_selected_pool_leads(user: User, team: Team) -> None:
    ids = [pool_lead(team, name=f'Bulk {i}') for i in range(3)]
    await login(user, team.manager.email)
    await user.open('/pool')
    rows = await table_rows(user, 'pool-table', 3)
    await user.should_not_see(marker='bulk-bar')
    picked = [r for r in rows if r['id'] in ids[:2]]
    user.find(marker='pool-table').trigger('selection', {'added': True, 'rows': picked,
                                                         'keys': [r['id'] for r in picked]})
    await user.should_see('2 selected')
    await bulk_assign(user, team.rep_b.id, preview='2 will change')
    await user.should_see('2 leads changed (0 skipped)', retries=50)
    assert [owner(team, i) for i in ids] == [team.rep_b.id, team.rep_b.id, None]
    table = user.find(marker='pool-table').elements.pop()
    assert isinstance(table, ui.table) and table.selected == []


async def test_manager_assigns_pool_leads_through_the_rules_then_undoes_it(user: User, team: Team) -> None:
    ids = [pool_lead(team, name=f'Rules {i}') for i in range(2)]
    await login(user, team.manager.email)
    await user.open('/pool')
    rows = await table_rows(user, 'pool-table', 2)
    user.find(marker='pool-table').trigger('selection', {'added': True, 'rows': rows, 'keys': ids})
    await bulk_assign(user, 0)
    await user.should_see('2 leads changed (0 skipped)', retries=50)
    assert None not in [owner(team, i) for i in ids]
    user.find(marker='bulk-recent').click()
    await user.should_see('Reassign: 2 leads')
    batch = team.desk.bulk.recent(team.manager)[0]
    user.find(marker=f'bulk-undo-{batch.id}').click()
    await user.should_see('2 leads restored; 0 skipped because they changed since', retries=100)
    assert [(owner(team, i), _status(team, i)) for i in ids] == [(None, 'pool')] * 2


async def test_a_rep_has_no_bulk_bar_in_the_pool(user: User, team: Team) -> None:
    pool_lead(team, name='Alone')
    await login(user, team.rep_a.email)
    await user.open('/pool')
    await table_rows(user, 'pool-table', 1)
    await user.should_not_see(marker='bulk-recent')


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


def pool_leads(team: Team, n: int, **fields: str) -> list[int]:
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': True})
    ids = [team.desk.leads.capture_lead(factories.lead_data(**fields), channel='api', default_source='api').lead_id
           for _ in range(n)]
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': False})
    return ids


async def test_pool_pages_past_the_first_fifty(user: User, team: Team) -> None:
    ids = pool_leads(team, 30)
    await login(user, team.rep_a.email)
    await user.open('/pool')
    first = list(await table_rows(user, 'pool-table', 25))
    await user.should_see('1–25 of 30', retries=50)
    user.find(marker='pool-pager').elements.pop().set_value(2)
    second = await table_rows(user, 'pool-table', 5)
    await user.should_see('26–30 of 30', retries=50)
    assert sorted(r['id'] for r in first + second) == sorted(ids)


async def test_pool_search_and_filters_come_from_the_address(user: User, team: Team) -> None:
    [wanted] = pool_leads(team, 1, name='Zhang East', region='East')
    pool_leads(team, 1, name='Zhang West', region='West')
    pool_leads(team, 1, name='Wang East', region='East')
    await login(user, team.rep_a.email)
    await user.open('/pool?q=zhang&region=East&sort=oldest')
    [row] = await table_rows(user, 'pool-table', 1)
    assert row['id'] == wanted
    assert user.find(marker='pool-search').elements.pop().value == 'zhang'
    assert user.find(marker='pool-region').elements.pop().value == 'East'
    assert user.find(marker='pool-sort').elements.pop().value == 'oldest'


async def test_pool_search_and_filter_as_typed(user: User, team: Team) -> None:
    pool_leads(team, 2, region='East')
    [fish] = pool_leads(team, 1, name='Search Fish', region='West')
    await login(user, team.rep_a.email)
    await user.open('/pool')
    await table_rows(user, 'pool-table', 3)
    user.find(marker='pool-region').elements.pop().set_value('East')
    assert len(await table_rows(user, 'pool-table', 2)) == 2
    user.find(marker='pool-region').elements.pop().set_value(None)
    user.find(marker='pool-search').type('search fish')
    [row] = await table_rows(user, 'pool-table', 1)
    assert row['id'] == fish


def recycled_from(team: Team, rep_id: int) -> int:
    """A lead the rep held until its protection ended just now: in the pool, cooling down for them.
    The page's app runs on the real clock, so this desk's fake clock ends at the real now."""
    desk = team.desk
    clock = desk.ctx.clock
    assert isinstance(clock, FakeClock)
    clock._now = datetime.now(UTC) - timedelta(days=31, hours=1)
    rep = team.rep_a if rep_id == team.rep_a.id else team.rep_b
    lead_id = desk.leads.capture_lead(factories.lead_data(name='Cooling'), channel='manual',
                                      default_source='manual', actor=rep, keep_for_actor=True).lead_id
    desk.ctx.clock.advance(hours=1)
    desk.leads.log_activity(rep, lead_id, kind='call')  # contacted in time: the lead stays until protection ends
    desk.ctx.clock.advance(days=31)
    desk.automation.tick()
    assert _status(team, lead_id) == 'pool'
    return lead_id


async def test_cooldown_shows_the_reason_instead_of_claim(user: User, team: Team) -> None:
    lead_id = recycled_from(team, team.rep_a.id)
    await login(user, team.rep_a.email)
    await user.open('/pool')
    [row] = await table_rows(user, 'pool-table', 1)
    assert row['action'] == '' and row['reason'].startswith('Cool-down until ')
    await user.should_see(marker=f'pool-reason-{lead_id}', retries=50)
    await user.should_not_see(marker=f'pool-act-{lead_id}')


async def test_other_rep_sees_claim_on_a_cooling_lead(user: User, team: Team) -> None:
    lead_id = recycled_from(team, team.rep_a.id)
    await login(user, team.rep_b.email)
    await user.open('/pool')
    [row] = await table_rows(user, 'pool-table', 1)
    assert (row['action'], row['reason']) == ('Claim', '')
    await user.should_see(marker=f'pool-act-{lead_id}', retries=50)


async def test_claim_limit_reached_shows_the_reason_on_every_row(user: User, team: Team) -> None:
    ids = pool_leads(team, 2)
    team.desk.set_policy(team.manager, team.desk.policy().to_dict() | {'claim_limit': 1})
    await login(user, team.rep_a.email)
    await user.open('/pool')
    await table_rows(user, 'pool-table', 2)
    user.find(marker=f'pool-act-{ids[0]}').click()
    await user.should_see('Claimed: the lead is yours', retries=50)
    [row] = await table_rows(user, 'pool-table', 1)
    assert (row['action'], row['reason']) == ('', "Today's claim limit reached (1)")


async def test_phone_card_claims(user: User, team: Team) -> None:
    [lead_id] = pool_leads(team, 1, name='Card Fish', company='Card Co', region='North')
    await login(user, team.rep_a.email)
    await user.open('/pool')
    await user.should_see(marker=f'pool-card-{lead_id}', retries=50)
    card = user.find(marker=f'pool-card-{lead_id}')
    await user.should_see('Card Co')
    assert card.elements
    user.find(marker=f'pool-act-{lead_id}').click()
    await user.should_see('Claimed: the lead is yours', retries=50)
    assert owner(team, lead_id) == team.rep_a.id


async def test_manager_assigns_leads_picked_on_cards(user: User, team: Team) -> None:
    ids = pool_leads(team, 3)
    await login(user, team.manager.email)
    await user.open('/pool')
    await user.should_see(marker=f'pool-pick-{ids[0]}', retries=50)
    user.find(marker=f'pool-pick-{ids[0]}').click()
    await user.should_see('1 selected')
    await bulk_assign(user, team.rep_b.id)
    await user.should_see('1 leads changed (0 skipped)', retries=50)
    assert [owner(team, i) for i in ids] == [team.rep_b.id, None, None]


async def test_a_saved_pool_view_is_its_address_and_the_pool_opens_on_it(user: User, team: Team) -> None:
    from store.models import ViewPage
    [east] = pool_leads(team, 1, name='Zhang East', region='East')
    pool_leads(team, 1, name='Zhang West', region='West')
    await login(user, team.rep_a.email)
    await user.open('/pool?region=East&sort=oldest')
    await table_rows(user, 'pool-table', 1)
    user.find(marker='view-save-as').click()
    user.find(marker='view-name').type('East, oldest first')
    user.find(marker='view-save').click()
    await user.should_see('View “East, oldest first” saved')
    [view] = team.desk.views.views(team.rep_a, ViewPage.POOL)
    assert (view.filters['region'], view.filters['sort']) == ('East', 'oldest')

    team.desk.views.open_on(team.rep_a, ViewPage.POOL, view.id)
    await user.open('/pool')  # a plain visit: redirected to the view's address
    [row] = await table_rows(user, 'pool-table', 1)
    assert row['id'] == east
    assert user.find(marker='pool-region').elements.pop().value == 'East'
    assert user.find(marker='pool-sort').elements.pop().value == 'oldest'
    assert user.find(marker='views-pool').elements.pop().value == view.id
