"""Webhooks: the outbox is written in the domain's transaction and delivered to a real HTTP
receiver on loopback — signed, in the robots' shapes, retried with backoff, never lost while the
receiver is down or the app restarts, never in the way of a capture."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.context import audit
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from core.integrations.formats import verify_json
from core.integrations.outbox import backoff
from store.models import AuditEntry, DeliveryStatus, Lead, Notification, Role, Webhook, WebhookDelivery
from tests.factories import admin, lead_data, make_desk, user
from tests.webhook_receiver import Receiver, reserve_port
from ui.i18n import translate

from .db import get, rows


@pytest.fixture
def receiver() -> Receiver:
    r = Receiver().start()
    yield r
    r.stop()


def hook(desk: Desk, url: str, *, events: tuple[str, ...] = ('lead.captured',), fmt: str = 'json',
         secret: str = 'top-secret', language: str = 'en', name: str = 'Hook') -> int:
    """Save a webhook. The receiver runs on loopback, which webhooks refuse by default: the admins'
    setting that allows private targets is turned on first."""
    desk.outbox.translate = translate
    desk.webhooks.set_allow_private(admin(desk), True)
    return desk.webhooks.save(admin(desk), None, {'name': name, 'url': url, 'format': fmt, 'events': list(events),
                                                  'secret': secret, 'language': language})


def capture(desk: Desk, **fields: str) -> int:
    return desk.leads.capture_lead(lead_data(**fields), channel='api', default_source='api').lead_id


def deliveries(desk: Desk) -> list[WebhookDelivery]:
    return rows(desk, WebhookDelivery)


# ----- the outbox is written with the domain change ---------------------------------------------------

def test_no_webhook_no_outbox_rows(desk: Desk) -> None:
    user(desk)
    capture(desk)
    assert deliveries(desk) == []


def test_capture_writes_a_delivery_per_subscribed_event_in_its_transaction(desk: Desk) -> None:
    rep = user(desk, name='Rep Li')
    hook(desk, 'http://127.0.0.1:9/x', events=('lead.captured', 'lead.assigned'))
    hook(desk, 'http://127.0.0.1:9/y', events=('opportunity.won',), name='Other')
    lead_id = capture(desk, name='Zhang Wei', company='Acme')
    found = deliveries(desk)
    assert [d.event for d in found] == ['lead.captured', 'lead.assigned']
    assert {d.status for d in found} == {DeliveryStatus.PENDING}
    payload = found[0].payload
    assert payload['lead']['id'] == lead_id and payload['lead']['name'] == 'Zhang Wei'
    assert payload['lead']['owner'] == {'id': rep.id, 'name': 'Rep Li'}
    assert found[1].payload['subject'] == {'id': rep.id, 'name': 'Rep Li'}
    assert 'phone' not in payload['lead']  # contact details stay in LeadDesk (read them through the API)


def test_a_payload_carries_custom_values_but_not_custom_contact_details(desk: Desk) -> None:
    user(desk)
    define = desk.custom_fields.define_field
    define(None, entity='lead', key='product', type='single_select', label_zh='产品', label_en='Product',
           options=[{'key': 'crm', 'label_zh': '客户管理', 'label_en': 'CRM'}])
    define(None, entity='lead', key='stores', type='number', label_zh='门店数', label_en='Stores')
    define(None, entity='lead', key='boss_mobile', type='phone', label_zh='老板手机', label_en="Boss's mobile")
    define(None, entity='lead', key='boss_mail', type='email', label_zh='老板邮箱', label_en="Boss's email")
    hook(desk, 'http://127.0.0.1:9/x')
    desk.leads.capture_lead(lead_data(name='Custom') | {'custom': {
        'product': 'crm', 'stores': 12, 'boss_mobile': '13800138000', 'boss_mail': 'boss@example.com'}},
        channel='api', default_source='api')
    capture(desk, name='Plain')
    custom, plain = (d.payload['lead'] for d in deliveries(desk))
    assert custom['custom'] == {'product': 'crm', 'stores': 12}  # phone and email fields stay in LeadDesk
    assert plain['custom'] == {}


def test_a_rolled_back_change_leaves_no_delivery(desk: Desk) -> None:
    hook(desk, 'http://127.0.0.1:9/x', events=('lead.converted',))
    with pytest.raises(RuntimeError), desk.ctx.write() as session:
        audit(session, 'converted', now=desk.ctx.now(), reason_key='reason.converted')
        session.flush()
        assert session.query(WebhookDelivery).count() == 1  # written in the transaction…
        raise RuntimeError('crash before commit')
    assert deliveries(desk) == []  # …and gone with it


def test_imports_send_one_event_not_one_per_row(desk: Desk) -> None:
    from core.capture import intake as capture_path

    user(desk)
    hook(desk, 'http://127.0.0.1:9/x', events=('lead.captured', 'lead.assigned'))
    now = desk.ctx.now()
    with desk.ctx.write() as session:
        capture_path.capture_rows(session, [lead_data(), lead_data()], default_source='import', region='CN',
                                  config=desk.ctx.capture_config.load(session), now=now,
                                  day_start=desk.ctx.day_start(now), actor_id=None, channel='import')
    assert len(rows(desk, Lead)) == 2 and deliveries(desk) == []


def test_switched_off_webhook_gets_nothing_and_its_backlog_is_cancelled(desk: Desk) -> None:
    boss = admin(desk)
    webhook_id = hook(desk, 'http://127.0.0.1:9/x')
    capture(desk)
    desk.webhooks.set_enabled(boss, webhook_id, False)
    capture(desk)
    assert [d.status for d in deliveries(desk)] == [DeliveryStatus.CANCELLED]


def test_won_and_lost_deals_are_events_with_amount_and_reason(desk: Desk, clock: FakeClock) -> None:
    from .test_conversion import make_opportunity

    rep = user(desk, name='Rep Wang')
    hook(desk, 'http://127.0.0.1:9/x', events=('opportunity.won', 'opportunity.lost'))
    won = make_opportunity(desk, clock, rep, amount='12500')
    lost = make_opportunity(desk, clock, rep)
    stages = {s.kind: s.id for s in desk.pipeline.stages()}
    desk.pipeline.move_opportunity(rep, won, to_stage_id=stages['won'], version=1)
    reason = desk.pipeline.lost_reasons()[0][0]
    desk.pipeline.move_opportunity(rep, lost, to_stage_id=stages['lost'], version=1, lost_reason=reason)
    found = deliveries(desk)
    assert [d.event for d in found] == ['opportunity.won', 'opportunity.lost']
    assert found[0].payload['opportunity']['amount_cents'] == 1_250_000
    assert found[0].payload['opportunity']['owner']['name'] == 'Rep Wang'
    assert found[1].payload['opportunity']['lost_reason']['key'] == reason


# ----- delivery to a real receiver ----------------------------------------------------------------------

async def test_json_is_delivered_signed_and_the_receiver_can_verify_it(desk: Desk, receiver: Receiver) -> None:
    user(desk)
    hook(desk, receiver.url, secret='s3cret')
    lead_id = capture(desk, name='Signed Lead')
    assert await desk.outbox.deliver_due() == 1
    [got] = receiver.requests
    assert got.headers['x-leaddesk-event'] == 'lead.captured'
    assert verify_json('s3cret', got.headers['x-leaddesk-timestamp'], got.body, got.headers['x-leaddesk-signature'])
    assert not verify_json('other', got.headers['x-leaddesk-timestamp'], got.body,
                           got.headers['x-leaddesk-signature'])
    body = got.json()
    assert body['event'] == 'lead.captured' and body['lead']['id'] == lead_id
    assert body['delivery_id'] == int(got.headers['x-leaddesk-delivery'])
    [d] = deliveries(desk)
    assert (d.status, d.attempts, d.response_status) == (DeliveryStatus.DELIVERED, 1, 200)
    assert 'errcode' in (d.response_excerpt or '')


async def test_failures_are_retried_with_exponential_backoff(desk: Desk, clock: FakeClock) -> None:
    receiver = Receiver(fail_first=2).start()
    try:
        hook(desk, receiver.url)
        capture(desk)
        start = clock.now()
        assert await desk.outbox.deliver_due() == 1
        [d] = deliveries(desk)
        assert (d.status, d.attempts, d.response_status) == (DeliveryStatus.PENDING, 1, 500)
        assert d.next_attempt_at == start + timedelta(seconds=10)
        clock.advance(seconds=9)
        assert await desk.outbox.deliver_due() == 0  # not before its time
        clock.advance(seconds=1)
        assert await desk.outbox.deliver_due() == 1
        [d] = deliveries(desk)
        assert d.attempts == 2 and d.next_attempt_at == clock.now() + timedelta(seconds=20)
        clock.advance(seconds=20)
        assert await desk.outbox.deliver_due() == 1
        [d] = deliveries(desk)
        assert (d.status, d.attempts, d.response_status) == (DeliveryStatus.DELIVERED, 3, 200)
        assert len(receiver.requests) == 3
        assert len({r.headers['x-leaddesk-delivery'] for r in receiver.requests}) == 1  # the same delivery
    finally:
        receiver.stop()


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff(30).total_seconds() == 900


async def test_capture_commits_while_the_receiver_is_down(desk: Desk) -> None:
    user(desk)
    hook(desk, f'http://127.0.0.1:{reserve_port()}/hook')
    lead_id = capture(desk, name='Still Here')
    assert get(desk, Lead, lead_id).name == 'Still Here'
    assert await desk.outbox.deliver_due() == 1
    [d] = deliveries(desk)
    assert d.status == DeliveryStatus.PENDING and d.attempts == 1 and d.response_status is None
    assert 'ConnectError' in (d.error or '')


async def test_a_receiver_down_for_minutes_loses_nothing(desk: Desk, clock: FakeClock) -> None:
    receiver = Receiver().start()
    receiver.stop()  # down, on a known port
    hook(desk, receiver.url)
    captured = [capture(desk) for _ in range(5)]
    for _ in range(8):  # ~10 minutes of rounds while it is down: one knock per backoff, not one per event
        await desk.outbox.deliver_due()
        clock.advance(seconds=90)
    assert {d.status for d in deliveries(desk)} == {DeliveryStatus.PENDING}
    assert deliveries(desk)[0].attempts >= 4 and all(d.attempts == 0 for d in deliveries(desk)[1:])
    receiver.start()  # back, same port
    clock.advance(minutes=15)
    while await desk.outbox.deliver_due():
        pass
    assert {d.status for d in deliveries(desk)} == {DeliveryStatus.DELIVERED}
    assert [r.json()['lead']['id'] for r in receiver.requests] == captured  # each once, in order
    receiver.stop()


async def test_a_restart_delivers_what_was_queued_while_the_receiver_was_down(tmp_path: Path) -> None:
    path = tmp_path / 'restart.db'
    clock = FakeClock()
    first = make_desk(path, clock)
    user(first)
    receiver = Receiver().start()
    receiver.stop()
    hook(first, receiver.url)
    captured = [capture(first) for _ in range(3)]
    await first.outbox.deliver_due()  # fails: down
    first.ctx.engine.dispose()  # the app stops

    receiver.start()  # the receiver comes back, then the app
    clock.advance(minutes=1)
    second = make_desk(path, clock)
    second.outbox.translate = translate
    while await second.outbox.deliver_due():
        pass
    assert [r.json()['lead']['id'] for r in receiver.requests] == captured
    assert {d.status for d in deliveries(second)} == {DeliveryStatus.DELIVERED}
    receiver.stop()
    second.ctx.engine.dispose()


async def test_the_background_loop_delivers_and_retries_on_its_own(desk: Desk, clock: FakeClock) -> None:
    import asyncio

    receiver = Receiver(fail_first=2).start()
    try:
        hook(desk, receiver.url)
        desk.outbox.poll_seconds = 0.02
        desk.outbox.start()
        capture(desk)
        for _ in range(200):
            if deliveries(desk)[0].status == DeliveryStatus.DELIVERED:
                break
            clock.advance(seconds=15)
            await asyncio.sleep(0.02)
        await desk.outbox.stop()
        [d] = deliveries(desk)
        assert (d.status, d.attempts) == (DeliveryStatus.DELIVERED, 3)
    finally:
        receiver.stop()


async def test_gives_up_after_the_maximum_age_visibly(desk: Desk, clock: FakeClock) -> None:
    boss = admin(desk)
    hook(desk, f'http://127.0.0.1:{reserve_port()}/hook', name='Dead end')
    capture(desk)
    capture(desk)
    await desk.outbox.deliver_due()
    clock.advance(days=3, seconds=1)
    await desk.outbox.deliver_due()
    assert {d.status for d in deliveries(desk)} == {DeliveryStatus.FAILED}
    assert [a.reason_params['count'] for a in rows(desk, AuditEntry, AuditEntry.action == 'webhook_gave_up')] == [2]
    told = rows(desk, Notification, Notification.user_id == boss.id, Notification.key == 'webhook.notify.gave_up')
    assert len(told) == 1 and told[0].params['name'] == 'Dead end'
    again = desk.webhooks.resend(boss, [d.id or 0 for d in deliveries(desk)])
    assert len(again) == 2 and [d.status for d in deliveries(desk)][-2:] == [DeliveryStatus.PENDING] * 2


# ----- the robots' shapes ---------------------------------------------------------------------------------

async def test_wecom_markdown_has_the_documented_shape(desk: Desk, receiver: Receiver) -> None:
    user(desk, name='Rep Li')
    hook(desk, receiver.url, fmt='wecom_markdown', language='zh-CN')
    capture(desk, name='王伟', company='[click](http://evil) <font>')
    await desk.outbox.deliver_due()
    body = receiver.requests[0].json()
    assert set(body) == {'msgtype', 'markdown'} and body['msgtype'] == 'markdown'
    content = body['markdown']['content']
    assert set(body['markdown']) == {'content'}
    assert content.startswith('### 新线索') and '王伟' in content and 'Rep Li' in content
    assert '](' not in content and '<font>' not in content  # a lead cannot add links or tags to the chat


async def test_with_the_public_address_set_messages_link_to_the_record(desk: Desk, receiver: Receiver) -> None:
    user(desk)
    hook(desk, receiver.url, fmt='wecom_markdown', language='zh-CN')
    first = capture(desk, name='No Link Yet')
    await desk.outbox.deliver_due()
    assert 'http' not in receiver.requests[0].json()['markdown']['content']  # unset: no link at all
    desk.ctx.settings.public_url = 'https://crm.example.com/'
    second = capture(desk, name='Linked')
    await desk.outbox.deliver_due()
    content = receiver.requests[1].json()['markdown']['content']
    assert content.endswith(f'[在 LeadDesk 中打开](https://crm.example.com/leads/{second})')
    assert second != first


async def test_json_body_carries_the_records_url(desk: Desk, receiver: Receiver) -> None:
    user(desk)
    desk.ctx.settings.public_url = 'https://crm.example.com'
    hook(desk, receiver.url)
    lead_id = capture(desk)
    await desk.outbox.deliver_due()
    assert receiver.requests[0].json()['url'] == f'https://crm.example.com/leads/{lead_id}'


async def test_dingtalk_markdown_is_signed_in_the_url(desk: Desk, receiver: Receiver) -> None:
    user(desk)
    hook(desk, receiver.url + '?access_token=abc', fmt='dingtalk_markdown', secret='SECxyz')
    capture(desk, name='Li Na')
    await desk.outbox.deliver_due()
    got = receiver.requests[0]
    body = got.json()
    assert body['msgtype'] == 'markdown' and set(body['markdown']) == {'title', 'text'}
    assert body['markdown']['title'] == 'New lead' and 'Li Na' in body['markdown']['text']
    query = got.query
    assert query['access_token'] == 'abc'
    expected = base64.b64encode(hmac.new(b'SECxyz', f"{query['timestamp']}\nSECxyz".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query['sign'] == expected  # (url-encoded on the wire, decoded by parse_qsl)


async def test_a_robot_error_code_is_a_failed_attempt(desk: Desk) -> None:
    receiver = Receiver(answer={'errcode': 45009, 'errmsg': 'api freq out of limit'}).start()
    try:
        hook(desk, receiver.url, fmt='wecom_text')
        capture(desk)
        await desk.outbox.deliver_due()
        [d] = deliveries(desk)
        assert d.status == DeliveryStatus.PENDING and d.response_status == 200 and '45009' in (d.response_excerpt or '')
        assert receiver.requests[0].json()['msgtype'] == 'text'
    finally:
        receiver.stop()


# ----- configuration ------------------------------------------------------------------------------------------

def test_bad_configuration_names_every_field(desk: Desk) -> None:
    boss = admin(desk)
    with pytest.raises(ValidationFailed) as e:
        desk.webhooks.save(boss, None, {'name': '', 'url': 'ftp://example.com/x', 'events': [], 'format': 'xml'})
    assert e.value.errors == {'name': 'required', 'url': 'invalid', 'events': 'required', 'format': 'invalid'}
    for url in ('example.com/hook', 'http://', 'https:// spaced.example.com', 'javascript:alert(1)',
                'http://host:notaport/x'):
        with pytest.raises(ValidationFailed) as e:
            desk.webhooks.save(boss, None, {'name': 'x', 'url': url, 'events': ['lead.captured']})
        assert e.value.errors == {'url': 'invalid'}, url
    with pytest.raises(ValidationFailed) as e:
        desk.webhooks.save(boss, None, {'name': 'x', 'url': 'https://ok.example.com', 'events': ['nope']})
    assert e.value.errors == {'events': 'invalid'}
    assert desk.webhooks.webhooks(boss) == []


def test_json_webhooks_get_a_generated_secret(desk: Desk) -> None:
    boss = admin(desk)
    webhook_id = desk.webhooks.save(boss, None, {'name': 'x', 'url': 'https://ok.example.com/h',
                                                 'events': ['lead.captured']})
    assert len(desk.webhooks.webhook(boss, webhook_id).secret) >= 32


def test_only_admins_manage_webhooks(desk: Desk) -> None:
    manager = user(desk, Role.MANAGER)
    with pytest.raises(NotAllowed):
        desk.webhooks.webhooks(manager)
    with pytest.raises(NotAllowed):
        desk.webhooks.save(manager, None, {'name': 'x', 'url': 'https://ok.example.com', 'events': ['lead.captured']})


async def test_send_test_records_a_delivery(desk: Desk, receiver: Receiver) -> None:
    boss = admin(desk)
    webhook_id = hook(desk, receiver.url, fmt='dingtalk_text', secret='')
    delivery_id = desk.webhooks.queue_test(boss, webhook_id)
    result = await desk.outbox.deliver(delivery_id)
    assert result is not None and result.status == DeliveryStatus.DELIVERED and result.response_status == 200
    assert receiver.requests[0].json()['text']['content'].startswith('LeadDesk test message')
    assert [d.event for d in desk.webhooks.deliveries(boss, webhook_id)] == ['test']


# ----- targets: no private networks unless the admins allow them ------------------------------------

REFUSED_TARGETS = [
    ('http://127.0.0.1:8105/api', 'loopback'), ('http://[::1]/x', 'loopback'), ('http://localhost:8105/', 'loopback'),
    ('http://10.0.0.5/hook', 'private'), ('http://192.168.1.1/', 'private'), ('http://172.16.0.1/', 'private'),
    ('http://[fc00::1]/x', 'private'), ('http://100.64.0.1/', 'private'),
    ('http://169.254.169.254/latest/meta-data/', 'metadata'), ('http://169.254.1.1/', 'link_local'),
    ('http://metadata.google.internal/computeMetadata/v1/', 'metadata'), ('http://100.100.100.200/', 'metadata'),
    ('http://0.0.0.0:8105/', 'unspecified'), ('http://224.0.0.1/', 'multicast'),
    ('http://[::ffff:127.0.0.1]/', 'loopback'), ('http://[::ffff:169.254.169.254]/', 'metadata'),
    ('http://2130706433/', 'loopback'),  # 127.0.0.1 written as one number (resolves like the address)
]


@pytest.mark.parametrize(('url', 'reason'), REFUSED_TARGETS)
def test_private_and_metadata_targets_are_refused_at_save(desk: Desk, url: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        desk.webhooks.save(admin(desk), None, {'name': 'SSRF', 'url': url, 'events': ['lead.captured']})
    assert (refused.value.errors, refused.value.detail) == ({'url': 'private_target'}, reason)
    assert rows(desk, Webhook) == []


def test_the_admin_setting_allows_private_targets_but_never_metadata(desk: Desk) -> None:
    boss = admin(desk)
    assert not desk.webhooks.allow_private(boss)
    desk.webhooks.set_allow_private(boss, True)
    assert desk.webhooks.allow_private(boss)
    desk.webhooks.save(boss, None, {'name': 'LAN', 'url': 'http://10.0.0.5/hook', 'events': ['lead.captured']})
    for url in ('http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/'):
        with pytest.raises(ValidationFailed):
            desk.webhooks.save(boss, None, {'name': 'Meta', 'url': url, 'events': ['lead.captured']})
    assert [w.name for w in rows(desk, Webhook)] == ['LAN']
    policy = rows(desk, AuditEntry, AuditEntry.action == 'webhook_policy')
    assert [(a.reason_key, a.actor_id) for a in policy] == [('webhook.reason.private_on', boss.id)]
    with pytest.raises(NotAllowed):
        desk.webhooks.set_allow_private(user(desk, Role.MANAGER), False)
    assert desk.webhooks.allow_private(boss)


def test_every_address_a_host_resolves_to_is_checked() -> None:
    from core.integrations.targets import refusal

    def resolve(*addresses: str) -> Any:
        return lambda _host, _port: list(addresses)

    assert refusal('https://hooks.example.com/x', allow_private=False, resolve=resolve('93.184.216.34')) is None
    assert refusal('https://hooks.example.com/x', allow_private=False,
                   resolve=resolve('93.184.216.34', '127.0.0.1')) == 'loopback'
    assert refusal('https://hooks.example.com/x', allow_private=False, resolve=resolve('fe80::1%eth0')) == 'link_local'
    assert refusal('https://hooks.example.com/x', allow_private=True, resolve=resolve('10.1.2.3')) is None
    assert refusal('https://rebind.example/x', allow_private=True, resolve=resolve('169.254.169.254')) == 'metadata'


async def test_delivery_checks_the_target_again_when_it_connects(desk: Desk, receiver: Receiver) -> None:
    """Saved while private targets were allowed; the setting goes off (as DNS could change after the
    save): the delivery is refused at connect time, nothing reaches the receiver, and the log says why."""
    user(desk)
    hook(desk, receiver.url)
    desk.webhooks.set_allow_private(admin(desk), False)
    capture(desk)
    assert await desk.outbox.deliver_due() == 1
    [d] = deliveries(desk)
    assert (d.status, d.attempts, d.response_status) == (DeliveryStatus.PENDING, 1, None)
    assert 'refused: 127.0.0.1 resolves to 127.0.0.1 (loopback)' in (d.error or '')
    assert receiver.requests == []


async def test_a_receiver_that_answers_without_end_is_read_only_a_few_kib(desk: Desk) -> None:
    """The delivery log keeps the status and a short excerpt; the answer is read 4 KiB at most, so an
    endless (or huge) answer neither holds the deliverer nor fills its memory."""
    receiver = Receiver(endless=True).start()
    try:
        user(desk)
        hook(desk, receiver.url)
        capture(desk)
        assert await asyncio.wait_for(desk.outbox.deliver_due(), timeout=60) == 1  # never hangs on it
        [d] = deliveries(desk)
        assert (d.status, d.response_status) == (DeliveryStatus.DELIVERED, 200)
        assert d.response_excerpt == 'x' * 500
        time.sleep(0.2)
        assert receiver.sent < 64 << 20  # it stopped being read long before a GiB
    finally:
        receiver.stop()
