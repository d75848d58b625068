"""/webhooks: an admin adds a webhook (bad input named field by field, nothing stored), sends a
test to a real receiver on loopback and reads the delivery in the log; others are refused."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from store.models import Webhook, WebhookDelivery
from tests.ui.conftest import Team, login
from tests.unit.db import rows
from tests.webhook_receiver import Receiver


async def until(check, tries: int = 100) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if check():
            return True
        await asyncio.sleep(0.05)
    return bool(check())


async def test_admin_adds_a_webhook_after_fixing_the_fields_and_sends_a_test(user: User, team: Team) -> None:
    receiver = Receiver().start()
    try:
        await login(user, team.admin.email)
        await user.open('/webhooks')
        await user.should_see(marker='webhook-empty')
        user.find(marker='webhook-add').click()
        await user.should_see(marker='webhook-dialog')
        user.find(marker='webhook-name').type('Sales group')
        user.find(marker='webhook-url').type('ftp://example.com/hook')
        user.find(marker='webhook-save').click()
        await user.should_see('Enter an http:// or https:// address with a host name.', retries=50)
        await user.should_see('Choose at least one event.')
        assert rows(team.desk, Webhook) == []  # nothing stored

        url = user.find(marker='webhook-url').elements.pop()
        url.set_value(receiver.url)
        user.find(marker='webhook-format').elements.pop().set_value('wecom_markdown')
        await user.should_see('WeCom robots need no secret')
        user.find(marker='webhook-events').elements.pop().set_value(['lead.captured', 'opportunity.won'])
        user.find(marker='webhook-save').click()  # on loopback: refused until the admin allows private targets
        await user.should_see('This address is on a private, loopback or link-local network (loopback)', retries=50)
        assert rows(team.desk, Webhook) == []
        user.find(marker='webhook-allow-private').elements.pop().set_value(True)
        await user.should_see('Saved', retries=50)
        assert team.desk.webhooks.allow_private(team.admin)
        user.find(marker='webhook-save').click()
        await user.should_see('Webhook saved', retries=50)
        [saved] = rows(team.desk, Webhook)
        assert (saved.name, saved.url, saved.format, saved.events) == (
            'Sales group', receiver.url, 'wecom_markdown', ['lead.captured', 'opportunity.won'])

        await user.should_see(marker=f'webhook-test-{saved.id}')
        user.find(marker=f'webhook-test-{saved.id}').click()
        await user.should_see('Test delivered: HTTP 200', retries=100)
        body = receiver.wait_for(1)[0].json()
        assert body['msgtype'] == 'markdown' and 'LeadDesk' in body['markdown']['content']
        [delivery] = rows(team.desk, WebhookDelivery)
        assert (delivery.event, delivery.status, delivery.response_status) == ('test', 'delivered', 200)

        user.find(marker=f'webhook-log-{saved.id}').click()
        await user.should_see(marker='webhook-log-table')
        table = user.find(marker='webhook-log-table').elements.pop()
        assert [(r['event'], r['status'], r['attempts']) for r in table.rows] == [('Test', 'Delivered', 1)]
    finally:
        receiver.stop()


async def test_a_captured_lead_reaches_the_receiver_through_the_running_app(user: User, team: Team) -> None:
    """The app's own background loop delivers (no test driving it)."""
    receiver = Receiver().start()
    try:
        await login(user, team.admin.email)
        await user.open('/webhooks')
        team.desk.webhooks.set_allow_private(team.admin, True)  # (the receiver is on loopback)
        user.find(marker='webhook-add').click()
        user.find(marker='webhook-name').type('ERP')
        user.find(marker='webhook-url').type(receiver.url)
        user.find(marker='webhook-events').elements.pop().set_value(['lead.captured'])
        user.find(marker='webhook-save').click()
        await user.should_see('Webhook saved', retries=50)
        from nicegui import app

        app.state.desk.leads.capture_lead({'name': 'Through The App', 'phone': '+86 139 0000 1111'},
                                          channel='api', default_source='api')
        assert await until(lambda: len(receiver.requests) == 1)
        assert receiver.requests[0].json()['lead']['name'] == 'Through The App'
        assert receiver.requests[0].headers['x-leaddesk-signature'].startswith('sha256=')
    finally:
        receiver.stop()


async def test_a_manager_is_refused(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await user.open('/webhooks')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker='webhook-add')
