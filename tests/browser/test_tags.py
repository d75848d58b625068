"""Tags in a real browser: a rep on a phone (390×844) tags own lead on its page, then filters the
inbox by that tag and sees only that lead's card, with its chip (`LEADDESK_SHOTS=<dir>` keeps both
screens)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from tests import factories

from .support import Server, login
from .test_mobile import SIZES, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    desk.tags.define_tag(None, name_zh='重点客户', name_en='Key account', colour='red')
    desk.tags.define_tag(None, name_zh='展会', name_en='Trade fair', colour='teal')
    for name in ('Tagged Lead', 'Plain Lead'):
        server.seeded[name] = desk.leads.capture_lead(
            factories.lead_data(name=name), channel='manual', default_source='manual', actor=team.rep,
            keep_for_actor=True).lead_id


def test_rep_tags_a_lead_and_filters_the_inbox_on_a_phone(start_server: Callable[..., Server],
                                                          new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=SIZES['phone']).new_page()
    login(page, server, server.team.rep)
    page.goto(server.url(f"/leads/{server.seeded['Tagged Lead']}"))
    page.get_by_test_id('tag-add').click()
    page.get_by_test_id('tag-option-key-account').click()
    expect(page.get_by_test_id('tag-chip-key-account')).to_contain_text('Key account')
    no_sideways_scroll(page)
    shot(page, 'tags-phone-lead')

    page.goto(server.url('/'))
    cards = page.get_by_test_id('inbox-cards')
    expect(cards).to_contain_text('Plain Lead')
    expect(cards.locator('[data-tag="key-account"]')).to_have_text('Key account')
    page.get_by_test_id('inbox-filters-toggle').click()
    page.get_by_test_id('filter-tags').click()
    page.get_by_role('option', name='Key account').click()
    page.keyboard.press('Escape')
    expect(cards).not_to_contain_text('Plain Lead')
    expect(cards).to_contain_text('Tagged Lead')
    no_sideways_scroll(page)
    shot(page, 'tags-phone-inbox')
