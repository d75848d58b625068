"""First-run setup, login and logout.

The password is checked in the login page (a websocket handler); the session cookie can only be
set by an HTTP response, so the page then navigates to `/session/start?ticket=…`, which swaps the
one-time ticket for a new session, sets the cookie and redirects to `next`. `/logout` ends the
session and clears the cookie. Both refuse a request another site started (`Sec-Fetch-Site`):
nobody can be signed in to someone else's account or signed out by a link elsewhere.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui

from core.desk import Desk
from core.errors import DomainError, ValidationFailed

from ..errors import clear_field_errors, message, show_field_errors
from ..i18n import LANGUAGES, t
from ..marks import tid
from ..session import COOKIE, LANG_COOKIE, remember_language, session_token, signed_in
from ..theme import frame

YEAR = 365 * 24 * 3600


def _safe_next(target: str | None) -> str:
    """Only local paths: a crafted ?next= must not send the user elsewhere. Browsers drop tabs
    and newlines from a URL, so `/<TAB>/evil.example` would become `//evil.example`: any
    control character makes the target home instead."""
    path = unquote(target or '/')
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in path):
        return '/'
    return path if path.startswith('/') and not path.startswith('//') and '\\' not in path else '/'


def _same_origin(request: Request) -> bool:
    """Started by one of our own pages, typed into the address bar or opened from a bookmark
    (`none`), or by a client that sends no Fetch Metadata (not a browser, or a very old one). A
    link or form on another site (or a sibling subdomain) says `cross-site` / `same-site`."""
    return request.headers.get('sec-fetch-site', 'same-origin') in ('same-origin', 'none')


def _start_url(ticket: str, target: str) -> str:
    return f'/session/start?ticket={quote(ticket, safe="")}&next={quote(target, safe="")}'


def _cookie_args(request: Request) -> dict:
    return {'httponly': True, 'samesite': 'lax', 'secure': request.url.scheme == 'https', 'path': '/'}


def register(desk: Desk, *, demo: bool) -> None:
    @app.get('/session/start', include_in_schema=False)
    async def start_session(request: Request, ticket: str = '', next: str | None = None) -> RedirectResponse:
        """The login's second half: a new session (new id, new token) for a fresh ticket."""
        if not _same_origin(request):
            return RedirectResponse('/login', status_code=303)
        started = await run.io_bound(desk.sessions.start, ticket, request.headers.get('user-agent'))
        if started is None:  # used, late or forged
            return RedirectResponse('/login', status_code=303)
        token, user = started
        if previous := session_token(request):  # this browser's earlier session is over: its tabs end
            await run.io_bound(desk.sessions.logout, previous)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE, token, max_age=int(desk.ctx.settings.session_days * 24 * 3600),
                            **_cookie_args(request))
        if user.language in LANGUAGES:  # the login page after a logout keeps the user's language
            response.set_cookie(LANG_COOKIE, user.language, max_age=YEAR, **_cookie_args(request))
        return response

    @app.get('/logout', include_in_schema=False)
    async def logout(request: Request) -> RedirectResponse:
        """End this browser's session (every open tab of it goes to the login page) and clear the
        cookie. A logout link on another site is ignored."""
        if not _same_origin(request):
            return RedirectResponse('/', status_code=303)
        await run.io_bound(desk.sessions.logout, session_token(request))
        response = RedirectResponse('/login', status_code=303)
        response.delete_cookie(COOKIE, **_cookie_args(request))
        return response

    @app.get('/language', include_in_schema=False)
    def language(request: Request, to: str = '', next: str | None = None) -> RedirectResponse:
        """The header's language switch for this browser (a plain cookie: nothing stored here)."""
        response = RedirectResponse(_safe_next(next), status_code=303)
        if to in LANGUAGES:
            response.set_cookie(LANG_COOKIE, to, max_age=YEAR, **_cookie_args(request))
        return response

    @ui.page('/setup')
    def setup_page(request: Request) -> RedirectResponse | None:
        remember_language(request)
        if not desk.team.needs_setup():
            return RedirectResponse('/login')
        with frame(desk, t('setup.title'), None), ui.card().classes('w-full max-w-sm mx-auto mt-8'):
            ui.label(t('setup.title')).classes('text-h6')
            ui.label(t('setup.intro')).classes('text-grey-7')
            fields = {
                'name': tid(ui.input(t('field.name')).classes('w-full'), 'setup-name'),
                'email': tid(ui.input(t('field.email')).classes('w-full'), 'setup-email'),
                'password': tid(ui.input(t('field.password'), password=True, password_toggle_button=True)
                                .classes('w-full'), 'setup-password'),
            }

            async def create() -> None:
                clear_field_errors(fields)
                try:
                    user = await run.io_bound(desk.team.create_first_admin, email=fields['email'].value,
                                              name=fields['name'].value, password=fields['password'].value)
                except ValidationFailed as e:
                    show_field_errors(e, fields)
                    return
                except DomainError as e:
                    ui.notify(message(e), type='negative')
                    return
                _, ticket = await run.io_bound(desk.team.login, user.email, fields['password'].value,
                                               user_agent=request.headers.get('user-agent', ''))
                ui.navigate.to(_start_url(ticket, '/'))

            tid(ui.button(t('setup.create'), on_click=create).classes('w-full'), 'setup-submit')
        return None

    @ui.page('/login')
    def login_page(request: Request, next: str | None = None) -> RedirectResponse | None:
        remember_language(request)
        if desk.team.needs_setup():
            return RedirectResponse('/setup')
        if signed_in(desk, request) is not None:
            return RedirectResponse(_safe_next(next))
        with frame(desk, t('login.title'), None), ui.card().classes('w-full max-w-sm mx-auto mt-8'):
            ui.label(t('login.title')).classes('text-h6')
            email = tid(ui.input(t('field.email')).classes('w-full'), 'login-email')
            password = tid(ui.input(t('field.password'), password=True).classes('w-full'), 'login-password')
            error = tid(ui.label('').classes('text-negative'), 'login-error')

            async def submit() -> None:
                try:
                    _, ticket = await run.io_bound(desk.team.login, email.value or '', password.value or '',
                                                   user_agent=request.headers.get('user-agent', ''))
                except DomainError as e:
                    error.set_text(message(e))
                    return
                ui.navigate.to(_start_url(ticket, _safe_next(next)))

            password.on('keydown.enter', submit)
            tid(ui.button(t('login.submit'), on_click=submit).classes('w-full'), 'login-submit')
            if desk.password_reset.available():  # (SMTP and the public address set up)
                tid(ui.link(t('auth.forgot'), '/forgot').classes('text-sm'), 'login-forgot')
            if demo:
                from core.ops.demo_accounts import demo_logins

                with ui.expansion(t('login.demo_accounts'), value=True).classes('w-full'):
                    for address, role, secret in demo_logins():
                        ui.label(f'{t("role." + role)}: {address} / {secret}').classes('text-sm')
        return None
