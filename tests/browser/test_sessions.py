"""Browser sessions against the real server: logout in one tab ends the other tab of the same
browser (its next edit lands on the login page and writes nothing), the cookie changes at login,
one cookie's concurrent page loads all succeed, and a socket from another browser session can
neither attach to a page nor drive it."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import sqlite3
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
import socketio
from playwright.sync_api import BrowserContext, expect

from core.desk import Desk
from store.models import UserRef
from tests import factories
from ui.session import COOKIE

from .support import Server, login

pytestmark = pytest.mark.browser

WS_PATH = '/_nicegui_ws/socket.io'
T = TypeVar('T')


def token_for(desk: Desk, user: UserRef) -> str:
    """A signed-in browser's cookie value, made the way login makes it (ticket, then exchange)."""
    _, ticket = desk.team.login(user.email, factories.PASSWORD)
    started = desk.sessions.start(ticket, 'test')
    assert started is not None
    return started[0]


def company(server: Server, lead_id: int) -> str:
    with sqlite3.connect(server.db_path) as db:
        return db.execute('SELECT company FROM leads WHERE id = ?', (lead_id,)).fetchone()[0]


@pytest.fixture
def two_reps(start_server: Callable[..., Server]) -> Server:
    """A lead of the rep's, and a signed-in cookie for the rep and for the other rep."""
    def seed(desk: Desk, server: Server) -> None:
        assert server.team is not None
        server.seeded['lead'] = desk.leads.capture_lead(
            factories.lead_data(name='Kept Safe', company='Before'), channel='manual', default_source='manual',
            actor=server.team.rep, keep_for_actor=True).lead_id
        server.seeded['rep'] = token_for(desk, server.team.rep)
        server.seeded['other'] = token_for(desk, server.team.other_rep)

    return start_server(seed=seed)


def test_logout_in_one_tab_sends_the_other_to_login_and_its_edit_is_not_saved(
        server: Server, new_context: Callable[..., BrowserContext]) -> None:
    assert server.team is not None
    rep = server.team.rep
    desk = factories.make_desk(server.db_path)
    lead_id = desk.leads.capture_lead(factories.lead_data(name='Two Tabs', company='Before'), channel='manual',
                                      default_source='manual', actor=rep, keep_for_actor=True).lead_id
    desk.ctx.engine.dispose()
    context = new_context(locale='en-US')
    first, second = context.new_page(), context.new_page()  # two tabs of one browser
    login(first, server, rep)
    second.goto(server.url(f'/leads/{lead_id}'))
    expect(second.get_by_test_id('current-user')).to_be_visible()
    second.get_by_test_id('edit-contact').click()  # the fields read as text until their pencil
    second.get_by_test_id('field-company').fill('Changed after logout')  # typed, not yet saved

    first.get_by_test_id('logout').click()
    first.wait_for_url(re.compile(r'/login'))
    second.wait_for_url(re.compile(r'/login'))  # the other tab went without a click (a wait, not a speed check)
    expect(second.get_by_test_id('save-contact')).to_have_count(0)
    assert company(server, lead_id) == 'Before'
    assert not [c for c in context.cookies() if c['name'] == COOKIE]  # cleared by /logout

    second.goto(server.url(f'/leads/{lead_id}'))  # the tab's next action: the login page, not the lead
    second.wait_for_url(re.compile(r'/login'))
    expect(second.get_by_test_id('login-submit')).to_be_visible()
    assert company(server, lead_id) == 'Before'


def test_the_session_cookie_changes_at_login(server: Server, new_context: Callable[..., BrowserContext]) -> None:
    assert server.team is not None
    context = new_context(locale='en-US')
    context.add_cookies([{'name': COOKIE, 'value': 'planted-before-login', 'url': server.url()}])
    page = context.new_page()
    login(page, server, server.team.rep)
    first = [c for c in context.cookies() if c['name'] == COOKIE]
    assert len(first) == 1 and first[0]['value'] != 'planted-before-login'
    assert first[0]['httpOnly'] and first[0]['sameSite'] == 'Lax'
    page.get_by_test_id('logout').click()
    page.wait_for_url(re.compile(r'/login'))
    login(page, server, server.team.rep)
    second = [c['value'] for c in context.cookies() if c['name'] == COOKIE]
    assert second and second[0] != first[0]['value']


def test_eight_concurrent_page_loads_with_one_cookie_all_answer(two_reps: Server) -> None:
    """One browser opening several tabs at once (or a prefetch): every load sees the signed-in
    user (it once answered some with a redirect to /login and some with 500)."""
    cookies = {COOKIE: two_reps.seeded['rep']}
    for _round in range(3):
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: httpx.get(two_reps.url('/'), cookies=cookies, timeout=30,
                                                          headers={'Accept-Language': 'en'}), range(8)))
        assert [r.status_code for r in responses] == [200] * 8
        assert all('inbox-table' in r.text and 'Rita Rep' in r.text for r in responses)


# ----- the socket layer ---------------------------------------------------------------------------------

class Page:
    """A page as its HTML arrives: the client id, and the element ids and listeners by test id."""

    def __init__(self, html: str) -> None:
        found = re.search(r"query: (\{.*?\}),\n", html)
        assert found is not None, 'not a NiceGUI page'
        self.query: dict[str, Any] = ast.literal_eval(found.group(1))  # the template writes a Python dict
        self.client_id: str = self.query['client_id']
        elements = json.loads(re.search(r'parseElements\(String\.raw`(.*?)`\)', html, re.S).group(1))  # type: ignore[union-attr]
        self.by_testid = {e['props']['data-testid']: (int(i), e.get('events', []))
                          for i, e in elements.items() if 'data-testid' in e.get('props', {})}

    def event(self, testid: str, kind: str, *args: Any, client_id: str | None = None) -> dict[str, Any]:
        """The message the page's script sends when the element fires `kind`."""
        element, listeners = self.by_testid[testid]
        [listener] = [x['listener_id'] for x in listeners if x['type'] == kind]
        return {'id': element, 'client_id': client_id or self.client_id, 'listener_id': listener,
                'args': [json.dumps(a) for a in args]}


async def open_page(server: Server, path: str, cookie: str) -> Page:
    async with httpx.AsyncClient(cookies={COOKIE: cookie}, headers={'Accept-Language': 'en'}) as http:
        response = await http.get(server.url(path))
    assert response.status_code == 200
    return Page(response.text)


async def connect(server: Server, page: Page, cookie: str) -> socketio.AsyncClient:
    """Open the page's socket the way its script does, with `cookie` in the handshake."""
    query = {**page.query, 'implicit_handshake': 'true', 'tab_id': str(uuid.uuid4()),
             'document_id': str(uuid.uuid4())}
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(f'{server.base_url}?{urllib.parse.urlencode(query)}', headers={'Cookie': f'{COOKIE}={cookie}'},
                      transports=['websocket'], socketio_path=WS_PATH, wait_timeout=10)
    return sio


def in_thread(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run an async scenario on its own loop (pytest-playwright owns this thread's)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(asyncio.run(coroutine()))
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    if errors:
        raise errors[0]
    return result[0]


def test_a_socket_of_another_browser_session_can_neither_attach_to_nor_drive_a_page(two_reps: Server) -> None:
    server, lead_id = two_reps, two_reps.seeded['lead']
    rep, other = server.seeded['rep'], server.seeded['other']

    async def scenario() -> str:
        victim = await open_page(server, f'/leads/{lead_id}', rep)
        # 1. Attach to the rep's page with another session's cookie (or none): refused at the handshake.
        for cookie in (other, ''):
            with pytest.raises(socketio.exceptions.ConnectionError):
                await connect(server, victim, cookie)
        rep_socket = await connect(server, victim, rep)  # the rep's own browser: accepted

        # 2. From a socket legitimately connected to the other rep's own page, send the rep's page the
        #    messages its script would send to change the company and save: dropped.
        mine = await open_page(server, '/', other)
        intruder = await connect(server, mine, other)
        await intruder.emit('event', victim.event('field-company', 'update:value', 'Changed by intruder'))
        await intruder.emit('event', victim.event('save-contact', 'click'))
        await asyncio.sleep(1.0)
        assert company(server, lead_id) == 'Before'

        # 3. The same messages from the rep's own socket do save (the messages above were well formed).
        await rep_socket.emit('event', victim.event('field-company', 'update:value', 'Changed by the rep'))
        await rep_socket.emit('event', victim.event('save-contact', 'click'))
        for _ in range(300):  # a wait (30 s at most), not a speed check
            if company(server, lead_id) != 'Before':
                break
            await asyncio.sleep(0.1)
        await intruder.disconnect()
        await rep_socket.disconnect()
        return company(server, lead_id)

    assert in_thread(scenario) == 'Changed by the rep'


def test_after_logout_a_page_that_stays_saves_nothing(two_reps: Server) -> None:
    """A page of an ended session writes nothing even when its browser ignores the order to leave
    and sends the save anyway (the page was emptied, and the socket layer drops its messages)."""
    server, lead_id, rep = two_reps, two_reps.seeded['lead'], two_reps.seeded['rep']

    async def scenario() -> str:
        page = await open_page(server, f'/leads/{lead_id}', rep)
        sio = await connect(server, page, rep)
        await sio.emit('event', page.event('field-company', 'update:value', 'Typed before logout'))
        async with httpx.AsyncClient(cookies={COOKIE: rep}) as http:
            assert (await http.get(server.url('/logout'))).headers['location'] == '/login'
        await asyncio.sleep(0.5)
        await sio.emit('event', page.event('save-contact', 'click'))
        await asyncio.sleep(1.0)
        await sio.disconnect()
        return company(server, lead_id)

    assert in_thread(scenario) == 'Before'
