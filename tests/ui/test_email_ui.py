"""Email through NiceGUI's simulated user: an admin sets up SMTP on the settings page (the password
never shown back), presses "send test" and reads the outcome the mailer reached (a real SMTP server
on loopback); a rep chooses assignments by email on the account page; a forgotten password is reset
through the emailed link."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from nicegui import app
from nicegui.testing import User

from core.desk import Desk
from store.models import NotifyKind
from tests.smtp_server import SmtpServer
from tests.ui.conftest import Team, login


def _app_desk() -> Desk:
    desk: Desk = app.state.desk
    return desk


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    s = SmtpServer().start()
    yield s
    s.stop()


def _set_up(team: Team, server: SmtpServer) -> None:
    team.desk.mail.save(team.admin, {'host': '127.0.0.1', 'port': str(server.port), 'tls': 'none',
                                     'sender_address': 'crm@example.com'})


async def test_admin_sets_up_smtp_and_the_test_message_arrives(user: User, team: Team, server: SmtpServer) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see(marker='email-card', retries=50)
    user.find(marker='smtp-host').type('127.0.0.1')
    user.find(marker='smtp-port').clear().type(str(server.port))
    user.find(marker='smtp-tls').click()
    user.find('None').click()
    user.find(marker='smtp-sender').type('crm@example.com')
    user.find(marker='smtp-password').type('hunter22')
    user.find(marker='smtp-save').click()
    for _ in range(100):
        if _app_desk().mail.settings(team.admin).configured:
            break
        await asyncio.sleep(0.05)
    view = _app_desk().mail.settings(team.admin)
    assert view.host == '127.0.0.1' and view.port == server.port and view.password_stored
    await user.should_see(marker='smtp-password-stored', retries=50)
    assert 'hunter22' not in str(user.find(marker='smtp-password').elements.pop().value)  # type: ignore[attr-defined]
    user.find(marker='smtp-test').click()
    await user.should_see('Test message sent to admin@example.com', retries=300)  # (a wait: the mailer sends)
    assert [r.recipients for r in server.received] == [['admin@example.com']]


async def test_bad_smtp_settings_are_shown_under_their_fields(user: User, team: Team) -> None:
    await login(user, team.admin.email)
    await user.open('/settings')
    await user.should_see(marker='email-card', retries=50)
    user.find(marker='smtp-host').type('smtp.example.com')
    user.find(marker='smtp-sender').type('not-an-address')
    user.find(marker='smtp-save').click()
    await user.should_see('Invalid value', retries=50)
    assert not _app_desk().mail.settings(team.admin).configured


async def test_a_rep_sees_no_email_section_and_chooses_kinds_by_email(user: User, team: Team,
                                                                      server: SmtpServer) -> None:
    await login(user, team.rep_a.email)
    await user.open('/settings')
    await user.should_not_see(marker='email-card')
    await user.open('/account')
    await user.should_see(marker='notify-prefs-card', retries=50)
    await user.should_not_see(marker='prefs-email-assigned')  # SMTP not set up yet
    _set_up(team, server)
    await user.open('/account')
    await user.should_see(marker='prefs-email-assigned', retries=50)
    user.find(marker='prefs-email-assigned').click()
    for _ in range(100):
        if team.desk.team.notify_settings(team.rep_a).emailed:
            break
        await asyncio.sleep(0.05)
    assert team.desk.team.notify_settings(team.rep_a).emailed == frozenset({NotifyKind.ASSIGNED})


@pytest.mark.env(LEADDESK_PUBLIC_URL='https://crm.example.com')
async def test_forgotten_password_is_reset_through_the_emailed_link(user: User, team: Team,
                                                                    server: SmtpServer) -> None:
    await user.open('/login')
    await user.should_not_see(marker='login-forgot')
    _set_up(team, server)
    await user.open('/login')
    await user.should_see(marker='login-forgot', retries=50)
    await user.open('/forgot')
    user.find(marker='forgot-email').type(team.rep_a.email)
    user.find(marker='forgot-submit').click()
    await user.should_see('a link is on its way', retries=100)
    for _ in range(300):  # (a wait: the mailer sends it)
        if server.received:
            break
        await asyncio.sleep(0.05)
    [got] = server.received
    token = got.part('plain').split('/reset?token=')[1].split()[0]
    await user.open(f'/reset?token={token}')
    user.find(marker='reset-password').type('brand-new-pass-26')
    user.find(marker='reset-submit').click()
    await user.should_see(marker='login-email', retries=100)
    await login(user, team.rep_a.email, 'brand-new-pass-26')
