"""Team steering in real browsers: the manager bulk-reassigns two of a rep's leads on the team
page; they leave the rep's open inbox and the team page's numbers change — both live."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from core.desk import Desk
from store.models import Source

from .support import Server, login
from .test_leads import wait_for_inbox

pytestmark = pytest.mark.browser

NAMES = ('Bulk Bella', 'Bulk Bruno', 'Stay Stan')


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    ids = [desk.leads.capture_lead({'name': name, 'phone': f'1391234{i:04d}'}, channel='manual',
                                   default_source=Source.MANUAL, actor=team.rep, keep_for_actor=True).lead_id
           for i, name in enumerate(NAMES)]
    server.seeded.update(ids=ids)


def test_manager_bulk_reassigns_and_both_pages_update_live(
        page: Page, new_context: Callable[..., BrowserContext], start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    bella, bruno, stan = server.seeded['ids']

    login(page, server, team.rep)  # the rep watches their inbox
    wait_for_inbox(page)
    inbox = page.get_by_test_id('inbox-table')
    for name in NAMES:
        expect(inbox.get_by_text(name, exact=True)).to_be_visible()

    manager = new_context().new_page()
    login(manager, server, team.manager)
    manager.goto(server.url('/team'))
    rep_open, other_open = (manager.get_by_test_id(f'rep-open-{u.id}') for u in (team.rep, team.other_rep))
    expect(rep_open).to_have_text('3 / 30')
    expect(other_open).to_have_text('0 / 30')

    manager.get_by_test_id(f'rep-leads-{team.rep.id}').click()
    expect(manager.get_by_test_id(f'drill-lead-{bella}')).to_be_visible()
    manager.get_by_test_id(f'drill-check-{bella}').click()
    manager.get_by_test_id(f'drill-check-{bruno}').click()
    expect(manager.get_by_test_id(f'drill-move-{team.rep.id}')).to_contain_text('Move 2 selected')
    manager.get_by_test_id(f'drill-to-{team.rep.id}').click()
    manager.get_by_role('option', name='Otto Rep').click()
    manager.get_by_test_id(f'drill-move-{team.rep.id}').click()

    expect(manager.get_by_text('2 leads moved')).to_be_visible()
    expect(rep_open).to_have_text('1 / 30')
    expect(other_open).to_have_text('2 / 30')
    expect(manager.get_by_test_id(f'drill-lead-{bella}')).to_have_count(0)
    expect(manager.get_by_test_id(f'drill-lead-{stan}')).to_be_visible()

    # the rep's inbox, never reloaded, lost exactly those two
    expect(inbox.get_by_text('Bulk Bella', exact=True)).to_have_count(0)
    expect(inbox.get_by_text('Bulk Bruno', exact=True)).to_have_count(0)
    expect(inbox.get_by_text('Stay Stan', exact=True)).to_be_visible()
    expect(page).to_have_url(server.url('/'))


def test_manager_drags_a_lead_onto_another_rep(page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    team = server.team
    assert team is not None
    bella = server.seeded['ids'][0]
    login(page, server, team.manager)
    page.goto(server.url('/team'))
    page.get_by_test_id(f'rep-leads-{team.rep.id}').click()
    row = page.get_by_test_id(f'drill-lead-{bella}')
    expect(row).to_be_visible()
    target = page.get_by_test_id(f'drill-items-{team.other_rep.id}')
    row.locator('xpath=..').drag_to(target)
    expect(page.get_by_test_id(f'rep-open-{team.other_rep.id}')).to_have_text('1 / 30')
    expect(page.get_by_test_id(f'rep-open-{team.rep.id}')).to_have_text('2 / 30')
