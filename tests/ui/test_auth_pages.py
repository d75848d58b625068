"""First-run setup, login, lockout message, logout and access by URL."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from tests import factories
from tests.ui.conftest import Team, login


async def test_empty_database_asks_for_first_admin(user: User) -> None:
    await user.open('/')
    await user.should_see(marker='setup-submit')
    user.find(marker='setup-name').type('Ada')
    user.find(marker='setup-email').type('ada@example.com')
    user.find(marker='setup-password').type('short')
    user.find(marker='setup-submit').click()
    await user.should_see('At least 8 characters', retries=50)
    user.find(marker='setup-password').clear().type('long-enough-1')
    user.find(marker='setup-submit').click()
    await user.should_see(marker='current-user', retries=50)
    await user.should_see('Ada')


async def test_setup_page_closed_once_an_admin_exists(user: User, team: Team) -> None:
    await user.open('/setup')
    await user.should_see(marker='login-submit')


async def test_login_with_wrong_password_shows_error(user: User, team: Team) -> None:
    await user.open('/login')
    user.find(marker='login-email').type(team.manager.email)
    user.find(marker='login-password').type('wrong-password')
    user.find(marker='login-submit').click()
    await user.should_see('Wrong email or password', retries=50)


async def test_five_wrong_passwords_slow_the_account_down(user: User, team: Team) -> None:
    await user.open('/login')
    user.find(marker='login-email').type(team.rep_a.email)
    for attempt in range(1, 6):
        user.find(marker='login-password').clear().type('nope-nope')
        user.find(marker='login-submit').click()
        expected = 'Too many wrong passwords' if attempt == 5 else 'Wrong email or password'
        await user.should_see(expected, retries=50)
    user.find(marker='login-password').clear().type(factories.PASSWORD)
    user.find(marker='login-submit').click()
    await asyncio.sleep(0.5)
    await user.should_see('Too many wrong passwords', retries=50)
    await user.should_not_see(marker='current-user')


async def test_pages_redirect_anonymous_users_to_login(user: User, team: Team) -> None:
    for path in ('/', '/settings', '/leads/1'):
        await user.open(path)
        await user.should_see(marker='login-submit')


async def test_logout_ends_the_session(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    user.find(marker='logout').click()
    await user.should_see(marker='login-submit')
    await user.open('/')
    await user.should_see(marker='login-submit')


async def test_deactivated_user_loses_open_session(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    team.desk.team.update_user(team.admin, team.rep_a.id, {'is_active': False})
    await user.open('/')
    await user.should_see(marker='login-submit')


async def test_rep_opening_another_reps_lead_is_refused(user: User, team: Team) -> None:
    other = team.desk.leads.capture_lead(factories.lead_data(name='Secret Prospect'), channel='manual',
                                         default_source='manual', actor=team.rep_b, keep_for_actor=True)
    await login(user, team.rep_a.email)
    await user.open(f'/leads/{other.lead_id}')
    await user.should_see(marker='not-allowed')
    await user.should_not_see('Secret Prospect')


async def test_rep_cannot_open_settings(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/settings')
    await user.should_see(marker='not-allowed')


async def _five_wrong(user: User, email: str) -> list[str]:
    """What the login page says after each of five wrong passwords at `email`."""
    await user.open('/login')
    user.find(marker='login-email').type(email)
    seen = []
    for attempt in range(1, 6):
        user.find(marker='login-password').clear().type(f'guess-{attempt}-nope')
        user.find(marker='login-submit').click()
        error = user.find(marker='login-error').elements.pop()
        await user.should_see('Wrong email or password' if attempt < 5 else 'Too many wrong passwords', retries=50)
        seen.append(error.text)
        error.set_text('')  # so the next answer is seen afresh
    return seen


async def test_unknown_known_and_deactivated_emails_read_the_same_after_five_failures(user: User, team: Team) -> None:
    team.desk.team.update_user(team.admin, team.rep_b.id, {'is_active': False})
    known = await _five_wrong(user, team.rep_a.email)
    unknown = await _five_wrong(user, 'nobody-here@example.com')
    deactivated = await _five_wrong(user, team.rep_b.email)
    assert known == unknown == deactivated
    assert known[-1] == 'Too many wrong passwords. Try again in 30 seconds.'
