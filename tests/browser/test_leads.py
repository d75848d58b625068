"""Leads in a real browser: live inbox, escaping, language, permissions."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, expect

from core.desk import Desk
from store.models import Source

from .support import Server, login

pytestmark = pytest.mark.browser


def wait_for_inbox(page: Page) -> None:
    """The table is shown and its first load (over the websocket) has filled the pager."""
    expect(page.get_by_test_id('inbox-table')).to_be_visible()
    expect(page.get_by_test_id('inbox-pager')).not_to_be_empty()


def test_web_form_lead_appears_live_in_the_managers_inbox(
        page: Page, new_context: Callable[..., BrowserContext], server: Server) -> None:
    assert server.team is not None
    login(page, server, server.team.manager)
    wait_for_inbox(page)
    table = page.get_by_test_id('inbox-table')
    expect(table.get_by_text('Wanda Webform')).to_have_count(0)

    visitor = new_context().new_page()
    visitor.goto(server.url('/f/contact'))
    visitor.get_by_test_id('form-name').fill('Wanda Webform')
    visitor.get_by_test_id('form-phone').fill('13900001111')
    visitor.get_by_test_id('form-submit').click()
    expect(visitor.get_by_test_id('form-thanks')).to_be_visible()

    expect(table.get_by_text('Wanda Webform', exact=True)).to_be_visible()
    expect(page).to_have_url(server.url('/'))  # no reload, no navigation


def test_markup_in_a_lead_shows_as_text(page: Page, server: Server) -> None:
    assert server.team is not None
    name, company = '<img src=x onerror=alert(1)>', '<script>alert(1)</script>'
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == 'error':
            errors.append(message.text)

    page.on('dialog', on_dialog)
    page.on('console', on_console)
    page.on('pageerror', lambda error: errors.append(str(error)))
    login(page, server, server.team.manager)
    wait_for_inbox(page)

    page.get_by_test_id('new-lead').click()
    page.get_by_test_id('new-name').fill(name)
    page.get_by_test_id('new-phone').fill('13900002222')
    page.get_by_test_id('new-company').fill(company)
    page.get_by_test_id('new-save').click()

    table = page.get_by_test_id('inbox-table')
    row = table.locator('tbody tr', has_text=name)
    expect(row.get_by_text(name, exact=True)).to_be_visible()
    expect(row.get_by_text(company, exact=True)).to_be_visible()
    expect(table.locator('img, script')).to_have_count(0)

    row.get_by_text(name, exact=True).click()
    page.wait_for_url(re.compile(r'/leads/\d+$'))
    expect(page.get_by_test_id('lead-name')).to_have_text(name)
    expect(page.get_by_test_id('field-company')).to_have_value(company)
    expect(page.locator('main img[src="x"], main script')).to_have_count(0)

    page.wait_for_timeout(300)  # give an injected handler the chance to fire
    assert dialogs == []
    assert errors == []


def test_language_switch_changes_the_text_and_survives_a_reload(
        new_context: Callable[..., BrowserContext], server: Server) -> None:
    assert server.team is not None
    page = new_context(locale='zh-CN').new_page()
    login(page, server, server.team.rep)
    new_lead = page.get_by_test_id('new-lead')
    switch = page.get_by_test_id('language-switch')
    expect(new_lead).to_contain_text('新建线索')
    expect(switch).to_have_text('EN')
    assert page.evaluate('Quasar.lang.props.isoName') == 'zh-CN'  # Quasar's own strings (pagination, pickers)

    switch.click()
    expect(new_lead).to_contain_text('New lead')
    expect(switch).to_have_text('中文')
    assert page.evaluate('Quasar.lang.props.isoName') == 'en-US'  # not the app-wide zh-CN NiceGUI starts with

    page.reload()
    expect(page.get_by_test_id('new-lead')).to_contain_text('New lead')
    assert page.evaluate('Quasar.lang.props.isoName') == 'en-US'

    page.get_by_test_id('language-switch').click()
    expect(page.get_by_test_id('new-lead')).to_contain_text('新建线索')
    assert page.evaluate('Quasar.lang.props.isoName') == 'zh-CN'
    page.reload()
    expect(page.get_by_test_id('new-lead')).to_contain_text('新建线索')


@pytest.fixture
def server_with_owned_lead(start_server: Callable[..., Server]) -> Server:
    """A team where the other rep owns 'Olga Owned'."""

    def seed(desk: Desk, server: Server) -> None:
        team = server.team
        assert team is not None
        result = desk.leads.capture_lead({'name': 'Olga Owned', 'phone': '13900003333'}, channel='manual',
                                         default_source=Source.MANUAL, actor=team.other_rep, keep_for_actor=True)
        assert result.owner_id == team.other_rep.id
        server.seeded['lead_id'] = result.lead_id

    return start_server(seed=seed)


def test_rep_opening_another_reps_lead_is_refused(page: Page, server_with_owned_lead: Server) -> None:
    server = server_with_owned_lead
    assert server.team is not None
    login(page, server, server.team.rep)

    page.goto(server.url(f'/leads/{server.seeded["lead_id"]}'))
    expect(page.get_by_test_id('not-allowed')).to_be_visible()
    expect(page.get_by_test_id('lead-name')).to_have_count(0)
    expect(page.get_by_text('Olga Owned')).to_have_count(0)
    expect(page.get_by_test_id('field-phone')).to_have_count(0)


def test_inbox_phone_calls_and_copies_without_opening_the_lead(
        page: Page, new_context: Callable[..., BrowserContext], server: Server) -> None:
    assert server.team is not None
    visitor = new_context().new_page()
    visitor.goto(server.url('/f/contact'))
    visitor.get_by_test_id('form-name').fill('Carl Caller')
    visitor.get_by_test_id('form-phone').fill('139-0000-1111')
    visitor.get_by_test_id('form-submit').click()
    expect(visitor.get_by_test_id('form-thanks')).to_be_visible()
    errors: list[str] = []
    page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
    page.context.grant_permissions(['clipboard-read', 'clipboard-write'], origin=server.url('/').rstrip('/'))
    login(page, server, server.team.manager)
    wait_for_inbox(page)
    link = page.get_by_test_id('inbox-table').locator('a[href="tel:+8613900001111"]')
    expect(link).to_have_text('139 0000 1111')
    link.locator('xpath=following-sibling::button').click()
    assert page.evaluate('navigator.clipboard.readText()') == '139 0000 1111'
    expect(page).to_have_url(server.url('/'))  # the copy did not open the lead
    assert errors == []
