"""The search on a phone (390×844) in a real browser: the header's button opens the search page,
typing a phone in another spelling shows the lead, and tapping it opens the lead's page; on a desk
`/` focuses the header's box and Enter searches. Nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import Server, login

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    server.seeded['lead'] = desk.leads.capture_lead(
        factories.lead_data(name='王小明', company='上海云杉信息科技有限公司', phone='13006219832'),
        channel='manual', default_source='manual', actor=team.rep, keep_for_actor=True).lead_id


def test_a_phone_searches_and_opens_a_lead(start_server: Callable[..., Server],
                                           new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='zh-CN', viewport={'width': 390, 'height': 844}).new_page()
    login(page, server, server.team.rep)
    page.get_by_test_id('header-search-button').click()
    expect(page.get_by_test_id('search-hint')).to_be_visible()
    page.get_by_test_id('search-input').fill('130-0621-9832')
    hit = page.get_by_test_id(f'search-hit-lead-{server.seeded["lead"]}')
    expect(hit).to_be_visible()
    expect(hit).to_contain_text('王小明')
    width = page.evaluate('() => [document.documentElement.scrollWidth, window.innerWidth]')
    assert width[0] <= width[1]
    hit.click()
    expect(page.get_by_test_id('lead-name')).to_contain_text('王小明')


def test_slash_focuses_the_header_box_on_a_desk(start_server: Callable[..., Server],
                                                new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport={'width': 1440, 'height': 900}).new_page()
    login(page, server, server.team.rep)
    page.goto(server.url('/pipeline'))
    expect(page.get_by_test_id('header-search')).to_be_visible()
    page.keyboard.press('/')
    page.keyboard.type('云杉信息')
    page.keyboard.press('Enter')
    expect(page.get_by_test_id(f'search-hit-lead-{server.seeded["lead"]}')).to_be_visible()


def test_two_chinese_characters_find_a_name_inside_another(start_server: Callable[..., Server],
                                                           new_context: Callable[..., BrowserContext]) -> None:
    """"小明" is inside 王小明 (not its start): the pair index finds it, with no "names only" hint."""
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='zh-CN', viewport={'width': 1440, 'height': 900}).new_page()
    login(page, server, server.team.rep)
    page.get_by_test_id('header-search').fill('小明')
    page.keyboard.press('Enter')
    hit = page.get_by_test_id(f'search-hit-lead-{server.seeded["lead"]}')
    expect(hit).to_be_visible()
    expect(hit).to_contain_text('王小明')
    expect(page.get_by_test_id('search-short')).to_have_count(0)
    page.get_by_test_id('search-input').fill('王')
    expect(page.get_by_test_id('search-short')).to_be_visible()
