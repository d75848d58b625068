"""Browser-session hardening: the session cookie's flags and where login sends you."""

from __future__ import annotations

import base64
import json

import pytest
from nicegui.testing import User

from tests.ui.conftest import Team, login
from ui.pages.auth import _safe_next


async def test_session_cookie_is_http_only_and_same_site(user: User) -> None:
    response = await user.http_client.get('/login')
    [cookie] = [c for c in response.headers.get_list('set-cookie') if c.startswith('session=')]
    flags = {part.strip().split('=')[0].lower(): part.strip() for part in cookie.split(';')}
    assert 'httponly' in flags
    assert flags.get('samesite', '').lower() in ('samesite=lax', 'samesite=strict')


async def test_session_cookie_names_a_browser_not_a_user(user: User, team: Team) -> None:
    """The signed cookie holds only a random browser id; who is signed in lives on the server,
    so the cookie reveals nothing and logging out (or deactivation) ends the identity."""
    await login(user, team.rep_a.email)
    payload = json.loads(base64.b64decode(user.http_client.cookies['session'].split('.')[0]))
    assert set(payload) == {'id'} and team.rep_a.email not in json.dumps(payload)


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
    assert user.back_history[-1] == '/'
