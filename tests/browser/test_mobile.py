"""Phones and desks in real browsers: login, the inbox's header, the lead page and the pipeline at
390×844 and 1440×900, in English and Chinese. Nothing scrolls sideways, the phone's header is one
line, the lead page's bar (call, log, follow-up) shows on the phone only, and the board shows one
stage at a time with a switcher. `LEADDESK_SHOTS=<dir>` saves a screenshot of each."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from core.desk import Desk
from tests import factories
from tests.ui.test_pipeline_page import make_opportunity

from .support import Server, login

pytestmark = pytest.mark.browser

SIZES = {'phone': {'width': 390, 'height': 844}, 'desk': {'width': 1440, 'height': 900}}
LOCALES = ('en-US', 'zh-CN')
PHONE_HEADER_MAX_PX = 64
SHOTS = os.environ.get('LEADDESK_SHOTS')


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    server.seeded['lead'] = desk.leads.capture_lead(
        factories.lead_data(name='王小明 Wang Xiaoming', company='上海云杉信息科技有限公司 Spruce Cloud Ltd',
                            phone='13006219832', email='xiaoming.wang@spruce-cloud.example.com', budget='50万',
                            need='CRM for 20 reps across three cities, with WeChat follow-ups and reports',
                            message='Saw the demo at the trade show; wants a call next week.'),
        channel='manual', default_source='manual', actor=team.rep, keep_for_actor=True).lead_id
    desk.leads.log_activity(team.rep, server.seeded['lead'], kind='call', outcome='Interested',
                            note='Asked for pricing for 20 seats')
    server.seeded['deal'] = make_opportunity(desk, team.rep, company='Dragon Tea 龙井茶业', amount='128000',
                                             expected_close=date(2026, 12, 1))
    for n in range(3):
        desk.leads.capture_lead(factories.lead_data(name=f'Inbox Lead {n}', company=f'Company {n}'),
                                channel='manual', default_source='manual', actor=team.rep, keep_for_actor=True)


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate('() => [document.documentElement.scrollWidth, window.innerWidth]')
    assert width[0] <= width[1], f'{page.url} scrolls sideways: {width}'


def header_height(page: Page) -> float:
    return page.evaluate("() => document.querySelector('.q-header').getBoundingClientRect().height")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(300)  # fonts and the layout's last measurement
        page.screenshot(path=str(Path(SHOTS) / f'{name}.png'), full_page=True)
        page.screenshot(path=str(Path(SHOTS) / f'{name}-screen.png'))  # what the first screen shows


@pytest.mark.parametrize('size', list(SIZES))
def test_pages_fit_phone_and_desk_in_both_languages(start_server: Callable[..., Server], size: str,
                                                    new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    phone = size == 'phone'
    for locale in LOCALES:
        tag = f'{size}-{locale}'
        page = new_context(locale=locale, viewport=SIZES[size]).new_page()
        errors: list[str] = []
        page.on('console', lambda m, errors=errors: errors.append(m.text) if m.type == 'error' else None)

        page.goto(server.url('/login'))
        expect(page.get_by_test_id('login-submit')).to_be_visible()
        no_sideways_scroll(page)
        card = page.evaluate("() => document.querySelector('.q-card').getBoundingClientRect().width")
        assert card <= SIZES[size]['width'] - 16
        shot(page, f'login-{tag}')

        login(page, server, server.team.rep)
        expect(page.get_by_test_id('notifications')).to_be_visible()
        no_sideways_scroll(page)
        if phone:
            assert header_height(page) <= PHONE_HEADER_MAX_PX
            expect(page.get_by_test_id('nav-menu')).to_be_visible()
            expect(page.get_by_test_id('logout')).to_be_hidden()
            page.get_by_test_id('nav-menu').click()
            expect(page.get_by_test_id('drawer-nav-pipeline')).to_be_visible()
            shot(page, f'inbox-drawer-{tag}')
            page.keyboard.press('Escape')
            page.mouse.click(370, 400)  # outside the drawer
            expect(page.get_by_test_id('drawer-nav-pipeline')).to_be_hidden()
        else:
            expect(page.get_by_test_id('nav-menu')).to_be_hidden()
            expect(page.get_by_test_id('logout')).to_be_visible()
            assert header_height(page) <= PHONE_HEADER_MAX_PX
        shot(page, f'inbox-{tag}')

        page.goto(server.url(f'/leads/{server.seeded["lead"]}'))
        expect(page.get_by_test_id('lead-name')).to_be_visible()
        expect(page.get_by_test_id('value-company')).to_be_visible()
        expect(page.get_by_test_id('field-company')).to_be_hidden()
        no_sideways_scroll(page)
        bar = page.get_by_test_id('action-bar')
        if phone:
            assert header_height(page) <= PHONE_HEADER_MAX_PX
            expect(bar).to_be_visible()
            expect(page.get_by_test_id('bar-call')).to_have_attribute('href', 'tel:+8613006219832')
            # activities come right after the fields, before the score and the audit trail
            order = page.evaluate("""() => ['section-qualify', 'activities-card', 'audit'].map(
                id => document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect().top)""")
            assert order == sorted(order)
        else:
            expect(bar).to_be_hidden()
        shot(page, f'lead-{tag}')
        # a click before the page's socket is up is dropped by NiceGUI's client (`window.socket?.emit`):
        # a loaded box showed the read view still after the click
        page.wait_for_function('() => window.did_handshake === true')
        page.get_by_test_id('edit-contact').click()
        expect(page.get_by_test_id('field-company')).to_be_visible()
        no_sideways_scroll(page)
        shot(page, f'lead-edit-{tag}')
        if phone:
            page.get_by_test_id('bar-log-activity').click()
            expect(page.get_by_test_id('activity-save')).to_be_visible()
            no_sideways_scroll(page)
            shot(page, f'lead-log-{tag}')

        page.goto(server.url('/pipeline'))
        expect(page.get_by_test_id('board')).to_be_visible()
        expect(page.get_by_test_id(f'opp-{server.seeded["deal"]}')).to_be_visible()
        no_sideways_scroll(page)
        switcher = page.get_by_test_id('stage-switcher')
        if phone:
            assert header_height(page) <= PHONE_HEADER_MAX_PX
            expect(switcher).to_be_visible()
            visible = page.evaluate("""() => [...document.querySelectorAll('[data-testid^="column-"]')]
                .filter(el => el.offsetParent !== null).length""")
            assert visible == 1
            page.get_by_test_id(f'pick-{server.seeded["deal"]}').check()  # bulk edit: the card's box, the bar
            expect(page.get_by_test_id('bulk-bar')).to_be_visible()
            no_sideways_scroll(page)
        else:
            expect(switcher).to_be_hidden()
        shot(page, f'pipeline-{tag}')
        page.context.close()
        assert not [e for e in errors if 'favicon' not in e], errors


def test_a_table_wider_than_a_phone_scrolls_from_the_keyboard(start_server: Callable[..., Server],
                                                               new_context: Callable[..., BrowserContext]) -> None:
    """A table scrolls sideways in its own box, which Tab reaches (a region named after the table)
    and the arrow keys scroll; the page itself stays put."""
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=SIZES['phone']).new_page()
    login(page, server, server.team.rep)
    page.goto(server.url(f'/opportunities/{server.seeded["deal"]}'))
    region = page.get_by_role('region', name='Stage history (table)')
    expect(region.get_by_test_id('stage-history')).to_be_visible()
    assert region.evaluate('box => box.scrollWidth > box.clientWidth'), 'the history fits: nothing to scroll'
    assert region.get_attribute('tabindex') == '0'
    region.focus()
    for _ in range(5):
        page.keyboard.press('ArrowRight')
    page.wait_for_function('box => box.scrollLeft > 0', arg=region.element_handle())
    no_sideways_scroll(page)
