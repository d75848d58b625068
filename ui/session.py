"""Who is using this browser: the user id and session version kept in NiceGUI's signed
per-browser storage, checked against the database on every page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui

from core.desk import Desk
from store.models import UserRef

from .i18n import LANGUAGES, from_accept_language


def remember_language(request: Request) -> None:
    if app.storage.user.get('lang') not in LANGUAGES:
        app.storage.user['lang'] = from_accept_language(request.headers.get('accept-language'))


def sign_in(user: UserRef, session_version: int) -> None:
    app.storage.user.update(user_id=user.id, sv=session_version)
    if user.language in LANGUAGES:
        app.storage.user['lang'] = user.language


def sign_out() -> None:
    app.storage.user.pop('user_id', None)
    app.storage.user.pop('sv', None)


def current_user(desk: Desk) -> UserRef | None:
    user_id, version = app.storage.user.get('user_id'), app.storage.user.get('sv')
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    return desk.team.session_user(user_id, version)


ACCOUNT_PAGE = '/account'
"""Where a user whose password is an admin's temporary one is sent from every page."""


def require_user(desk: Desk, request: Request, *, account_page: bool = False) -> UserRef | RedirectResponse:
    """The signed-in user, or a redirect to setup (empty database) or login. A user who must
    change their password is sent to the account page from every other page: no page builds,
    so none of its handlers exist for them (`account_page`: the one page that is allowed)."""
    remember_language(request)
    user = current_user(desk)
    if user is not None:
        if user.must_change_password and not account_page:
            return RedirectResponse(ACCOUNT_PAGE)
        return user
    if desk.team.needs_setup():
        return RedirectResponse('/setup')
    target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
    return RedirectResponse(f'/login?next={quote(target, safe="")}')


def end_when_revoked(desk: Desk, user: UserRef) -> None:
    """Deactivation, a role change or "log out everywhere" ends this page at once, not at the
    next load: its handlers hold the user as it was, so the page's elements (and with them
    every handler a crafted websocket message could still reach) are removed and the browser
    is sent to login, or to the same page rebuilt for the new role.

    The version is read from the browser's storage at each check, not when the page was built: a
    password change re-signs this browser with a new version (ui/pages/account.py), and its own
    tabs must stay while the user's other browsers end."""
    storage = app.storage.user
    client = ui.context.client

    async def check() -> None:
        if client.is_deleted:
            return
        while True:  # again if this browser was re-signed meanwhile (a password change in this tab)
            user_id, version = storage.get('user_id'), storage.get('sv')
            now = await run.io_bound(desk.team.session_user, user_id, version) \
                if isinstance(user_id, int) and isinstance(version, int) else None
            if (storage.get('user_id'), storage.get('sv')) == (user_id, version):
                break
        if now is not None and now.id == user.id and now.role == user.role:
            return
        with client:
            ui.navigate.to('/login' if now is None else client.request.url.path if client.request else '/')
        client.remove_all_elements()

    desk.events.users_changed.subscribe(check)
