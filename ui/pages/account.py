"""Your account (`/account`): who you are, changing your password, notification preferences. Reached from the header's
user menu; after an admin's reset it is the only page the user can open until they change it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from store.models import UserRef

from ..components.notify_prefs import NotifyPrefsForm
from ..errors import clear_field_errors, message, show_field_errors
from ..i18n import t
from ..marks import tid
from ..session import page_session_id, require_user
from ..theme import frame


class PasswordForm:
    """Current password, the new one twice. The repeat is checked here (it never reaches core);
    the rules for the new one are core's, the same as everywhere a password is set."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        with tid(ui.card().classes('w-full max-w-md'), 'password-card'):
            ui.label(t('account.change_password')).classes('text-h6')
            if self.user.must_change_password:
                tid(ui.label(t('account.must_change')).classes('text-orange-10 text-bold'), 'must-change')
            self.fields = {
                'current_password': tid(ui.input(t('account.current_password'), password=True,
                                                 password_toggle_button=True)
                                        .props('autocomplete=current-password').classes('w-full'),
                                        'current-password'),
                'new_password': tid(ui.input(t('account.new_password'), password=True, password_toggle_button=True)
                                    .props('autocomplete=new-password').classes('w-full'), 'new-password'),
                'repeat_password': tid(ui.input(t('account.repeat_password'), password=True)
                                       .props('autocomplete=new-password').classes('w-full'), 'repeat-password'),
            }
            ui.label(t('account.password_rules')).classes('text-sm text-grey-7')
            self.fields['repeat_password'].on('keydown.enter', self.submit)
            tid(ui.button(t('account.change_password'), on_click=self.submit).classes('w-full'), 'change-password')

    async def submit(self) -> None:
        clear_field_errors(self.fields)
        current, new = self.fields['current_password'].value or '', self.fields['new_password'].value or ''
        if new != (self.fields['repeat_password'].value or ''):
            self.fields['repeat_password'].error = t('err.field.mismatch')
            return
        try:
            await run.io_bound(self.desk.team.change_password, self.user, current, new, keep=page_session_id())
        except ValidationFailed as e:
            show_field_errors(e, self.fields)
            return
        except DomainError as e:  # locked out after wrong current passwords, or deactivated meanwhile
            ui.notify(message(e), type='negative')
            return
        # this browser session (every tab of it) stays signed in; every other session has ended
        for field in self.fields.values():
            field.set_value('')
        ui.notify(t('account.password_changed'), type='positive')
        if self.user.must_change_password:
            ui.navigate.to('/')


def register(desk: Desk) -> None:
    @ui.page('/account')
    def account_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request, account_page=True)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('account.title'), user):
            ui.label(t('account.title')).classes('text-h5')
            with tid(ui.card().classes('w-full max-w-md gap-1'), 'account-card'):
                ui.label(user.name).classes('text-bold')
                ui.label(user.email).classes('text-grey-8 break-all')
                ui.label(t(f'role.{user.role}')).classes('text-grey-8')
            PasswordForm(desk, user).build()
            NotifyPrefsForm(desk, user, desk.team.notify_settings(user)).build()
        return None
