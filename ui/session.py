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


def require_user(desk: Desk, request: Request) -> UserRef | RedirectResponse:
    """The signed-in user, or a redirect to setup (empty database) or login."""
    remember_language(request)
    user = current_user(desk)
    if user is not None:
        return user
    if desk.team.needs_setup():
        return RedirectResponse('/setup')
    target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
    return RedirectResponse(f'/login?next={quote(target, safe="")}')


def end_when_revoked(desk: Desk, user: UserRef) -> None:
    """Deactivation, a role change or "log out everywhere" ends this page at once, not at the
    next load: its handlers hold the user as it was, so the page's elements (and with them
    every handler a crafted websocket message could still reach) are removed and the browser
    is sent to login, or to the same page rebuilt for the new role."""
    user_id, version = app.storage.user.get('user_id'), app.storage.user.get('sv')
    client = ui.context.client

    async def check() -> None:
        if client.is_deleted:
            return
        now = await run.io_bound(desk.team.session_user, user_id, version) \
            if isinstance(user_id, int) and isinstance(version, int) else None
        if now is not None and now.role == user.role:
            return
        with client:
            ui.navigate.to('/login' if now is None else client.request.url.path if client.request else '/')
        client.remove_all_elements()

    desk.events.users_changed.subscribe(check)
