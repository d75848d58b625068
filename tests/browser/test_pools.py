"""Two pools with different claim limits in a real browser: a north rep claims up to the north
pool's limit (2 a day), is refused with the reason in place of Claim, and still claims in the
shared pool (10 a day), switching with the pool switcher."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from core.desk import Desk
from tests import factories

from .support import Server, login

pytestmark = pytest.mark.browser


def _two_pools(desk: Desk, server: Server) -> None:
    """The rep in 北区, whose pool allows 2 claims a day and holds 3 leads; the shared pool holds 1."""
    team = server.team
    assert team is not None
    north = desk.departments.add(team.admin, '北区销售部')
    desk.departments.place_user(team.admin, team.rep.id, north)
    pool = desk.pools.save(team.admin, None, {'name': '北区公海', 'department_ids': [north], 'claim_limit': 2})
    for rep in (team.rep, team.other_rep):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': True})
    ids = [desk.leads.capture_lead(factories.lead_data(name=f'North Lead {i}'), channel='api',
                                   default_source='api').lead_id for i in range(3)]
    desk.leads.capture_lead(factories.lead_data(name='Shared Lead'), channel='api', default_source='api')
    for rep in (team.rep, team.other_rep):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': False})
    desk.pools.move(team.admin, ids, pool.id)


@pytest.fixture
def pools_server(start_server: Callable[..., Server]) -> Server:
    return start_server(seed=_two_pools)


def test_claim_limits_differ_per_pool(page: Page, pools_server: Server) -> None:
    assert pools_server.team is not None
    page.set_viewport_size({'width': 1440, 'height': 900})
    login(page, pools_server, pools_server.team.rep)
    page.goto(pools_server.url('/pool'))
    table = page.get_by_test_id('pool-table')
    expect(table.get_by_text('North Lead 0')).to_be_visible()  # opens on the rep's department's pool
    expect(page.get_by_test_id('pool-limits')).to_have_text('北区公海: you claimed 0 of 2 today')
    expect(page.get_by_test_id('pool-switch')).to_contain_text('北区公海 (3)')
    for claimed in (1, 2):
        table.get_by_role('button', name='Claim').first.click()
        expect(page.get_by_test_id('pool-limits')).to_have_text(f'北区公海: you claimed {claimed} of 2 today')
    expect(page.get_by_test_id('pool-total')).to_have_text('1–1 of 1')
    expect(page.get_by_test_id('pool-switch')).to_contain_text('北区公海 (1)')  # the switch counts as the list does
    expect(table.get_by_role('button', name='Claim')).to_have_count(0)
    expect(table.get_by_text("Today's claim limit reached (2)")).to_be_visible()
    page.get_by_test_id('pool-switch').get_by_text('Public pool').click()
    expect(page).to_have_url(pools_server.url('/pool?pool=1'))
    expect(page.get_by_test_id('pool-limits')).to_have_text('Public pool: you claimed 0 of 10 today')
    table = page.get_by_test_id('pool-table')
    expect(table.get_by_text('Shared Lead')).to_be_visible()
    table.get_by_role('button', name='Claim').click()
    expect(page.get_by_text('Claimed: the lead is yours')).to_be_visible()
    expect(page.get_by_test_id('pool-total')).to_have_text('0 leads')
    expect(page.get_by_test_id('pool-switch')).to_contain_text('Public pool (0)')
