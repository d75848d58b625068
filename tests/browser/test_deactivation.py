"""Deactivation in real browsers: a rep's open page stops working the moment an admin switches
the rep off on the settings page — the page is emptied and sent to login, nothing it held can
still write, and the rep cannot sign in again."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import LoginPage, Server, login

pytestmark = pytest.mark.browser


def test_an_open_page_ends_the_moment_its_rep_is_deactivated(start_server: Callable[..., Server], new_context:
                                                            Callable[..., BrowserContext]) -> None:
    def seed(desk: Desk, server: Server) -> None:
        assert server.team is not None
        server.seeded['lead'] = desk.leads.capture_lead(
            factories.lead_data(name='Kept Safe', company='Before'), channel='manual', default_source='manual',
            actor=server.team.rep, keep_for_actor=True).lead_id

    server = start_server(seed=seed)
    assert server.team is not None
    rep, admin, lead_id = server.team.rep, server.team.admin, server.seeded['lead']

    rep_page = new_context(locale='en-US').new_page()
    login(rep_page, server, rep)
    rep_page.goto(server.url(f'/leads/{lead_id}'))
    rep_page.get_by_test_id('edit-contact').click()  # the fields read as text until their pencil
    company = rep_page.get_by_test_id('field-company')
    company.fill('Changed by a deactivated rep')  # typed, not yet saved

    admin_page = new_context(locale='en-US').new_page()
    login(admin_page, server, admin)
    admin_page.goto(server.url('/settings'))
    switch = admin_page.get_by_test_id(f'active-{rep.id}')
    expect(switch).to_have_attribute('aria-checked', 'true')
    switch.click()
    expect(switch).to_have_attribute('aria-checked', 'false')

    rep_page.wait_for_url(re.compile(r'/login'))  # pushed there, not on its next click
    expect(rep_page.get_by_test_id('save-contact')).to_have_count(0)
    with sqlite3.connect(server.db_path) as db:
        assert db.execute('SELECT company FROM leads WHERE id = ?', (lead_id,)).fetchone() == ('Before',)
        assert db.execute('SELECT is_active FROM users WHERE id = ?', (rep.id,)).fetchone() == (0,)

    rep_page.goto(server.url(f'/leads/{lead_id}'))  # the old session no longer opens anything
    rep_page.wait_for_url(re.compile(r'/login'))
    LoginPage(rep_page, server).submit(rep.email, factories.PASSWORD)
    expect(rep_page.get_by_test_id('login-error')).not_to_be_empty()
    expect(rep_page).to_have_url(re.compile(r'/login'))
