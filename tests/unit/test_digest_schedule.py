"""Digests go out on the team calendar's working days at the send time, once: a second tick, a new
process on the same database and a late start (the app down at 08:30) send each digest once. The
rep's own two lines ride along if written before; the email goes through the mail outbox to a real
SMTP server, the group robots' Markdown card through the webhook outbox to a real HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.automation.workhours import WorkCalendar
from core.clock import FakeClock
from core.desk import Desk
from core.digests.content import Digest, DigestKind, Section
from core.digests.schedule import due_periods
from core.digests.settings import DigestSettings
from core.errors import ValidationFailed
from store.models import DigestRecord, Lead, Role, User
from tests.factories import admin, make_desk, user
from tests.smtp_server import SmtpServer
from tests.unit.test_digests import add_lead, local
from tests.unit.test_webhooks import hook
from tests.webhook_receiver import Receiver
from ui.i18n import translate

from .db import rows

MON, TUE = date(2026, 3, 2), date(2026, 3, 3)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return local(day, hour, minute).astimezone(UTC)


def sent(desk: Desk) -> list[tuple[int, str, date]]:
    return sorted((r.user_id, r.kind, r.day) for r in rows(desk, DigestRecord) if r.sent_at is not None)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    s = SmtpServer().start()
    yield s
    s.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def digests_on(desk: Desk) -> None:
    """Digests are off until a manager turns them on for the team."""
    desk.digests.set_team_settings(admin(desk), {'kinds': ['daily', 'weekly']})


def test_digests_are_off_until_turned_on(desk: Desk, clock: FakeClock) -> None:
    desk.digests.set_team_settings(admin(desk), {'kinds': []})
    user(desk, name='Li')
    clock._now = at_local(TUE, 9)
    assert desk.automation.tick().digests == 0


def test_what_falls_due_follows_the_calendar() -> None:
    calendar = WorkCalendar(holidays=frozenset({TUE}), extra_workdays=frozenset({date(2026, 3, 7)}))
    settings = DigestSettings(kinds=frozenset(DigestKind))
    assert due_periods(calendar, settings, False, at_local(MON, 8, 29)) == []
    assert due_periods(calendar, settings, False, at_local(MON, 8, 30)) == [(DigestKind.DAILY, date(2026, 2, 27))]
    assert due_periods(calendar, settings, False, at_local(TUE, 9)) == []  # a holiday sends nothing
    assert due_periods(calendar, settings, True, at_local(date(2026, 3, 4), 9)) == [
        (DigestKind.DAILY, MON), (DigestKind.WEEKLY, date(2026, 2, 23))]
    assert due_periods(calendar, settings, False, at_local(date(2026, 3, 7), 9)) == [
        (DigestKind.DAILY, date(2026, 3, 6))]  # the make-up Saturday sends Friday's
    assert due_periods(calendar, settings, False, at_local(date(2026, 3, 9), 9)) == [
        (DigestKind.DAILY, date(2026, 3, 7))]  # …and Monday the Saturday's


def test_a_digest_goes_out_once_across_ticks_and_a_restart(desk: Desk, clock: FakeClock) -> None:
    li, manager = user(desk, name='Li'), user(desk, Role.MANAGER, name='Boss')
    add_lead(desk, li, local(MON, 10), name='Wang', response=20)
    clock._now = at_local(TUE, 8, 0)
    assert desk.automation.tick().digests == 0  # before the send time
    clock._now = at_local(TUE, 8, 30)
    assert desk.automation.tick().digests == 3  # Li's daily, the manager's daily and weekly
    assert desk.automation.tick().digests == 0
    again = make_desk(desk.ctx.engine.url.render_as_string(hide_password=False), clock)  # a restart, same database
    try:
        assert again.automation.tick().digests == 0
    finally:
        again.ctx.engine.dispose()
    assert sent(desk) == [(li.id, 'daily', MON), (manager.id, 'daily', MON),
                          (manager.id, 'weekly', date(2026, 2, 23))]
    [mine] = desk.digests.history(li)
    assert [ln.name for ln in mine.digest.part(Section.LEADS_RECEIVED).lines] == ['Wang']


def test_a_missed_send_goes_out_when_the_app_is_back_once(desk: Desk, clock: FakeClock) -> None:
    li = user(desk, name='Li')
    clock._now = at_local(TUE, 10, 15)  # the app was down at 08:30
    assert desk.automation.tick().digests == 1
    clock._now = at_local(TUE, 10, 16)
    assert desk.automation.tick().digests == 0
    assert sent(desk) == [(li.id, 'daily', MON)]


def test_two_racing_sends_of_one_digest_send_it_once(desk: Desk, clock: FakeClock) -> None:
    li = user(desk, name='Li')
    clock._now = at_local(TUE, 9)
    [item] = desk.automation.digests.due(clock.now())
    assert desk.automation.digests.send(item, clock.now()) == 1
    assert desk.automation.digests.send(item, clock.now()) == 0  # a tick that read "due" before the first sent
    assert len(rows(desk, DigestRecord)) == 1 and sent(desk) == [(li.id, 'daily', MON)]


def test_a_rep_on_leave_gets_none(desk: Desk, clock: FakeClock) -> None:
    li = user(desk, name='Li')
    desk.team.update_user(admin(desk), li.id, {'is_on_leave': True})
    clock._now = at_local(TUE, 9)
    assert desk.automation.tick().digests == 0


def test_the_reps_own_lines_ride_along_until_it_is_sent(desk: Desk, clock: FakeClock) -> None:
    li = user(desk, name='Li')
    clock._now = at_local(TUE, 8)
    assert desk.digests.set_own_lines(li, ['Called the Hangzhou distributor', '  ']).day == MON
    with pytest.raises(ValidationFailed):
        desk.digests.set_own_lines(li, ['one', 'two', 'three'])
    clock._now = at_local(TUE, 8, 30)
    desk.automation.tick()
    [mine] = desk.digests.history(li)
    assert mine.digest.own_lines == ('Called the Hangzhou distributor',)
    assert desk.digests.own_lines(li).day == TUE  # the next one: Tuesday's, sent on Wednesday


async def test_the_email_goes_through_the_outbox_to_smtp(desk: Desk, clock: FakeClock, server: SmtpServer,
                                                          tmp_path: Path) -> None:
    desk.ctx.settings.data_dir = tmp_path / 'data'
    desk.ctx.settings.public_url = 'https://crm.example.com'
    desk.mailer.translate = translate
    desk.mail.save(admin(desk), {'host': '127.0.0.1', 'port': str(server.port), 'tls': 'none',
                                 'sender_address': 'crm@example.com', 'sender_name': 'Acme CRM'})
    boss = user(desk, Role.MANAGER)
    desk.digests.set_team_settings(boss, {'kinds': ['daily'], 'channels': ['app', 'email']})
    li, emily = user(desk, name='Li'), user(desk, name='Emily')
    with desk.ctx.write() as s:
        row = s.get(User, emily.id)
        assert row is not None
        row.language = 'en'
    lead = add_lead(desk, li, local(MON, 10), name='Wang', response=20)
    clock._now = at_local(TUE, 8, 30)
    assert desk.automation.tick().digests == 3
    assert await desk.mailer.deliver_due() == 3
    by_to = {r.recipients[0]: r for r in server.received}
    zh = by_to[li.email]
    assert zh.message['Subject'] == '日报 2026-03-02' and zh.message['Content-Language'] == 'zh-CN'
    assert f'[Wang](https://crm.example.com/leads/{lead})' in zh.part('plain')
    assert '首次联系（1）' in zh.part('plain') and 'https://crm.example.com/digests' in zh.part('plain')
    en = by_to[emily.email]
    assert en.message['Subject'] == 'Daily digest 2026-03-02' and 'Nothing happened' in en.part('plain')


async def test_the_group_robot_gets_a_markdown_card(desk: Desk, clock: FakeClock, receiver: Receiver) -> None:
    hook(desk, receiver.url, events=('digest.sent',), fmt='wecom_markdown', language='zh-CN')
    boss = user(desk, Role.MANAGER, name='Boss')
    desk.digests.set_team_settings(boss, {'kinds': ['daily'], 'channels': ['app', 'robot']})
    li = user(desk, name='Li')
    add_lead(desk, li, local(MON, 10), name='Wang', response=20)
    clock._now = at_local(TUE, 8, 30)
    assert desk.automation.tick().digests == 2
    assert await desk.outbox.deliver_due() == 2
    cards = [r.json() for r in receiver.wait_for(2)]
    assert {c['msgtype'] for c in cards} == {'markdown'}
    li_card = next(c['markdown']['content'] for c in cards if '· Li' in c['markdown']['content'])
    assert li_card.startswith('### 日报 2026-03-02 · Li') and '新分配线索（1）' in li_card and 'Wang' in li_card


def test_a_stored_digest_keeps_what_it_said(desk: Desk, clock: FakeClock) -> None:
    li = user(desk, name='Li')
    lead = add_lead(desk, li, local(MON, 10), name='Wang')
    clock._now = at_local(TUE, 9)
    desk.automation.tick()
    with desk.ctx.write() as s:
        row = s.get(Lead, lead)
        assert row is not None
        row.name = 'Renamed'
    [mine] = desk.digests.history(li)
    assert isinstance(mine.digest, Digest) and mine.digest.part(Section.LEADS_RECEIVED).lines[0].name == 'Wang'
