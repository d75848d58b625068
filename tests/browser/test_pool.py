"""The timer and the pool in real browsers: a stale lead leaves the rep's inbox and appears
in the manager's pool live; the rep claims from the pool up to the daily limit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from core.desk import Desk
from store.models import Source

from .support import Server, login
from .test_leads import wait_for_inbox

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    stale = desk.leads.capture_lead({'name': 'Stale Stella', 'phone': '13911112222'}, channel='manual',
                                    default_source=Source.MANUAL, actor=team.rep, keep_for_actor=True)
    pooled = [desk.leads.capture_lead({'name': name, 'phone': phone}, channel='manual', default_source=Source.MANUAL,
                                      actor=team.other_rep, keep_for_actor=True)
              for name, phone in (('Pooled Paul', '13933334444'), ('Pooled Petra', '13955556666'))]
    desk.set_policy(team.manager, desk.policy().to_dict() | {'claim_limit': 1, 'redistribute_recycled': False})
    server.seeded.update(stale=stale.lead_id, pooled=[p.lead_id for p in pooled])


def end_protection(server: Server, lead_id: int) -> None:
    """Move this lead's clock past its protection end (the server's own clock keeps running);
    the server's timer, ticking every second here, recycles it."""
    with sqlite3.connect(server.db_path) as db:
        db.execute("UPDATE leads SET protected_until = '2000-01-01 00:00:00' WHERE id = ?", (lead_id,))


def test_stale_lead_moves_to_the_pool_live_and_rep_claims_to_the_limit(
        page: Page, new_context: Callable[..., BrowserContext], start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed, env={'LEADDESK_TICK_SECONDS': '1'})
    team = server.team
    assert team is not None

    login(page, server, team.rep)  # the rep on the inbox
    wait_for_inbox(page)
    inbox = page.get_by_test_id('inbox-table')
    expect(inbox.get_by_text('Stale Stella', exact=True)).to_be_visible()

    manager = new_context().new_page()  # the manager on the pool
    login(manager, server, team.manager)
    manager.goto(server.url('/pool'))
    pool = manager.get_by_test_id('pool-table')
    expect(pool).to_be_visible()
    expect(pool.get_by_text('Stale Stella', exact=True)).to_have_count(0)

    for lead_id in (server.seeded['stale'], *server.seeded['pooled']):
        end_protection(server, lead_id)

    expect(inbox.get_by_text('Stale Stella', exact=True)).to_have_count(0, timeout=8_000)
    expect(pool.get_by_text('Stale Stella', exact=True)).to_be_visible(timeout=8_000)
    expect(page).to_have_url(server.url('/'))  # both updated without reload

    page.goto(server.url('/pool'))
    rep_pool = page.get_by_test_id('pool-table')
    stella_row = rep_pool.locator('tr', has_text='Stale Stella')
    expect(stella_row).to_contain_text('139****2222')  # masked until claimed
    stella_row.get_by_role('button').click()  # the previous owner is in cool-down
    expect(page.get_by_text('You worked this lead before')).to_be_visible()

    rows = rep_pool.locator('tbody tr', has_text='Pooled')
    rows.first.get_by_role('button').click()
    expect(page.get_by_text('Claimed: the lead is yours')).to_be_visible()
    rep_pool.locator('tbody tr', has_text='Pooled').first.get_by_role('button').click()
    expect(page.get_by_text("You reached today's claim limit (1)")).to_be_visible()
