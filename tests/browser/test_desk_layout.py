"""The inbox's keys and the desk pages' widths in a real browser: j/k move the focused row, Enter
opens it, `/` goes to search, `?` lists the keys (not while typing); the inbox, reports and team
pages do not scroll sideways on a phone (390×844) and fit a 1280×800 laptop.

`LEADDESK_SHOTS=/some/dir` also saves screenshots of the three pages (1440×900 and 390×844, en
and zh-CN) on the demo data there, to look at."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from core.desk import Desk
from store.models import Source

from .support import LoginPage, Server, login
from .test_leads import wait_for_inbox

pytestmark = pytest.mark.browser

NAMES = ('Key Anna', 'Key Bert', 'Key Cleo')
PAGES = ('/', '/reports', '/team')
READY = {'/': 'inbox-pager', '/reports': 'panel-funnel', '/team': 'team-totals'}
OVERFLOW = '''() => {
  const doc = document.scrollingElement || document.documentElement;
  const wide = [...document.querySelectorAll('body *')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > window.innerWidth + 1 && getComputedStyle(e).position !== 'fixed';
  }).slice(0, 5).map((e) => `${e.tagName}.${e.className}`.slice(0, 120));
  return {sideways: doc.scrollWidth - doc.clientWidth, wide};
}'''
"""How far the page scrolls sideways, and the first elements reaching past the window (to say why)."""


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    for i, name in enumerate(NAMES):
        desk.leads.capture_lead({'name': name, 'phone': f'1391234{i:04d}', 'company': f'Keys Co {i}'},
                                channel='manual', default_source=Source.MANUAL, actor=team.rep,
                                keep_for_actor=True)


def focused_lead(page: Page) -> str | None:
    return page.evaluate('() => document.activeElement && document.activeElement.dataset.lead || null')


def wait_focus(page: Page, lead_id: str | None) -> None:
    """The row of `lead_id` holds the focus, once the key's handling has landed (it may go through the
    server: under load a check right after the key press can come first)."""
    try:
        page.wait_for_function('(id) => document.activeElement && document.activeElement.dataset.lead === id',
                               arg=lead_id, timeout=10_000)
    except PlaywrightError as e:  # say where the focus is instead
        where = page.evaluate('() => (document.activeElement || document.body).outerHTML.slice(0, 300)')
        raise AssertionError(f'focus not on lead {lead_id} but on {where}') from e
    assert focused_lead(page) == lead_id


def test_inbox_keys_move_open_search_and_list(page: Page, start_server: Callable[..., Server]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page.set_viewport_size({'width': 1280, 'height': 800})
    login(page, server, server.team.rep)
    wait_for_inbox(page)
    rows = page.locator('[data-testid="inbox-table"] tr.ld-row')
    expect(rows).to_have_count(3)
    ids = [rows.nth(i).get_attribute('data-lead') for i in range(3)]
    page.keyboard.press('j')
    wait_focus(page, ids[0])
    page.keyboard.press('j')
    page.keyboard.press('j')
    wait_focus(page, ids[2])
    page.keyboard.press('j')  # stays on the last
    wait_focus(page, ids[2])
    page.keyboard.press('k')
    wait_focus(page, ids[1])
    outline = rows.nth(1).evaluate('(r) => getComputedStyle(r).outlineStyle')
    assert outline != 'none'  # a visible focus ring
    page.keyboard.press('Enter')
    page.wait_for_url(server.url(f'/leads/{ids[1]}'))

    page.goto(server.url('/'))
    wait_for_inbox(page)
    page.keyboard.press('/')
    search = page.get_by_test_id('inbox-search')  # Quasar puts the attribute on the input itself
    expect(search).to_be_focused()
    page.keyboard.type('jk?')  # typing in search is typing, not keys
    expect(search).to_have_value('jk?')
    expect(page.get_by_test_id('inbox-help')).to_have_count(0)
    search.fill('')
    search.blur()
    page.keyboard.press('?')
    help_card = page.get_by_test_id('inbox-help')
    expect(help_card).to_be_visible()
    expect(help_card).to_contain_text('Next lead')
    expect(help_card).to_contain_text('/')


def test_the_focused_row_stays_through_a_live_refresh(page: Page, new_context: Callable[..., BrowserContext],
                                                      start_server: Callable[..., Server]) -> None:
    """A lead arriving while a manager walks the inbox with j/k: the new row appears, the focus stays
    on the lead it was on (not on whatever row now sits in its place), and j goes on from there."""
    server = start_server(seed=seed)
    assert server.team is not None
    page.set_viewport_size({'width': 1280, 'height': 800})
    login(page, server, server.team.manager)
    wait_for_inbox(page)
    rows = page.locator('[data-testid="inbox-table"] tr.ld-row')
    expect(rows).to_have_count(3)
    page.keyboard.press('j')
    page.keyboard.press('j')
    held = rows.nth(1).get_attribute('data-lead')
    wait_focus(page, held)

    visitor = new_context().new_page()
    visitor.goto(server.url('/f/contact'))
    visitor.get_by_test_id('form-name').fill('Live Lena')
    visitor.get_by_test_id('form-phone').fill('13900002222')
    visitor.get_by_test_id('form-submit').click()
    expect(visitor.get_by_test_id('form-thanks')).to_be_visible()

    expect(rows).to_have_count(4, timeout=10_000)
    wait_focus(page, held)
    order = [rows.nth(i).get_attribute('data-lead') for i in range(4)]
    page.keyboard.press('j')
    wait_focus(page, order[order.index(held) + 1])


@pytest.mark.parametrize(('width', 'height'), [(390, 844), (1280, 800)])
def test_desk_pages_do_not_scroll_sideways(page: Page, start_server: Callable[..., Server],
                                           width: int, height: int) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page.set_viewport_size({'width': width, 'height': height})
    login(page, server, server.team.manager)
    for path in PAGES:
        page.goto(server.url(path))
        expect(page.get_by_test_id(READY[path])).to_be_visible()
        page.wait_for_timeout(500)
        measured = page.evaluate(OVERFLOW)
        assert measured['sideways'] <= 0, (path, measured)
    page.goto(server.url('/'))
    expect(page.get_by_test_id('inbox-pager')).not_to_be_empty()
    if width < 600:  # a phone: cards with a tap-to-call phone, no table
        expect(page.get_by_test_id('inbox-table')).to_be_hidden()
        expect(page.locator('.ld-card a[href^="tel:"]').first).to_be_visible()
        # the filters fold behind a button, so the first leads show without scrolling
        expect(page.get_by_test_id('filter-status')).to_be_hidden()
        toggle = page.get_by_test_id('inbox-filters-toggle')
        expect(toggle).to_have_attribute('aria-expanded', 'false')
        toggle.click()
        expect(page.get_by_test_id('filter-status')).to_be_visible()
        expect(toggle).to_have_attribute('aria-expanded', 'true')
        assert page.evaluate(OVERFLOW)['sideways'] <= 0
    else:  # every filter shows, no fold button; every default column in full (no scroll inside the table)
        expect(page.get_by_test_id('filter-status')).to_be_visible()
        expect(page.get_by_test_id('inbox-filters-toggle')).to_be_hidden()
        middle = page.locator('[data-testid="inbox-table"] .q-table__middle')
        assert middle.evaluate('(m) => m.scrollWidth - m.clientWidth') <= 0


@pytest.mark.skipif(not os.environ.get('LEADDESK_SHOTS'), reason='screenshots on request (LEADDESK_SHOTS=dir)')
def test_screenshots(new_context: Callable[..., BrowserContext], start_server: Callable[..., Server]) -> None:
    out = Path(os.environ['LEADDESK_SHOTS'])
    out.mkdir(parents=True, exist_ok=True)
    server = start_server(with_team=False, env={'LEADDESK_DEMO': '1'})
    for locale in ('en-US', 'zh-CN'):
        for width, height in ((1440, 900), (390, 844)):
            page = new_context(locale=locale, viewport={'width': width, 'height': height}).new_page()
            page.set_default_timeout(20_000)
            LoginPage(page, server).login('manager@demo.leaddesk', 'demo1234')
            for path in PAGES:
                page.goto(server.url(path))
                expect(page.get_by_test_id(READY[path])).to_be_visible()
                page.wait_for_timeout(2500)
                name = (path.strip('/') or 'inbox')
                page.screenshot(path=out / f'{name}-{locale}-{width}.png', full_page=path != '/reports')
                if path == '/reports':  # a section link scrolls to its panel
                    page.get_by_test_id('section-forecast').click()
                    page.wait_for_timeout(800)
                    page.screenshot(path=out / f'{name}-{locale}-{width}-forecast.png')
            page.context.close()
