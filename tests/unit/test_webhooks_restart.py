"""The restart test of issue 11: run.py serves captures while the webhook's receiver is down, is
SIGKILLed, then the receiver and the app come back — and every event arrives, once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from store.models import Role
from tests import factories
from tests.unit.test_crash import App
from tests.webhook_receiver import Receiver


def test_events_queued_while_the_receiver_was_down_arrive_after_both_come_back(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    receiver = Receiver().start()
    receiver.stop()  # down from the start, on a known port
    desk = factories.make_desk(data / 'leaddesk.db')
    factories.user(desk, Role.REP, name='Rep Li', capacity=100)
    desk.webhooks.set_allow_private(factories.admin(desk), True)  # (the receiver is on loopback)
    desk.webhooks.save(factories.admin(desk), None, {'name': 'ERP', 'url': receiver.url, 'secret': 'k',
                                                     'events': ['lead.captured']})
    key = desk.access.create_api_key(None, name='restart')
    desk.ctx.engine.dispose()

    app = App(data)
    app.start()
    try:
        ids = []
        with httpx.Client(base_url=app.url, headers={'X-API-Key': key}, timeout=10) as client:
            for n in range(5):
                r = client.post('/api/v1/leads', json={'name': f'Queued {n}', 'phone': f'+86 139 0000 {n:04d}'})
                assert r.status_code == 201  # capture answers while the receiver is down
                ids.append(r.json()['id'])
        time.sleep(1.5)  # the app's loop knocks on the dead receiver meanwhile
        app.kill()

        receiver.start()
        app.start()
        got = receiver.wait_for(5, timeout=40)  # the first retry is due ~10 s after the failed attempt
        time.sleep(0.5)
        assert sorted(r.json()['lead']['id'] for r in receiver.requests) == sorted(ids)
        assert len({r.headers['x-leaddesk-delivery'] for r in got}) == 5
    finally:
        app.stop()
        receiver.stop()
