"""The account page through NiceGUI's simulated user: changing one's own password from the header's
user menu, an admin's reset in Settings, and the forced change that follows it."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import app
from nicegui.testing import User

from core.errors import LoginFailed
from tests import factories
from tests.ui.conftest import Team, login

NEW = 'a-new-secret-42'


async def open_account(user: User) -> None:
    user.find(marker='current-user').click()
    user.find(marker='nav-account').click()
    await user.should_see(marker='change-password', retries=50)


def fill(user: User, current: str, new: str, repeat: str | None = None) -> None:
    user.find(marker='current-password').clear().type(current)
    user.find(marker='new-password').clear().type(new)
    user.find(marker='repeat-password').clear().type(new if repeat is None else repeat)
    user.find(marker='change-password').click()


def logs_in(team: Team, email: str, password: str) -> bool:
    try:
        team.desk.team.login(email, password)
    except LoginFailed:
        return False
    return True


async def test_wrong_current_password_is_refused_with_a_clear_error(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await open_account(user)
    fill(user, 'not-my-password', NEW)
    await user.should_see('Wrong password', retries=50)
    assert logs_in(team, team.rep_a.email, factories.PASSWORD)


async def test_weak_or_mistyped_new_password_is_refused(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await open_account(user)
    fill(user, factories.PASSWORD, 'short')
    await user.should_see('At least 8 characters', retries=50)
    fill(user, factories.PASSWORD, NEW, repeat=NEW + 'x')
    await user.should_see('The two entries differ', retries=50)
    fill(user, factories.PASSWORD, factories.PASSWORD)
    await user.should_see('Choose a password different from the current one', retries=50)
    assert logs_in(team, team.rep_a.email, factories.PASSWORD)


async def test_change_lets_the_new_password_in_and_ends_the_other_sessions(
        user: User, create_user: Callable[[], User], team: Team) -> None:
    other = create_user()  # the same person in another browser
    other.http_client.headers['Accept-Language'] = 'en-US'
    await login(other, team.rep_a.email)  # and left on the inbox
    await login(user, team.rep_a.email)
    await open_account(user)
    fill(user, factories.PASSWORD, NEW)
    await user.should_see('Password changed', retries=50)
    assert logs_in(team, team.rep_a.email, NEW)
    assert not logs_in(team, team.rep_a.email, factories.PASSWORD)
    await other.should_not_see(marker='inbox-table', retries=100)  # the other browser's open inbox ends at once
    await user.open('/')  # this browser stays signed in (its open tab staying: tests/browser/test_account.py)
    await user.should_see(marker='inbox-table')
    await other.open('/')
    await other.should_see(marker='login-submit')


async def test_admin_reset_forces_the_change_page_at_next_login(
        user: User, create_user: Callable[[], User], team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    user.find(marker=f'reset-password-{team.rep_a.id}').click()
    user.find(marker=f'reset-confirm-{team.rep_a.id}').click()
    await user.should_see(marker='temporary-password', retries=50)
    temporary = user.find(marker='temporary-password').elements.pop().content.strip()
    await user.should_see(marker=f'must-change-{team.rep_a.id}', retries=50)

    rep = create_user()
    rep.http_client.headers['Accept-Language'] = 'en-US'
    await login(rep, team.rep_a.email, temporary)
    await rep.should_see(marker='must-change')
    await rep.should_not_see(marker='inbox-table')
    fill(rep, temporary, NEW)
    await rep.should_see(marker='inbox-table', retries=50)
    assert logs_in(team, team.rep_a.email, NEW)


async def test_a_user_who_must_change_cannot_open_any_other_page(user: User, team: Team) -> None:
    team.desk.team.set_password_from_console(team.manager.email, NEW, must_change=True)
    await login(user, team.manager.email, NEW)
    for path in ('/', '/pool', '/settings', '/reports', '/notifications', '/leads/1'):
        await user.open(path)
        await user.should_see(marker='must-change')
        await user.should_not_see(marker='inbox-table')
        await user.should_not_see(marker='nav-manage')
        await user.should_not_see(marker='notifications')


async def test_an_open_page_ends_when_an_admin_resets_the_password(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.should_see(marker='inbox-table')
    app.state.desk.team.reset_password(team.admin, team.rep_a.id)  # the app's desk: its pages hear the event
    await user.should_see(marker='login-submit', retries=100)  # sent to login without reloading


async def test_admin_sees_no_reset_button_for_themselves(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see(marker=f'reset-password-{team.rep_a.id}')
    await user.should_not_see(marker=f'reset-password-{team.admin.id}')
