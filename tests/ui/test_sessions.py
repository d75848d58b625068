"""Browser sessions seen from the pages: logout closes every tab of that session, and a page
whose browser never connects its socket holds no live subscription and is soon deleted."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import pytest
from nicegui import Client, app
from nicegui.testing import User

from tests import factories
from tests.ui.conftest import Team, login
from ui import session
from ui.session import COOKIE, PAGES, PRUNE_SECONDS


def second_tab(user: User, create_user: Callable[[], User]) -> User:
    """Another tab of the same browser: its own page, the same cookies."""
    tab = create_user()
    tab.http_client.headers['Accept-Language'] = 'en-US,en;q=0.9'
    tab.http_client.cookies.set(COOKIE, user.http_client.cookies[COOKIE], domain='test.local')
    return tab


async def test_logout_in_one_tab_empties_the_other_and_nothing_is_saved(
        user: User, create_user: Callable[[], User], team: Team) -> None:
    lead_id = team.desk.leads.capture_lead(factories.lead_data(name='Two Tabs', company='Before'), channel='manual',
                                           default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id
    await login(user, team.rep_a.email)
    other = second_tab(user, create_user)
    await other.open(f'/leads/{lead_id}')
    await other.should_see(marker='edit-contact')
    other.find(marker='edit-contact').click()  # the fields read as text until their pencil
    other.find(marker='field-company').clear().type('Changed after logout')  # typed, not yet saved

    user.find(marker='logout').click()
    await user.should_see(marker='login-submit', retries=50)
    for _ in range(50):  # the other tab's page is emptied: nothing left to click
        if not any(e.props.get('data-testid') == 'save-contact' for e in other.client.elements.values()):
            break
        await asyncio.sleep(0.05)
    with pytest.raises(AssertionError):
        other.find(marker='save-contact').click()
    await asyncio.sleep(0.3)
    assert team.desk.leads.lead_view(team.admin, lead_id).lead.company == 'Before'
    reopened = await other.http_client.get(f'/leads/{lead_id}')
    assert reopened.status_code == 307 and reopened.headers['location'].startswith('/login')


async def test_a_page_nobody_connects_to_holds_no_subscription(user: User, team: Team,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A crawler's GET builds the page (status 200, the inbox in the HTML) but subscribes to no
    live event and joins no session's page list; the page is deleted once its socket is late."""
    monkeypatch.setattr(session, 'UNCONNECTED_SECONDS', 4.0)  # longer than ten page builds on a loaded box
    await login(user, team.manager.email)
    events = app.state.desk.events
    inboxes = sys.modules['ui.pages.inbox'].OPEN[events]  # the live inboxes and bells (ui/live_views.py)
    bells = sys.modules['ui.components.notification_bell'].bells(app.state.desk)

    def subscribed() -> tuple[int, int, int, int]:
        return (len(events.lead_captured.callbacks), len(events.notified.callbacks), len(inboxes.pages),
                len(bells.pages))

    before = subscribed()
    pages, clients = PAGES.count(), len(Client.instances)

    for _ in range(5):
        response = await user.http_client.get('/')
        assert response.status_code == 200 and 'inbox-table' in response.text
    for _ in range(5):
        assert (await user.http_client.get('/login')).status_code == 307  # signed in: on to the inbox
    assert subscribed() == before
    assert PAGES.count() == pages
    assert len(Client.instances) == clients + 10

    await asyncio.sleep(PRUNE_SECONDS + 5.0)
    assert len(Client.instances) == clients
    await user.open('/')  # a page whose socket connects joins the live inboxes and bells, as before
    for _ in range(100):
        if subscribed()[2:] == (before[2] + 1, before[3] + 1):
            break
        await asyncio.sleep(0.05)
    assert subscribed() == (before[0], before[1], before[2] + 1, before[3] + 1)
    assert PAGES.count() == pages + 1


async def test_a_visitors_language_switch_is_a_cookie_not_server_storage(user: User, team: Team) -> None:
    await user.open('/login')
    await user.should_see('Log in to LeadDesk')
    user.find(marker='language-switch').click()
    await user.should_see('登录 LeadDesk', retries=50)
    assert user.http_client.cookies.get('ld_lang') == 'zh-CN'
    await user.open('/login')  # a reload keeps it
    await user.should_see('登录 LeadDesk')


async def test_a_flood_of_plain_gets_holds_a_bounded_number_of_pages(user: User, team: Team,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_UNCONNECTED waiting pages the oldest go at the next sweep, however young; a page
    whose socket connected is never one of them."""
    monkeypatch.setattr(session, 'MAX_UNCONNECTED', 3)
    monkeypatch.setattr(session, 'BUILD_SECONDS', 0.0)
    await login(user, team.manager.email)
    connected = user.client
    clients = len(Client.instances)
    for _ in range(12):
        assert (await user.http_client.get('/')).status_code == 200
    await asyncio.sleep(PRUNE_SECONDS + 0.5)
    assert len(Client.instances) <= clients + 3
    assert connected is not None and not connected.is_deleted
