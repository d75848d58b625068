"""First-run setup, login, session and logout in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories

from .support import LoginPage, Server

pytestmark = pytest.mark.browser


def test_first_run_setup_creates_the_admin_and_opens_the_inbox(page: Page, empty_server: Server) -> None:
    page.goto(empty_server.url('/'))
    page.wait_for_url(empty_server.url('/setup'))

    page.get_by_test_id('setup-name').fill('Ada Admin')
    page.get_by_test_id('setup-email').fill('ada@example.com')
    page.get_by_test_id('setup-password').fill('a-long-password-1')
    page.get_by_test_id('setup-submit').click()

    page.wait_for_url(empty_server.url('/'))
    expect(page.get_by_test_id('current-user')).to_contain_text('Ada Admin')
    expect(page.get_by_test_id('inbox-table')).to_be_visible()


def test_login_session_and_logout(page: Page, server: Server) -> None:
    assert server.team is not None
    manager = server.team.manager
    login = LoginPage(page, server).open()

    login.submit(manager.email, 'wrong-password-1')
    expect(page.get_by_test_id('login-error')).not_to_be_empty()
    expect(page).to_have_url(re.compile(r'/login'))

    login.submit(manager.email, factories.PASSWORD)
    page.wait_for_url(server.url('/'))
    expect(page.get_by_test_id('current-user')).to_contain_text(manager.name)

    page.reload()
    expect(page).to_have_url(server.url('/'))
    expect(page.get_by_test_id('current-user')).to_contain_text(manager.name)

    page.get_by_test_id('logout').click()
    page.wait_for_url(re.compile(r'/login'))
    expect(page.get_by_test_id('login-submit')).to_be_visible()

    page.goto(server.url('/'))
    page.wait_for_url(re.compile(r'/login'))
    expect(page.get_by_test_id('current-user')).to_have_count(0)
    expect(page.get_by_test_id('login-email')).to_be_visible()
