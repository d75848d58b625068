"""Browser-session hardening: the session cookie's flags and where login sends you."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from httpx import Response
from nicegui import app
from nicegui.testing import User
from sqlmodel import select

from core.accounts.sessions import hash_token
from store.engine import read_session
from store.models import BrowserSession
from tests import factories
from tests.ui.conftest import Team, login
from ui.pages.auth import _safe_next
from ui.session import COOKIE


async def ticket_for(email: str) -> str:
    """The ticket the login page gets for a right password (from the running app's desk)."""
    _, ticket = app.state.desk.team.login(email, factories.PASSWORD)
    return ticket


def set_cookie(response: Response, name: str) -> dict[str, str]:
    [cookie] = [c for c in response.headers.get_list('set-cookie') if c.startswith(f'{name}=')]
    return {part.strip().split('=')[0].lower(): part.strip() for part in cookie.split(';')}


async def test_session_cookie_is_http_only_and_same_site(user: User, team: Team) -> None:
    response = await user.http_client.get(f'/session/start?ticket={await ticket_for(team.rep_a.email)}&next=/')
    assert response.status_code == 303 and response.headers['location'] == '/'
    flags = set_cookie(response, COOKIE)
    assert 'httponly' in flags and flags['samesite'].lower() == 'samesite=lax' and flags['path'] == 'Path=/'
    assert 'secure' not in flags  # plain http here; behind https the cookie is Secure


async def test_session_cookie_names_a_browser_not_a_user(user: User, team: Team) -> None:
    """The cookie is a random token; the server keeps its hash and who it signs in, so the cookie
    reveals nothing and a copy of the database signs nobody in."""
    await login(user, team.rep_a.email)
    token = user.http_client.cookies[COOKIE]
    assert len(token) >= 40 and team.rep_a.email not in token and str(team.rep_a.id) != token
    with read_session(team.desk.ctx.engine) as s:
        [row] = s.exec(select(BrowserSession).where(BrowserSession.started_at != None)).all()  # noqa: E711
    assert row.token_hash == hash_token(token) and row.user_id == team.rep_a.id


async def test_the_session_id_changes_at_login(user: User, team: Team) -> None:
    """A cookie planted before login (session fixation) is never the one a login sets."""
    user.http_client.cookies.set(COOKIE, 'planted-by-someone-else', domain='test.local')
    await login(user, team.rep_a.email)
    first = user.http_client.cookies[COOKIE]
    assert first != 'planted-by-someone-else'
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit', retries=50)
    assert COOKIE not in user.http_client.cookies  # cleared by /logout
    await login(user, team.rep_a.email)
    second = user.http_client.cookies[COOKIE]
    assert second != first
    with read_session(team.desk.ctx.engine) as s:
        rows = s.exec(select(BrowserSession).where(BrowserSession.user_id == team.rep_a.id,
                                                   BrowserSession.started_at != None)  # noqa: E711
                      .order_by(BrowserSession.id)).all()
    assert [r.token_hash for r in rows] == [hash_token(first), hash_token(second)]
    assert rows[0].ended_reason == 'logout' and rows[1].ended_at is None


async def test_a_ticket_is_good_once(user: User, team: Team) -> None:
    ticket = await ticket_for(team.rep_a.email)
    first = await user.http_client.get(f'/session/start?ticket={ticket}')
    assert first.headers['location'] == '/' and COOKIE in first.headers.get('set-cookie', '')
    user.http_client.cookies.clear()
    again = await user.http_client.get(f'/session/start?ticket={ticket}')
    assert again.headers['location'] == '/login' and 'set-cookie' not in again.headers


async def test_another_site_cannot_sign_you_in_or_out(user: User, team: Team) -> None:
    """Login CSRF (a link to someone else's ticket) and logout CSRF: both routes refuse a request
    another site started; the browser says so in Sec-Fetch-Site."""
    cross = {'Sec-Fetch-Site': 'cross-site'}
    ticket = await ticket_for(team.rep_a.email)
    refused = await user.http_client.get(f'/session/start?ticket={ticket}', headers=cross)
    assert refused.headers['location'] == '/login' and 'set-cookie' not in refused.headers
    await login(user, team.manager.email)
    token = user.http_client.cookies[COOKIE]
    ignored = await user.http_client.get('/logout', headers=cross)
    assert ignored.headers['location'] == '/' and 'set-cookie' not in ignored.headers
    assert app.state.desk.sessions.resolve(token) is not None
    done = await user.http_client.get('/logout', headers={'Sec-Fetch-Site': 'same-origin'})
    assert done.headers['location'] == '/login' and app.state.desk.sessions.resolve(token) is None


async def test_logout_typed_into_the_address_bar_ends_the_session(user: User, team: Team) -> None:
    """A URL typed or bookmarked carries `Sec-Fetch-Site: none`: the user's own act, so it logs out
    (a sibling subdomain's `same-site` link does not)."""
    await login(user, team.manager.email)
    token = user.http_client.cookies[COOKIE]
    sibling = await user.http_client.get('/logout', headers={'Sec-Fetch-Site': 'same-site'})
    assert sibling.headers['location'] == '/' and app.state.desk.sessions.resolve(token) is not None
    typed = await user.http_client.get('/logout', headers={'Sec-Fetch-Site': 'none'})
    assert typed.headers['location'] == '/login' and app.state.desk.sessions.resolve(token) is None


async def test_anonymous_pages_store_nothing_and_set_no_cookie(user: User, team: Team, _isolated_data: Path) -> None:
    for path in ('/login', '/', '/setup'):
        response = await user.http_client.get(path)
        assert 'set-cookie' not in response.headers, path
    assert not list(_isolated_data.rglob('storage-*'))


@pytest.mark.parametrize('target', ['/\t/evil.example', '%2F%09%2Fevil.example', '/\n/evil.example',
                                    '//evil.example', '/%2Fevil.example', '/\\evil.example',
                                    'https://evil.example', '%2F%0D%2Fevil.example'])
def test_login_never_sends_you_off_site(target: str) -> None:
    assert _safe_next(target) == '/'


@pytest.mark.parametrize('target', ['/leads/12', '/?search=a%20b', '/pipeline'])
def test_login_returns_you_where_you_were(target: str) -> None:
    assert _safe_next(target).startswith('/') and not _safe_next(target).startswith('//')
    assert _safe_next(target) != '/' or target == '/'


async def test_crafted_next_after_login_lands_on_the_inbox(user: User, team: Team) -> None:
    await user.open('/login?next=%2F%09%2Fevil.example')
    user.find(marker='login-email').type(team.rep_a.email)
    user.find(marker='login-password').type('correct-horse-9')
    user.find(marker='login-submit').click()
    await user.should_see(marker='current-user', retries=50)
    assert user.client is not None and user.client.request.url.path == '/'


async def test_deactivated_user_cannot_act_from_a_page_left_open(user: User, team: Team) -> None:
    """Deactivation ends the session at once: a page already open must not keep working."""
    lead_id = team.desk.leads.capture_lead(factories.lead_data(name='Kept Safe', company='Before'), channel='manual',
                                           default_source='manual', actor=team.rep_a, keep_for_actor=True).lead_id
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='edit-contact')
    user.find(marker='edit-contact').click()  # the fields read as text until their pencil
    app.state.desk.team.update_user(team.admin, team.rep_a.id, {'is_active': False})  # the running app's desk
    await asyncio.sleep(0.3)
    try:
        user.find(marker='field-company').clear().type('Changed by a deactivated rep')
        user.find(marker='save-contact').click()
    except AssertionError:
        pass  # the page is gone: nothing left to click
    await asyncio.sleep(0.5)
    assert team.desk.leads.lead_view(team.admin, lead_id).lead.company == 'Before'


async def test_a_role_change_rebuilds_an_open_page_for_the_new_role(user: User, team: Team) -> None:
    lead_id = team.desk.leads.capture_lead(factories.lead_data(name='Bravo Only'), channel='manual',
                                           default_source='manual', actor=team.rep_b, keep_for_actor=True).lead_id
    await login(user, team.manager.email)
    await user.open(f'/leads/{lead_id}')
    await user.should_see('Bravo Only')
    app.state.desk.team.update_user(team.admin, team.manager.id, {'role': 'rep'})
    # Every open page of this user rebuilds itself for the new role — here also the inbox the login
    # landed on, which the simulated browser may still hold: which of the two navigations lands last
    # depends on the load, so the lead page is opened again after the rebuild.
    await user.should_not_see('Bravo Only', retries=50)
    await user.open(f'/leads/{lead_id}')
    await user.should_see(marker='not-allowed', retries=50)
    await user.should_not_see('Bravo Only')
