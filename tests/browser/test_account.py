"""Passwords in real browsers: a change ends the user's *other* browsers at once while every tab of
the browser that made it stays signed in (the User fixture cannot tell tabs of one browser from
two browsers); an admin's reset sends the user's open page to login and forces the change; the
account page fits a 390 px phone."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests import factories

from .support import LoginPage, Server, login

pytestmark = pytest.mark.browser

NEW = 'a-new-secret-42'


def change_password(page: Page, current: str, new: str) -> None:
    page.get_by_test_id('current-password').fill(current)
    page.get_by_test_id('new-password').fill(new)
    page.get_by_test_id('repeat-password').fill(new)
    page.get_by_test_id('change-password').click()


def test_a_change_ends_the_other_browsers_and_keeps_this_ones_tabs(
        server: Server, new_context: Callable[..., BrowserContext]) -> None:
    assert server.team is not None
    rep = server.team.rep
    mine = new_context(locale='en-US')
    page = mine.new_page()
    login(page, server, rep)
    second_tab = mine.new_page()
    second_tab.goto(server.url('/pool'))
    elsewhere = new_context(locale='en-US').new_page()
    login(elsewhere, server, rep)

    page.get_by_test_id('current-user').click()
    page.get_by_test_id('nav-account').click()
    page.wait_for_url(server.url('/account'))
    change_password(page, factories.PASSWORD, NEW)
    expect(page.get_by_text('Password changed')).to_be_visible()

    elsewhere.wait_for_url(re.compile(r'/login'))  # its open inbox ends without a reload
    time.sleep(1)  # what would end this browser's tabs has had its chance
    for tab, path in ((page, '/account'), (second_tab, '/pool')):
        expect(tab).to_have_url(server.url(path))
        expect(tab.get_by_test_id('current-user')).to_be_visible()
    second_tab.reload()
    expect(second_tab.get_by_test_id('current-user')).to_be_visible()

    elsewhere.goto(server.url('/'))
    elsewhere.wait_for_url(re.compile(r'/login'))
    LoginPage(elsewhere, server).submit(rep.email, factories.PASSWORD)
    expect(elsewhere.get_by_test_id('login-error')).to_have_text('Wrong email or password.')
    LoginPage(elsewhere, server).submit(rep.email, NEW)
    elsewhere.wait_for_url(server.url('/'))


def test_a_reset_ends_the_open_page_and_forces_the_change(
        server: Server, new_context: Callable[..., BrowserContext]) -> None:
    assert server.team is not None
    rep, admin = server.team.rep, server.team.admin
    rep_page = new_context(locale='en-US', viewport={'width': 390, 'height': 844}).new_page()
    login(rep_page, server, rep)

    admin_page = new_context(locale='en-US').new_page()
    login(admin_page, server, admin)
    admin_page.goto(server.url('/settings'))
    admin_page.get_by_test_id(f'reset-password-{rep.id}').click()
    admin_page.get_by_test_id(f'reset-confirm-{rep.id}').click()
    temporary = admin_page.get_by_test_id('temporary-password').inner_text().split()[0]  # then its copy button
    assert re.fullmatch(r'[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}', temporary), temporary

    rep_page.wait_for_url(re.compile(r'/login'))
    LoginPage(rep_page, server).submit(rep.email, temporary)
    rep_page.wait_for_url(server.url('/account'))
    expect(rep_page.get_by_test_id('must-change')).to_be_visible()
    rep_page.goto(server.url('/pool'))
    rep_page.wait_for_url(server.url('/account'))
    assert rep_page.evaluate('document.documentElement.scrollWidth') <= 390  # nothing runs off a phone's screen
    expect(rep_page.get_by_test_id('change-password')).to_be_in_viewport()

    change_password(rep_page, temporary, NEW)
    rep_page.wait_for_url(server.url('/'))
    expect(rep_page.get_by_test_id('inbox-cards')).to_be_visible()  # a phone's inbox: cards, not the table
