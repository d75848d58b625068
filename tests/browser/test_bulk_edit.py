"""Bulk edit on a phone (390×844): a manager ticks two lead cards, the action bar fits the screen,
and a bulk disqualification from the dialog leaves the inbox and the database changed; in the pool,
a manager ticks two leads, hands them to a rep and undoes it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import Server, choose, login

pytestmark = pytest.mark.browser

PHONE = {'width': 390, 'height': 844}


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    for name in ('Spam One', 'Spam Two', 'Keeper'):
        server.seeded[name] = desk.leads.capture_lead(
            factories.lead_data(name=name), channel='manual', default_source='manual', actor=team.rep,
            keep_for_actor=True).lead_id


def test_a_bulk_disqualification_on_a_phone(start_server: Callable[..., Server],
                                            new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=PHONE).new_page()
    login(page, server, server.team.manager)
    cards = page.get_by_test_id('inbox-cards')
    for name in ('Spam One', 'Spam Two'):
        card = cards.locator('.ld-card', has_text=name)
        expect(card).to_be_visible()
        card.locator('.ld-pick').click()
    bar = page.get_by_test_id('bulk-bar')
    expect(bar).to_be_visible()
    expect(page.get_by_test_id('bulk-count')).to_have_text('2 selected')
    box = bar.bounding_box()
    assert box is not None and box['x'] >= 0 and box['x'] + box['width'] <= PHONE['width']
    width = page.evaluate('() => [document.documentElement.scrollWidth, window.innerWidth]')
    assert width[0] <= width[1], f'the inbox scrolls sideways: {width}'

    page.get_by_test_id('bulk-action').click()
    expect(page.get_by_test_id('bulk-dialog')).to_be_visible()
    choose(page, 'bulk-kind', 'Disqualify')
    page.get_by_test_id('bulk-reason').fill('bought list')
    page.get_by_test_id('bulk-do-preview').click()
    expect(page.get_by_test_id('bulk-preview')).to_have_text('2 will change')
    page.get_by_test_id('bulk-apply').click()
    expect(page.get_by_text('2 leads changed (0 skipped)')).to_be_visible()
    expect(cards.locator('.ld-card', has_text='Spam One')).to_have_count(0)
    expect(cards.locator('.ld-card', has_text='Keeper')).to_be_visible()
    expect(bar).to_be_hidden()

    with sqlite3.connect(server.db_path) as db:
        statuses = dict(db.execute('SELECT name, status FROM leads').fetchall())
    assert (statuses['Spam One'], statuses['Spam Two'], statuses['Keeper']) == ('disqualified', 'disqualified',
                                                                                 'assigned')


def seed_pool(desk: Desk, server: Server) -> None:
    """Three never-owned pool leads (captured while both reps are on leave)."""
    team = server.team
    assert team is not None
    for rep in (team.rep, team.other_rep):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': True})
    for name in ('Fish One', 'Fish Two', 'Fish Three'):
        server.seeded[name] = desk.leads.capture_lead(factories.lead_data(name=name), channel='api',
                                                      default_source='api').lead_id
    for rep in (team.rep, team.other_rep):
        desk.team.update_user(team.admin, rep.id, {'is_on_leave': False})


def owners(server: Server) -> dict[str, tuple[str, int | None]]:
    with sqlite3.connect(server.db_path) as db:
        return {name: (status, owner) for name, status, owner in db.execute('SELECT name, status, owner_id FROM leads')}


@pytest.mark.parametrize('viewport', [{'width': 1440, 'height': 900}, PHONE], ids=['desk', 'phone'])
def test_a_manager_assigns_two_pool_leads_to_a_rep_then_undoes_it(
        start_server: Callable[..., Server], new_context: Callable[..., BrowserContext], viewport: dict) -> None:
    server = start_server(seed=seed_pool)
    team = server.team
    assert team is not None
    page = new_context(locale='en-US', viewport=viewport).new_page()
    login(page, server, team.manager)
    page.goto(server.url('/pool'))
    for name in ('Fish One', 'Fish Two'):
        if viewport == PHONE:
            page.get_by_test_id(f'pool-pick-{server.seeded[name]}').click()
        else:
            page.get_by_test_id('pool-table').get_by_role('checkbox', name=f'Select {name}', exact=True).click()
    bar = page.get_by_test_id('bulk-bar')
    expect(page.get_by_test_id('bulk-count')).to_have_text('2 selected')
    box = bar.bounding_box()
    assert box is not None and box['x'] >= 0 and box['x'] + box['width'] <= viewport['width']
    width = page.evaluate('() => [document.documentElement.scrollWidth, window.innerWidth]')
    assert width[0] <= width[1], f'the pool scrolls sideways: {width}'
    page.get_by_test_id('bulk-action').click()
    page.get_by_test_id('bulk-kind').click()
    page.get_by_role('option', name='Reassign').click()
    page.get_by_test_id('bulk-rep').click()
    page.get_by_role('option', name='Rita Rep').click()
    page.get_by_test_id('bulk-do-preview').click()
    expect(page.get_by_test_id('bulk-preview')).to_have_text('2 will change')
    page.get_by_test_id('bulk-apply').click()
    expect(page.get_by_text('2 leads changed (0 skipped)')).to_be_visible()
    expect(bar).to_be_hidden()
    expect(page.get_by_test_id('pool-total')).to_have_text('1–1 of 1')
    state = owners(server)
    assert state['Fish One'] == state['Fish Two'] == ('assigned', team.rep.id)
    assert state['Fish Three'] == ('pool', None)

    page.get_by_test_id('bulk-recent').click()
    undo = page.get_by_test_id('bulk-recent-list').get_by_role('button', name='Undo')
    undo.click()
    expect(page.get_by_text('2 leads restored; 0 skipped because they changed since')).to_be_visible()
    expect(page.get_by_test_id('pool-total')).to_have_text('1–3 of 3')
    assert {owners(server)[n] for n in ('Fish One', 'Fish Two')} == {('pool', None)}
