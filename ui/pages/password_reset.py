"""Password reset by email (core/accounts/password_reset.py): `/forgot` asks for a link, `/reset`
sets the new password with the link's token. Shown only when SMTP and the public address are set
up; the answer to "send me a link" is the same whether or not the address has an account."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.desk import Desk

from ..errors import attempt
from ..i18n import t
from ..marks import tid
from ..session import remember_language
from ..theme import frame


def register(desk: Desk) -> None:
    @ui.page('/forgot')
    def forgot_page(request: Request) -> RedirectResponse | None:
        remember_language(request)
        if not desk.password_reset.available():
            return RedirectResponse('/login')
        with frame(desk, t('auth.forgot.title'), None), ui.card().classes('w-full max-w-sm mx-auto mt-8'):
            ui.label(t('auth.forgot.title')).classes('text-h6')
            ui.label(t('auth.forgot.help')).classes('text-sm text-grey-7')
            email = tid(ui.input(t('field.email')).props('type=email maxlength=254').classes('w-full'),
                        'forgot-email')
            done = tid(ui.label('').classes('text-positive'), 'forgot-sent')

            async def send() -> None:
                address = (email.value or '').strip()
                if not address:
                    email.error = t('err.field.required')
                    return
                email.error = None
                await run.io_bound(desk.password_reset.request, address)
                done.set_text(t('auth.forgot.sent'))

            email.on('keydown.enter', send)
            tid(ui.button(t('auth.forgot.send'), on_click=send).classes('w-full'), 'forgot-submit')
            ui.link(t('auth.back_to_login'), '/login').classes('text-sm')
        return None

    @ui.page('/reset')
    def reset_page(request: Request, token: str = '') -> None:
        remember_language(request)
        with frame(desk, t('auth.reset.title'), None), ui.card().classes('w-full max-w-sm mx-auto mt-8'):
            ui.label(t('auth.reset.title')).classes('text-h6')
            fields = {'password': tid(ui.input(t('field.password'), password=True, password_toggle_button=True)
                                      .props('autocomplete=new-password maxlength=200').classes('w-full'),
                                      'reset-password')}

            async def save() -> None:
                password = fields['password'].value or ''
                if await attempt(lambda: desk.password_reset.reset(token, password), fields):
                    ui.notify(t('auth.reset.done'), type='positive')
                    ui.navigate.to('/login')

            fields['password'].on('keydown.enter', save)
            tid(ui.button(t('auth.reset.save'), on_click=save).classes('w-full'), 'reset-submit')
            ui.link(t('auth.back_to_login'), '/login').classes('text-sm')
