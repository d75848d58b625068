"""The account page's notification preferences: which kinds of events notify, which also come by
email (only when an admin set up SMTP), live toasts on or off, quiet hours (no toasts; notifications
are still kept in the bell). Each change is saved at once through its own core action."""

from __future__ import annotations

from nicegui import ui

from core.accounts.notifications import NotifySettings
from core.desk import Desk
from store.models import NotifyKind, UserRef

from ..errors import attempt
from ..format import zone
from ..i18n import t
from ..marks import tid


def minutes(text: str | None) -> int | None:
    """'22:30' → 1350; empty → None; anything else → -1 (core refuses it)."""
    if not text:
        return None
    hours, _, mins = text.partition(':')
    if not (hours.isdigit() and mins.isdigit()):
        return -1
    return int(hours) * 60 + int(mins)


def clock_text(value: int | None) -> str:
    return '' if value is None else f'{value // 60:02d}:{value % 60:02d}'


class NotifyPrefsForm:
    def __init__(self, desk: Desk, user: UserRef, settings: NotifySettings) -> None:
        self.desk, self.user, self.settings = desk, user, settings

    def build(self) -> None:
        with tid(ui.card().classes('w-full max-w-md gap-2'), 'notify-prefs-card'):
            ui.label(t('prefs.title')).classes('text-h6')
            ui.label(t('prefs.kinds')).classes('text-sm text-grey-8')
            self.kinds = {kind: tid(ui.switch(t(f'prefs.kind.{kind}'), value=kind not in self.settings.muted,
                                              on_change=self.save_kinds), f'prefs-kind-{kind}')
                          for kind in NotifyKind}
            self.emailed: dict[NotifyKind, ui.switch] = {}
            if self.desk.mail.is_configured():
                ui.separator()
                ui.label(t('prefs.email')).classes('text-sm text-grey-8')
                ui.label(t('prefs.email_help', address=self.user.email)).classes('text-sm text-grey-7 break-all')
                self.emailed = {kind: tid(ui.switch(t(f'prefs.kind.{kind}'), value=kind in self.settings.emailed,
                                                    on_change=self.save_emailed), f'prefs-email-{kind}')
                                for kind in NotifyKind}
            ui.separator()
            self.toasts = tid(ui.switch(t('prefs.toasts'), value=self.settings.toasts, on_change=self.save_toasts),
                              'prefs-toasts')
            ui.label(t('prefs.quiet_hours')).classes('text-sm text-grey-8')
            with ui.row().classes('items-start gap-2 no-wrap'):
                self.fields = {
                    'quiet_start': tid(ui.input(t('prefs.quiet_start'), value=clock_text(self.settings.quiet_start))
                                       .props('type=time dense').classes('w-32'), 'prefs-quiet-start'),
                    'quiet_end': tid(ui.input(t('prefs.quiet_end'), value=clock_text(self.settings.quiet_end))
                                     .props('type=time dense').classes('w-32'), 'prefs-quiet-end'),
                }
                tid(ui.button(t('common.save'), on_click=self.save_quiet).props('flat'), 'prefs-quiet-save')
            ui.label(t('prefs.quiet_help', zone=zone().key)).classes('text-sm text-grey-7')

    async def save_kinds(self) -> None:
        muted = [str(kind) for kind, switch in self.kinds.items() if not switch.value]
        if await attempt(lambda: self.desk.team.set_muted_kinds(self.user, muted)):
            ui.notify(t('common.saved'), type='positive', position='bottom-right', timeout=2000)

    async def save_emailed(self) -> None:
        emailed = [str(kind) for kind, switch in self.emailed.items() if switch.value]
        if await attempt(lambda: self.desk.team.set_emailed_kinds(self.user, emailed)):
            ui.notify(t('common.saved'), type='positive', position='bottom-right', timeout=2000)

    async def save_toasts(self) -> None:
        on = bool(self.toasts.value)
        if await attempt(lambda: self.desk.team.set_toasts(self.user, on)):
            ui.notify(t('common.saved'), type='positive', position='bottom-right', timeout=2000)

    async def save_quiet(self) -> None:
        start, end = minutes(self.fields['quiet_start'].value), minutes(self.fields['quiet_end'].value)
        if await attempt(lambda: self.desk.team.set_quiet_hours(self.user, start, end), self.fields):
            ui.notify(t('common.saved'), type='positive', position='bottom-right', timeout=2000)
