"""Who is using this browser, and which pages belong to which browser session.

The browser holds one cookie, `ld_session`: a random token (HttpOnly, SameSite=Lax) set by an
HTTP response at login (`/session/start`) and cleared by `/logout`. Every page resolves it
against the database (core/accounts/sessions.py) — nothing about the user is kept per browser on the
server, so concurrent requests of one browser cannot race and anonymous visitors cost no
storage at all (their language comes from Accept-Language or the `ld_lang` cookie).

A page belongs to the browser session that opened it:
- its socket is accepted only with that page's session cookie (`_same_browser_session`, at the
  handshake), and a socket event is honoured only from a socket handshaken to that very page
  (`guard_socket_events`): another browser — or another session of the same browser — cannot
  drive it even knowing its client id;
- when the session ends (logout in another tab, password change, expiry, deactivation) every
  open page of it is emptied and sent to the login page, and the socket layer drops whatever
  its browser still sends (`OpenPages`).
"""

from __future__ import annotations

import hmac
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import Client, app, background_tasks, core, run, ui
from starlette.requests import cookie_parser

from core.accounts.sessions import SignedIn
from core.desk import Desk
from store.models import UserRef

from .i18n import LANGUAGES, from_accept_language, set_page_language

log = logging.getLogger('leaddesk.session')

COOKIE = 'ld_session'
LANG_COOKIE = 'ld_lang'
SESSION_KEY = 'session_id'
"""Where a page keeps the id of the browser session that opened it (`app.storage.client`)."""
ENDED_KEY = 'session_ended'
"""Set on a page once it has been emptied and sent on, so it is sent only once."""
UNCONNECTED_SECONDS = 15.0
"""A page whose socket has not connected by then is deleted (NiceGUI's own sweep waits 60 s)."""
MAX_UNCONNECTED = 20
"""At most this many pages wait for their socket; beyond, the oldest go first (after BUILD_SECONDS).
A flood of plain GETs (a crawler, a probe, `curl`) so holds a bounded number of pages whatever its
rate, while a browser on a slow first visit still gets UNCONNECTED_SECONDS when nobody floods. A
browser whose page was deleted before its socket came reloads once (NiceGUI's script does) — the
scripts are cached by then — and connects."""
BUILD_SECONDS = 0.25
"""Never delete a page younger than this: its response may still be on its way (our page builders
are synchronous; NiceGUI answers right after them, in the same turn of the event loop)."""
PRUNE_SECONDS = 0.5
ENDED_MEMORY_SECONDS = 3600.0
"""How long this process remembers an ended session id for the socket guard (a page is built,
connected or deleted within seconds, so an hour is ample)."""


# ----- the language ---------------------------------------------------------------------------------

def page_language(request: Request, user: UserRef | None = None) -> str:
    """The user's saved language, else the switch's cookie, else the browser's."""
    if user is not None and user.language in LANGUAGES:
        return user.language
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get('accept-language'))


def remember_language(request: Request) -> None:
    """Fix the page's language for a visitor not signed in (nothing is stored for them)."""
    set_page_language(page_language(request))


# ----- who is signed in -----------------------------------------------------------------------------

def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE)


def signed_in(desk: Desk, request: Request) -> SignedIn | None:
    """The browser session behind the request's cookie (one indexed read), or None."""
    return desk.sessions.resolve(session_token(request))


ACCOUNT_PAGE = '/account'
"""Where a user whose password is an admin's temporary one is sent from every page."""


def require_user(desk: Desk, request: Request, *, account_page: bool = False) -> UserRef | RedirectResponse:
    """The signed-in user, or a redirect to setup (empty database) or login. Binds the page
    being built to its browser session (language, live end of the session). A user who must
    change their password is sent to the account page from every other page: no page builds,
    so none of its handlers exist for them (`account_page`: the one page that is allowed)."""
    found = signed_in(desk, request)
    if found is not None:
        if found.user.must_change_password and not account_page:
            return RedirectResponse(ACCOUNT_PAGE)
        set_page_language(page_language(request, found.user))
        PAGES.bind(ui.context.client, found)
        return found.user
    remember_language(request)
    if desk.team.needs_setup():
        return RedirectResponse('/setup')
    target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
    return RedirectResponse(f'/login?next={quote(target, safe="")}')


def page_session_id() -> int | None:
    """The id of the browser session the current page belongs to (e.g. the one a password
    change keeps: `desk.team.end_sessions(user.id, keep=page_session_id())`)."""
    value = app.storage.client.get(SESSION_KEY)
    return value if isinstance(value, int) else None


# ----- open pages of each session --------------------------------------------------------------------

class OpenPages:
    """This process's connected pages, by browser session; ends them when their session ends.

    A page joins when its socket connects (a never-connected page holds no entry) and leaves when
    NiceGUI deletes it. `ended` remembers recently ended sessions for the socket guard, so a
    click racing the end of its session — or arriving from a page whose socket connected just
    after — is dropped rather than run."""

    def __init__(self) -> None:
        self.desk: Desk | None = None
        self.pages: dict[int, dict[str, tuple[Client, UserRef]]] = {}
        self.ended: dict[int, float] = {}

    def install(self, desk: Desk) -> None:
        """Once per app (run.py builds a new one per test): listen to the desk's events."""
        self.desk = desk
        self.pages.clear()
        self.ended.clear()
        desk.events.sessions_ended.subscribe(self._on_sessions_ended)
        desk.events.users_changed.subscribe(self._on_users_changed)

    def bind(self, client: Client, session: SignedIn) -> None:
        """The page being built belongs to `session`: it joins on connect, leaves on delete."""
        client.storage[SESSION_KEY] = session.id

        def connected() -> None:
            if client.is_deleted or client.id in self.pages.get(session.id, {}):
                return
            self.pages.setdefault(session.id, {})[client.id] = (client, session.user)
            if self.is_ended(session.id):
                self._end(client)
            else:  # the session may have ended between the GET and this socket: look once
                background_tasks.create(self._recheck(session.id, [client.id]), name='recheck session')

        client.on_connect(connected)
        client.on_delete(lambda: self._forget(session.id, client.id))

    def is_ended(self, session_id: int) -> bool:
        return session_id in self.ended

    def page_is_ended(self, client: Client) -> bool:
        session_id = client.storage.get(SESSION_KEY)
        return isinstance(session_id, int) and self.is_ended(session_id)

    def count(self) -> int:
        return sum(len(pages) for pages in self.pages.values())

    def _forget(self, session_id: int, client_id: str) -> None:
        pages = self.pages.get(session_id)
        if pages is not None:
            pages.pop(client_id, None)
            if not pages:
                del self.pages[session_id]

    def _on_sessions_ended(self, session_ids: list[int]) -> None:
        now = time.monotonic()
        for session_id, at in list(self.ended.items()):
            if at < now - ENDED_MEMORY_SECONDS:
                del self.ended[session_id]
        for session_id in session_ids:
            self.ended[session_id] = now
            for client, _user in list(self.pages.get(session_id, {}).values()):
                self._end(client)

    async def _on_users_changed(self) -> None:
        """Deactivation, a role change or "log out everywhere": each open session is read once."""
        for session_id in list(self.pages):
            await self._recheck(session_id, list(self.pages.get(session_id, {})))

    async def _recheck(self, session_id: int, client_ids: list[str]) -> None:
        desk = self.desk
        if desk is None:
            return
        now = await run.io_bound(desk.sessions.session_user, session_id)
        for client_id in client_ids:
            page = self.pages.get(session_id, {}).get(client_id)
            if page is None:
                continue
            client, user = page
            if now is None:
                self._end(client)
            elif now.role != user.role:  # its handlers hold the old role: rebuild it for the new one
                self._end(client, to=client.request.url.path)

    def _end(self, client: Client, *, to: str = '/login') -> None:
        """Empty the page — every handler a crafted socket message could still reach goes with
        its element — and send the browser on, once: a deactivation ends the sessions and then
        rechecks the users, and a second navigation would abort the browser's first one."""
        if client.is_deleted or client.storage.get(ENDED_KEY):
            return
        client.storage[ENDED_KEY] = True
        session_id = client.storage.get(SESSION_KEY)
        if isinstance(session_id, int):
            self._forget(session_id, client.id)
        with client:
            ui.navigate.to(to)
        client.remove_all_elements()


PAGES = OpenPages()


# ----- the socket layer ----------------------------------------------------------------------------

def _same_browser_session(client: Client, environ: dict[str, Any] | None) -> bool:
    """Whether a socket comes from the browser session that opened the page: the session cookie
    of the socket's handshake equals the page request's (both absent for a visitor)."""
    if environ is None:  # NiceGUI's simulated User in tests: no socket, no cookies
        return True
    try:
        page = client.request.cookies.get(COOKIE) or ''
    except RuntimeError:  # a client without a request: not a page of ours
        return False
    socket = cookie_parser(environ.get('HTTP_COOKIE') or '').get(COOKIE) or ''
    return hmac.compare_digest(page.encode(), socket.encode())


def bind_sockets_to_sessions() -> None:
    """Refuse a socket handshake whose session cookie differs from its page's.

    `Client.accept_handshake` is where NiceGUI itself decides whether a handshake may proceed
    (a replayed socket id, a foreign client id in the query, a second tab id), for the implicit
    handshake on connect and the explicit one alike; we add our condition in front of it. A
    refused browser reloads the page and gets one built for its current cookie."""
    original = getattr(Client.accept_handshake, '__wrapped__', Client.accept_handshake)

    def accept_handshake(self: Client, socket_id: str, tab_id: str, environ: dict[str, Any] | None) -> bool:
        if not _same_browser_session(self, environ):
            log.warning('socket refused: its session cookie is not the one page %s was opened with', self.id)
            return False
        return original(self, socket_id, tab_id, environ)

    accept_handshake.__wrapped__ = original  # type: ignore[attr-defined]
    Client.accept_handshake = accept_handshake  # type: ignore[method-assign]


GUARDED = ('event', 'javascript_response', 'ack', 'log')
"""The socket messages that name a client id: NiceGUI routes them by that id alone."""


def guard_socket_events() -> None:
    """Honour a page's socket messages only from a socket handshaken to that page (it joined the
    page's room) and only while the page's session is open; anything else is dropped.

    NiceGUI's handlers take the client id from the message and ignore which socket sent it, so a
    socket connected for one page could drive another page it learnt the id of. We wrap the
    registered handlers (python-socketio's table) rather than copy them."""
    handlers = core.sio.handlers.setdefault('/', {})
    for name in GUARDED:
        handler = handlers.get(name)
        if handler is None:
            continue
        original = getattr(handler, '__wrapped__', handler)
        handlers[name] = _guarded(original)


def _guarded(original: Callable[[str, dict], Any]) -> Callable[[str, dict], Any]:
    def allowed(sid: str, msg: Any) -> bool:
        client = Client.instances.get(msg.get('client_id', '')) if isinstance(msg, dict) else None
        if client is None:
            return False
        if client.id not in core.sio.rooms(sid):
            log.warning('socket message dropped: socket %s was not handshaken to page %s', sid, client.id)
            return False
        return not PAGES.page_is_ended(client)

    if inspect.iscoroutinefunction(original):
        async def guarded_async(sid: str, msg: dict) -> Any:
            return await original(sid, msg) if allowed(sid, msg) else None
        guarded: Callable[[str, dict], Any] = guarded_async
    else:
        def guarded_sync(sid: str, msg: dict) -> Any:
            return original(sid, msg) if allowed(sid, msg) else None
        guarded = guarded_sync
    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    return guarded


def prune_unconnected() -> None:
    """Delete pages whose socket never connected: past UNCONNECTED_SECONDS, or the oldest beyond
    MAX_UNCONNECTED. `environ` is set at a page's first handshake and kept, so a page whose socket
    dropped and may reconnect (NiceGUI deletes those itself after its reconnect timeout) is left."""
    now = time.time()
    waiting = sorted((c for c in list(Client.instances.values()) if c.environ is None and not c.is_deleted),
                     key=lambda c: c.created)
    excess = len(waiting) - MAX_UNCONNECTED
    for index, client in enumerate(waiting):
        age = now - client.created
        if age > UNCONNECTED_SECONDS or (index < excess and age > BUILD_SECONDS):
            client.delete()


def install(desk: Desk) -> None:
    """Wire sessions into the app: the page registry, the socket guards and the quick sweep."""
    PAGES.install(desk)
    bind_sockets_to_sessions()
    guard_socket_events()
    app.timer(PRUNE_SECONDS, prune_unconnected)
