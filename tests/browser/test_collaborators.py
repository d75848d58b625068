"""Collaborators in a real browser (issue 22): Rita shares one of her leads with Otto (read access);
Otto, a rep limited to his own leads, finds it in his inbox, opens it, sees "shared with you" and
logs a call on it, which lands in the lead's history under his name while Rita stays its owner
(`LEADDESK_SHOTS=<dir>` keeps the screens)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from store.models import Access, RecordKind
from tests import factories

from .support import Server, login
from .test_mobile import SIZES, no_sideways_scroll, shot

pytestmark = pytest.mark.browser


def seed(desk: Desk, server: Server) -> None:
    team = server.team
    assert team is not None
    for name in ('Harbour Shared Co', 'Rita Private Co'):
        server.seeded[name] = desk.leads.capture_lead(
            factories.lead_data(name=name), channel='manual', default_source='manual', actor=team.rep,
            keep_for_actor=True).lead_id
    desk.collaborators.add(team.rep, RecordKind.LEAD, server.seeded['Harbour Shared Co'],
                           user_id=team.other_rep.id, access=Access.READ)


@pytest.mark.parametrize('size', ['desk', 'phone'])
def test_a_collaborator_sees_a_shared_lead_and_logs_on_it(start_server: Callable[..., Server],
                                                          new_context: Callable[..., BrowserContext],
                                                          size: str) -> None:
    server = start_server(seed=seed)
    assert server.team is not None
    page = new_context(locale='en-US', viewport=SIZES[size]).new_page()
    login(page, server, server.team.other_rep)
    inbox = page.get_by_test_id('inbox-table' if size == 'desk' else 'inbox-cards')
    expect(inbox).to_contain_text('Harbour Shared Co')
    expect(inbox).not_to_contain_text('Rita Private Co')
    shot(page, f'collab-{size}-inbox')
    inbox.get_by_text('Harbour Shared Co').click()
    lead_id = server.seeded['Harbour Shared Co']
    page.wait_for_url(re.compile(rf'/leads/{lead_id}$'))
    expect(page.get_by_test_id('shared-with-you')).to_have_text('Shared with you · read')
    expect(page.get_by_test_id('lead-owner')).to_contain_text('Rita Rep')
    expect(page.get_by_test_id('collaborators')).to_contain_text('Otto Rep')
    page.get_by_test_id('log-activity' if size == 'desk' else 'bar-log-activity').click()
    page.get_by_test_id('activity-outcome').fill('Introduced their CTO')
    page.get_by_test_id('activity-save').click()
    expect(page.get_by_test_id('activities')).to_contain_text('Introduced their CTO')
    expect(page.get_by_test_id('activities')).to_contain_text('Otto Rep')
    expect(page.get_by_test_id('lead-owner')).to_contain_text('Rita Rep')
    no_sideways_scroll(page)
    shot(page, f'collab-{size}-lead')
