"""Settings' email section (admins): the SMTP server, the password (never shown back: only whether one
is stored, or that the environment gives it), the sender; a "send test" button that queues a test
message to the admin and follows it until the mailer has tried it; the recent messages and how they went."""

from __future__ import annotations

import asyncio

from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.integrations.smtp import MessageView, SmtpView, TlsMode
from store.models import DeliveryStatus, UserRef

from ..errors import attempt, message
from ..format import when
from ..i18n import t
from ..marks import tid

STATUS_COLORS = {DeliveryStatus.PENDING: 'orange', DeliveryStatus.DELIVERED: 'positive',
                 DeliveryStatus.FAILED: 'negative', DeliveryStatus.CANCELLED: 'grey'}
FOLLOW_SECONDS = 30.0
"""How long the test button waits for the mailer's first attempt before saying it is still waiting."""


class EmailPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    @ui.refreshable_method
    def build(self) -> None:
        view = self.desk.mail.settings(self.user)
        ui.label(t('email.title')).classes('text-h6')
        ui.label(t('email.help')).classes('text-sm text-grey-7')
        wide = 'w-full sm:w-72'
        with ui.row().classes('w-full items-start gap-x-4 gap-y-1'):
            self.fields = {
                'host': tid(ui.input(t('email.host'), value=view.host).props('maxlength=253').classes(wide),
                            'smtp-host'),
                'port': tid(ui.input(t('email.port'), value=str(view.port)).props('inputmode=numeric maxlength=5')
                            .classes('w-24'), 'smtp-port'),
                'tls': tid(ui.select({m.value: t(f'email.tls.{m.value}') for m in TlsMode}, label=t('email.tls'),
                                     value=view.tls.value).classes('w-56'), 'smtp-tls'),
            }
        with ui.row().classes('w-full items-start gap-x-4 gap-y-1'):
            self.fields['username'] = tid(ui.input(t('email.username'), value=view.username)
                                          .props('maxlength=254 autocomplete=off').classes(wide), 'smtp-username')
            self.fields['password'] = tid(ui.input(t('email.password'), password=True, password_toggle_button=True)
                                          .props('maxlength=500 autocomplete=new-password')
                                          .classes(wide), 'smtp-password')
        self._password_note(view)
        with ui.row().classes('w-full items-start gap-x-4 gap-y-1'):
            self.fields['sender_address'] = tid(ui.input(t('email.sender_address'), value=view.sender_address)
                                                .props('maxlength=254 type=email').classes(wide), 'smtp-sender')
            self.fields['sender_name'] = tid(ui.input(t('email.sender_name'), value=view.sender_name)
                                             .props('maxlength=100').classes(wide), 'smtp-sender-name')
        with ui.row().classes('w-full items-center gap-2'):
            tid(ui.button(t('common.save'), on_click=self.save), 'smtp-save')
            self.test_button = tid(ui.button(t('email.send_test'), icon='send', on_click=self.send_test)
                                   .props('outline'), 'smtp-test')
            self.test_button.set_enabled(view.configured)
        self.outcome = tid(ui.label('').classes('text-sm'), 'smtp-test-outcome')
        self.log()

    def _password_note(self, view: SmtpView) -> None:
        self.clear_password = None
        if view.password_from_env:
            tid(ui.label(t('email.password_env')).classes('text-sm text-grey-7'), 'smtp-password-env')
        elif view.password_stored:
            with ui.row().classes('items-center gap-2'):
                tid(ui.label(t('email.password_stored')).classes('text-sm text-grey-7'), 'smtp-password-stored')
                self.clear_password = tid(ui.checkbox(t('email.clear_password')), 'smtp-clear-password')

    @ui.refreshable_method
    def log(self) -> None:
        recent = self.desk.mail.recent(self.user)[:10]
        ui.label(t('email.log')).classes('font-bold mt-2')
        if not recent:
            tid(ui.label(t('email.log_none')).classes('text-sm text-grey-7'), 'smtp-log-empty')
        for m in recent:
            self._log_row(m)

    def _log_row(self, m: MessageView) -> None:
        with tid(ui.row().classes('w-full items-center gap-x-3 gap-y-0 py-1')
                 .style('border-bottom: 1px solid var(--ld-border)'), f'smtp-log-{m.id}'):
            ui.label(when(m.created_at)).classes('text-sm text-grey-7')
            ui.label(t(f'email.kind.{m.kind}')).classes('text-sm')
            ui.label(m.to_address).classes('text-sm break-all')
            ui.badge(t(f'webhook.status.{m.status}'), color=STATUS_COLORS.get(DeliveryStatus(m.status), 'grey'))
            if m.error and m.status != DeliveryStatus.DELIVERED:
                ui.label(m.error).classes('text-xs text-negative break-all w-full')

    async def save(self) -> None:
        values: dict[str, object] = {k: v.value for k, v in self.fields.items()}
        values['clear_password'] = bool(self.clear_password and self.clear_password.value)
        if await attempt(lambda: self.desk.mail.save(self.user, values), self.fields):
            ui.notify(t('common.saved'), type='positive')
            self.build.refresh()

    async def send_test(self) -> None:
        """Queue the test message, then follow it: the mailer (not this handler) sends it."""
        try:
            message_id = await run.io_bound(self.desk.mail.send_test, self.user)
        except DomainError as e:
            ui.notify(message(e) if not isinstance(e, ValidationFailed) else t('err.field.required'), type='negative')
            return
        self.test_button.set_enabled(False)
        view = await run.io_bound(self.desk.mail.message, self.user, message_id)
        self.outcome.set_text(t('email.test_queued', address=view.to_address))
        self.outcome.classes(replace='text-sm text-grey-8')
        waited = 0.0
        while view.status == DeliveryStatus.PENDING and not view.attempts and waited < FOLLOW_SECONDS:
            await asyncio.sleep(0.5)
            waited += 0.5
            view = await run.io_bound(self.desk.mail.message, self.user, message_id)
        self.test_button.set_enabled(True)
        if view.status == DeliveryStatus.DELIVERED:
            self.outcome.set_text(t('email.test_sent', address=view.to_address))
            self.outcome.classes(replace='text-sm text-positive')
        elif view.status == DeliveryStatus.PENDING:
            self.outcome.set_text(t('email.test_waiting', error=view.error or '…'))
            self.outcome.classes(replace='text-sm text-orange-9')
        else:
            self.outcome.set_text(t('email.test_failed', error=view.error or view.status))
            self.outcome.classes(replace='text-sm text-negative')
        self.log.refresh()
