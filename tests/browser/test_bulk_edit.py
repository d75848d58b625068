"""Bulk edit on a phone (390×844): a manager ticks two lead cards, the action bar fits the screen,
and a bulk disqualification from the dialog leaves the inbox and the database changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import Server, login

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
    page.get_by_test_id('bulk-kind').click()
    page.get_by_role('option', name='Disqualify').click()
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
