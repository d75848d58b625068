"""First-run setup, login and logout."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError, ValidationFailed

from ..errors import clear_field_errors, message, show_field_errors
from ..i18n import t
from ..marks import tid
from ..session import current_user, remember_language, sign_in, sign_out
from ..theme import frame


def _safe_next(target: str | None) -> str:
    """Only local paths: a crafted ?next= must not send the user elsewhere. Browsers drop tabs
    and newlines from a URL, so `/<TAB>/evil.example` would become `//evil.example`: any
    control character makes the target home instead."""
    path = unquote(target or '/')
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in path):
        return '/'
    return path if path.startswith('/') and not path.startswith('//') and '\\' not in path else '/'


def register(desk: Desk, *, demo: bool) -> None:
    @ui.page('/setup')
    def setup_page(request: Request) -> RedirectResponse | None:
        remember_language(request)
        if not desk.team.needs_setup():
            return RedirectResponse('/login')
        with frame(desk, t('setup.title'), None), ui.card().classes('w-96 mx-auto mt-8'):
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
                sign_in(user, 1)
                ui.navigate.to('/')

            tid(ui.button(t('setup.create'), on_click=create).classes('w-full'), 'setup-submit')
        return None

    @ui.page('/login')
    def login_page(request: Request, next: str | None = None) -> RedirectResponse | None:
        remember_language(request)
        if desk.team.needs_setup():
            return RedirectResponse('/setup')
        if current_user(desk) is not None:
            return RedirectResponse(_safe_next(next))
        with frame(desk, t('login.title'), None), ui.card().classes('w-96 mx-auto mt-8'):
            ui.label(t('login.title')).classes('text-h6')
            email = tid(ui.input(t('field.email')).classes('w-full'), 'login-email')
            password = tid(ui.input(t('field.password'), password=True).classes('w-full'), 'login-password')
            error = tid(ui.label('').classes('text-negative'), 'login-error')

            async def submit() -> None:
                try:
                    user, version = await run.io_bound(desk.team.login, email.value or '', password.value or '')
                except DomainError as e:
                    error.set_text(message(e))
                    return
                sign_in(user, version)
                ui.navigate.to(_safe_next(next))

            password.on('keydown.enter', submit)
            tid(ui.button(t('login.submit'), on_click=submit).classes('w-full'), 'login-submit')
            if demo:
                from core.demo import demo_logins

                with ui.expansion(t('login.demo_accounts'), value=True).classes('w-full'):
                    for address, role, secret in demo_logins():
                        ui.label(f'{t("role." + role)}: {address} / {secret}').classes('text-sm')
        return None

    @ui.page('/logout')
    def logout_page() -> RedirectResponse:
        sign_out()
        return RedirectResponse('/login')
