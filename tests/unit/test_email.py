"""Email: SMTP settings with the password sealed at rest, the email outbox sent by the mailer to a
real SMTP server on loopback (aiosmtpd) — never from the action that queued it — in the recipient's
language, retried when the server refuses for now, failed when it refuses for good; notification
emails for the kinds a user chose, and password reset by an emailed link."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.integrations.smtp import smtp_config
from store.audit_actions import AuditAction
from store.models import AppSetting, AuditEntry, DeliveryStatus, EmailMessage, Notification, NotifyKind, Role
from tests.factories import PASSWORD, admin, lead_data, user
from tests.smtp_server import SmtpServer
from tests.webhook_receiver import reserve_port
from ui.i18n import translate

from .db import get, rows

PUBLIC = 'https://crm.example.com'


@pytest.fixture(autouse=True)
def mail_settings(desk: Desk, tmp_path: Path) -> None:
    """The desk (SQLite here, PostgreSQL in tests/pg) with the test's own data folder (the key
    file's home), a public address (links in emails) and the UI's catalog for the texts."""
    desk.ctx.settings.data_dir = tmp_path / 'data'
    desk.ctx.settings.public_url = PUBLIC
    desk.mailer.translate = translate


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    s = SmtpServer().start()
    yield s
    s.stop()


def set_up(desk: Desk, port: int, **values: Any) -> None:
    desk.mail.save(admin(desk), {'host': '127.0.0.1', 'port': str(port), 'tls': 'none',
                                 'sender_address': 'crm@example.com', 'sender_name': 'Acme CRM', **values})


def messages(desk: Desk) -> list[EmailMessage]:
    return rows(desk, EmailMessage)


# ----- settings --------------------------------------------------------------------------------------

def test_the_password_is_stored_sealed_and_never_shown(desk: Desk) -> None:
    set_up(desk, 25, username='mailer', password='s3cret-pass')
    stored = get(desk, AppSetting, 'smtp_password').value
    assert stored.startswith('gAAAAA') and 's3cret' not in stored  # a Fernet token (version byte 0x80)
    assert 's3cret' not in get(desk, AppSetting, 'smtp').value
    view = desk.mail.settings(admin(desk))
    assert view.password_stored and not view.password_from_env and not hasattr(view, 'password')
    key = desk.ctx.settings.data_dir / 'smtp.key'
    assert key.exists() and os.stat(key).st_mode & 0o777 == 0o600
    with desk.ctx.read() as session:
        assert smtp_config(session, desk.ctx.settings).password == 's3cret-pass'
    set_up(desk, 25, username='mailer')  # an empty password field keeps the stored one
    assert desk.mail.settings(admin(desk)).password_stored
    set_up(desk, 25, clear_password=True)
    assert not desk.mail.settings(admin(desk)).password_stored
    assert [e.reason_params['password_stored'] for e in rows(desk, AuditEntry)
            if e.action == AuditAction.SMTP_SETTINGS] == [True, True, False]


def test_the_environment_password_wins(desk: Desk) -> None:
    desk.ctx.settings.smtp_password = 'from-env'
    set_up(desk, 25, password='stored')
    assert desk.mail.settings(admin(desk)).password_from_env
    with desk.ctx.read() as session:
        assert smtp_config(session, desk.ctx.settings).password == 'from-env'


def test_bad_settings_are_refused_field_by_field_and_nothing_is_saved(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as e:
        desk.mail.save(admin(desk), {'host': 'smtp example', 'port': '99999', 'tls': 'none',
                                     'sender_address': 'not-an-address'})
    assert e.value.errors == {'host': 'invalid', 'port': 'invalid', 'sender_address': 'invalid'}
    with pytest.raises(ValidationFailed) as e:
        desk.mail.save(admin(desk), {'host': 'smtp.example.com', 'tls': 'carrier-pigeon'})
    assert set(e.value.errors) == {'tls', 'sender_address'}
    assert not desk.mail.settings(admin(desk)).configured


def test_only_admins_see_or_change_the_settings(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(NotAllowed):
        desk.mail.settings(manager)
    with pytest.raises(NotAllowed):
        desk.mail.save(manager, {'host': 'x'})


# ----- the test button and the mailer ------------------------------------------------------------------

async def test_send_test_only_queues_then_the_mailer_sends_it(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    message_id = desk.mail.send_test(admin(desk))
    assert server.received == []  # queued, not sent by the action
    assert desk.mail.message(admin(desk), message_id).status == DeliveryStatus.PENDING
    assert await desk.mailer.deliver_due() == 1
    assert desk.mail.message(admin(desk), message_id).status == DeliveryStatus.DELIVERED
    [got] = server.received
    assert got.recipients == ['admin@example.com']
    m = got.message
    assert m['To'] == 'admin@example.com' and m['From'] == 'Acme CRM <crm@example.com>'
    assert m['Subject'] == '[LeadDesk] 测试邮件' and m['Content-Language'] == 'zh-CN'  # the default language
    assert m['X-LeadDesk-Message'] == str(message_id) and m['Auto-Submitted'] == 'auto-generated'
    assert m['Message-ID'].endswith('@example.com>') and m['Date']
    assert '邮件设置可用' in got.part('plain') and '邮件设置可用' in got.part('html')


async def test_an_english_user_reads_english(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    desk.team.set_language(admin(desk), 'en')
    desk.mail.send_test(admin(desk))
    await desk.mailer.deliver_due()
    [got] = server.received
    assert got.message['Subject'] == '[LeadDesk] Test message' and got.message['Content-Language'] == 'en'
    assert 'email settings work' in got.part('plain') and '<html lang="en">' in got.part('html')


async def test_the_sealed_password_logs_in(desk: Desk) -> None:
    server = SmtpServer(login=('mailer', 'right-pass')).start()
    try:
        set_up(desk, server.port, username='mailer', password='wrong-pass')
        first = desk.mail.send_test(admin(desk))
        await desk.mailer.deliver_due()
        refused = desk.mail.message(admin(desk), first)
        assert refused.status == DeliveryStatus.PENDING and 'SMTPAuthenticationError' in (refused.error or '')
        set_up(desk, server.port, username='mailer', password='right-pass')
        second = desk.mail.send_test(admin(desk))
        await desk.mailer.deliver_due()
        assert desk.mail.message(admin(desk), second).status == DeliveryStatus.DELIVERED
        assert len(server.received) == 1
    finally:
        server.stop()


async def test_a_temporary_refusal_is_retried_with_backoff(desk: Desk, server: SmtpServer, clock: FakeClock) -> None:
    set_up(desk, server.port)
    server.handler.refuse = '451 4.3.0 try again later'
    message_id = desk.mail.send_test(admin(desk))
    assert await desk.mailer.deliver_due() == 1
    first = get(desk, EmailMessage, message_id)
    assert first.status == DeliveryStatus.PENDING and first.attempts == 1 and '451' in (first.error or '')
    clock.advance(seconds=29)
    assert await desk.mailer.deliver_due() == 0  # not before its time (30 s, then 60 s …)
    clock.advance(seconds=1)
    assert await desk.mailer.deliver_due() == 1
    assert get(desk, EmailMessage, message_id).attempts == 2
    server.handler.refuse = None
    clock.advance(seconds=60)
    assert await desk.mailer.deliver_due() == 1
    done = get(desk, EmailMessage, message_id)
    assert done.status == DeliveryStatus.DELIVERED and done.attempts == 3 and len(server.received) == 1


async def test_a_server_that_is_down_loses_nothing(desk: Desk, server: SmtpServer, clock: FakeClock) -> None:
    set_up(desk, reserve_port())
    message_id = desk.mail.send_test(admin(desk))
    await desk.mailer.deliver_due()
    assert 'ConnectionRefusedError' in (get(desk, EmailMessage, message_id).error or '')
    set_up(desk, server.port)  # the admin fixes the port
    clock.advance(minutes=1)
    await desk.mailer.deliver_due()
    assert get(desk, EmailMessage, message_id).status == DeliveryStatus.DELIVERED and len(server.received) == 1


async def test_a_permanent_refusal_fails_at_once_and_the_admins_are_told(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    server.handler.refuse = '550 5.1.1 no such mailbox'
    message_id = desk.mail.send_test(admin(desk))
    await desk.mailer.deliver_due()
    assert get(desk, EmailMessage, message_id).status == DeliveryStatus.FAILED
    assert [e.action for e in rows(desk, AuditEntry) if e.action == AuditAction.EMAIL_GAVE_UP] == \
        [AuditAction.EMAIL_GAVE_UP]
    assert [n.key for n in rows(desk, Notification)] == ['email.notify.gave_up']


async def test_gives_up_after_two_days(desk: Desk, clock: FakeClock) -> None:
    set_up(desk, reserve_port())
    message_id = desk.mail.send_test(admin(desk))
    await desk.mailer.deliver_due()
    clock.advance(days=2, seconds=1)
    await desk.mailer.deliver_due()
    assert get(desk, EmailMessage, message_id).status == DeliveryStatus.FAILED


async def test_the_background_loop_sends_on_its_own(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    desk.mailer.start()
    try:
        desk.mail.send_test(admin(desk))  # the commit wakes the loop
        for _ in range(200):
            if server.received:
                break
            await asyncio.sleep(0.05)
    finally:
        await desk.mailer.stop()
    assert len(server.received) == 1


# ----- notification emails ---------------------------------------------------------------------------

async def test_a_rep_who_chose_assignments_by_email_gets_them(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    rep = user(desk, name='Rep Li')
    desk.team.set_language(rep, 'en')
    desk.team.set_emailed_kinds(rep, [NotifyKind.ASSIGNED])
    lead_id = desk.leads.capture_lead(lead_data(name='Zhang Wei'), channel='api', default_source='api').lead_id
    [queued] = messages(desk)
    assert queued.key == 'notify.assigned_to_you' and queued.user_id == rep.id and queued.lead_id == lead_id
    assert server.received == []  # the capture only queued it
    await desk.mailer.deliver_due()
    [got] = server.received
    assert got.recipients == [f'{rep.email}']
    assert got.message['Subject'] == '[LeadDesk] Lead "Zhang Wei" was assigned to you'
    assert f'{PUBLIC}/leads/{lead_id}' in got.part('plain')
    assert f'href="{PUBLIC}/leads/{lead_id}"' in got.part('html')
    assert 'notification preferences' in got.part('plain')


async def test_chinese_body_and_no_email_without_the_choice(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    rep = user(desk, name='李娜')
    desk.team.set_emailed_kinds(rep, [NotifyKind.SLA])  # not assignments
    desk.leads.capture_lead(lead_data(name='王伟'), channel='api', default_source='api')
    assert messages(desk) == []
    desk.team.set_emailed_kinds(rep, [NotifyKind.ASSIGNED])
    desk.leads.capture_lead(lead_data(name='王伟', phone='13800000001'), channel='api', default_source='api')
    await desk.mailer.deliver_due()
    [got] = server.received
    assert got.message['Subject'] == '[LeadDesk] 线索“王伟”已分配给您' and got.message['Content-Language'] == 'zh-CN'
    assert '通知偏好' in got.part('plain')


def test_nothing_is_queued_while_smtp_is_not_set_up(desk: Desk) -> None:
    rep = user(desk)
    desk.team.set_emailed_kinds(rep, [NotifyKind.ASSIGNED])
    desk.leads.capture_lead(lead_data(), channel='api', default_source='api')
    assert messages(desk) == [] and len(rows(desk, Notification)) == 1


def test_a_muted_kind_is_not_emailed_either(desk: Desk) -> None:
    set_up(desk, 25)
    rep = user(desk)
    desk.team.set_emailed_kinds(rep, [NotifyKind.ASSIGNED])
    desk.team.set_muted_kinds(rep, [NotifyKind.ASSIGNED])
    desk.leads.capture_lead(lead_data(), channel='api', default_source='api')
    assert messages(desk) == []


# ----- password reset by email -------------------------------------------------------------------------

async def test_password_reset_by_emailed_link(desk: Desk, server: SmtpServer) -> None:
    set_up(desk, server.port)
    rep = user(desk, name='Rep Li')
    assert desk.password_reset.available()
    desk.password_reset.request(rep.email.upper())
    desk.password_reset.request('nobody@example.com')  # the same silence for an unknown address
    desk.password_reset.request(rep.email)  # pressed twice: one email
    assert len(messages(desk)) == 1
    await desk.mailer.deliver_due()
    [got] = server.received
    body = got.part('plain')
    assert got.message['Subject'] == '[LeadDesk] 重置密码' and f'{PUBLIC}/reset?token=' in body
    token = body.split('/reset?token=')[1].split()[0]
    assert messages(desk)[0].params == {}  # the token left the outbox once sent
    with pytest.raises(ValidationFailed) as e:
        desk.password_reset.reset(token, 'short')
    assert 'password' in e.value.errors
    assert desk.password_reset.reset(token, 'a-new-pass-2026') == rep.email
    desk.team.login(rep.email, 'a-new-pass-2026')
    with pytest.raises(ValidationFailed) as e:
        desk.password_reset.reset(token, 'another-pass-2026')  # once only
    assert e.value.errors == {'token': 'expired_link'}
    actions = [e.action for e in rows(desk, AuditEntry)]
    assert AuditAction.PASSWORD_RESET_MAILED in actions and AuditAction.PASSWORD_RESET_BY_LINK in actions


def test_a_reset_link_expires_after_an_hour(desk: Desk, clock: FakeClock) -> None:
    set_up(desk, 25)
    rep = user(desk)
    desk.password_reset.request(rep.email)
    token = messages(desk)[0].params['token']
    clock.advance(hours=1)
    with pytest.raises(ValidationFailed):
        desk.password_reset.reset(token, 'a-new-pass-2026')
    desk.team.login(rep.email, PASSWORD)


def test_no_reset_by_email_without_a_public_address(desk: Desk) -> None:
    desk.ctx.settings.public_url = ''
    set_up(desk, 25)
    rep = user(desk)
    assert not desk.password_reset.available()
    desk.password_reset.request(rep.email)
    assert messages(desk) == []
