"""Webhooks (`/webhooks`, admins): where domain events go (generic signed JSON, or WeCom /
DingTalk group robots), each with its events, an on/off switch, a "send test" button and its
delivery log (status, HTTP answer, attempts, next attempt; failed ones can be sent again)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.integrations.webhooks import EVENT_TYPES, FORMATS, LANGUAGES, DeliveryView, WebhookView
from store.models import DeliveryStatus, UserRef

from ..components.table import label_selection, table_region
from ..errors import attempt, clear_field_errors, message, show_field_errors
from ..format import when
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame

FIELD_MESSAGES = {('url', 'invalid'): 'webhook.err.url', ('events', 'required'): 'webhook.err.events'}
"""Field errors a generic message would leave unclear."""


def _formats() -> dict[str, str]:
    return {f: t(f'webhook.format.{f}') for f in FORMATS}


def _events() -> dict[str, str]:
    return {e: t(f'webhook.event.{e}') for e in EVENT_TYPES}


def _secret_hint(fmt: str) -> str:
    kind = 'json' if fmt == 'json' else 'dingtalk' if fmt.startswith('dingtalk') else 'wecom'
    return t(f'webhook.hint.secret.{kind}')


class WebhooksPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    @ui.refreshable_method
    def build(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('webhook.page.title')).classes('text-h5')
            tid(ui.button(t('webhook.add'), icon='add', on_click=lambda: self.edit(None)), 'webhook-add')
        ui.label(t('webhook.page.intro')).classes('text-sm text-grey-7')
        with ui.row().classes('w-full items-center gap-2'):
            tid(ui.switch(t('webhook.private.label'), value=self.desk.webhooks.allow_private(self.user),
                          on_change=lambda e: self.set_private(e.value)), 'webhook-allow-private')
            ui.label(t('webhook.private.hint')).classes('text-xs text-grey-7')
        hooks = self.desk.webhooks.webhooks(self.user)
        if not hooks:
            tid(ui.label(t('webhook.page.empty')).classes('text-grey-7'), 'webhook-empty')
        with tid(ui.column().classes('w-full gap-2'), 'webhooks'):
            for w in hooks:
                self.row(w)

    def row(self, w: WebhookView) -> None:
        with tid(ui.card().classes('w-full').props('flat bordered'), f'webhook-{w.id}'):
            with ui.row().classes('w-full items-center gap-3'):
                ui.label(w.name).classes('font-bold w-48 truncate')
                ui.label(t(f'webhook.format.{w.format}')).classes('w-56')
                tid(ui.switch(t('webhook.field.enabled'), value=w.is_enabled,
                              on_change=lambda e, wid=w.id: self.switch(wid, e.value)), f'webhook-enabled-{w.id}')
                ui.label(f'{t("webhook.col.pending")}: {w.pending}').classes('text-grey-8')
                failed = ui.label(f'{t("webhook.col.failed")}: {w.failed}')
                failed.classes('text-negative' if w.failed else 'text-grey-8')
                ui.space()
                tid(ui.button(t('webhook.send_test'), icon='send', on_click=lambda wid=w.id: self.send_test(wid))
                    .props('flat dense'), f'webhook-test-{w.id}')
                tid(ui.button(t('webhook.log'), icon='list', on_click=lambda wid=w.id, n=w.name: self.log(wid, n))
                    .props('flat dense'), f'webhook-log-{w.id}')
                tid(ui.button(t('webhook.edit'), icon='edit', on_click=lambda wid=w.id: self.edit(wid))
                    .props('flat dense'), f'webhook-edit-{w.id}')
                tid(ui.button(icon='delete', on_click=lambda v=w: self.remove(v))
                    .props(f'flat dense color=negative aria-label="{t("webhook.delete")}"')
                    .tooltip(t('webhook.delete')), f'webhook-delete-{w.id}')
            ui.label(w.url).classes('text-xs text-grey-7 break-all')
            ui.label(', '.join(t(f'webhook.event.{e}') for e in w.events)).classes('text-sm')

    # ----- add / edit ---------------------------------------------------------------------------------

    def edit(self, webhook_id: int | None) -> None:
        current = self.desk.webhooks.webhook(self.user, webhook_id) if webhook_id is not None else None
        with ui.dialog() as dialog, tid(ui.card().classes('w-[36rem] max-w-full'), 'webhook-dialog'):
            ui.label(t('webhook.edit') if current else t('webhook.add')).classes('text-h6')
            fields: dict[str, Any] = {
                'name': tid(ui.input(t('webhook.field.name'), value=current.name if current else '')
                            .props('maxlength=100').classes('w-full'), 'webhook-name'),
                'url': tid(ui.input(t('webhook.field.url'), value=current.url if current else '',
                                    placeholder='https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…')
                           .props('maxlength=1000').classes('w-full'), 'webhook-url'),
                'format': tid(ui.select(_formats(), value=current.format if current else 'json',
                                        label=t('webhook.field.format')).classes('w-full'), 'webhook-format'),
                'secret': tid(ui.input(t('webhook.field.secret'), value=current.secret if current else '',
                                       password=True, password_toggle_button=True)
                              .props('maxlength=200').classes('w-full'), 'webhook-secret'),
            }
            hint = tid(ui.label(_secret_hint(fields['format'].value)).classes('text-xs text-grey-7'),
                       'webhook-secret-hint')
            fields['format'].on_value_change(lambda e: hint.set_text(_secret_hint(e.value)))
            fields['events'] = tid(ui.select(_events(), multiple=True, value=list(current.events) if current else [],
                                             label=t('webhook.field.events')).props('use-chips').classes('w-full'),
                                   'webhook-events')
            fields['language'] = tid(ui.select({lang: lang for lang in LANGUAGES},
                                               value=current.language if current else 'zh-CN',
                                               label=t('webhook.field.language')).classes('w-40'), 'webhook-language')
            enabled = tid(ui.switch(t('webhook.field.enabled'), value=current.is_enabled if current else True),
                          'webhook-enabled')
            with ui.row().classes('w-full justify-end'):
                ui.button(t('webhook.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('webhook.save'), on_click=lambda: self.save(dialog, webhook_id, fields, enabled.value)),
                    'webhook-save')
        dialog.open()

    async def save(self, dialog: ui.dialog, webhook_id: int | None, fields: dict[str, Any], enabled: bool) -> None:
        values = {k: v.value for k, v in fields.items()} | {'is_enabled': enabled}
        clear_field_errors(fields)
        try:
            await run.io_bound(self.desk.webhooks.save, self.user, webhook_id, values)
        except ValidationFailed as e:
            show_field_errors(e, fields)
            for (name, code), key in FIELD_MESSAGES.items():
                if e.errors.get(name) == code:
                    fields[name].error = t(key)
            if e.errors.get('url') == 'private_target':
                fields['url'].error = t('webhook.err.private_target', reason=e.detail)
            ui.notify(t('webhook.fix_fields'), type='negative')
            return
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        dialog.close()
        ui.notify(t('webhook.saved'), type='positive')
        self.build.refresh()

    async def set_private(self, on: bool) -> None:
        if await attempt(lambda: self.desk.webhooks.set_allow_private(self.user, on)):
            ui.notify(t('common.saved'), type='positive')

    async def switch(self, webhook_id: int, on: bool) -> None:
        if await attempt(lambda: self.desk.webhooks.set_enabled(self.user, webhook_id, on)):
            ui.notify(t('common.saved'), type='positive')
            self.build.refresh()

    async def remove(self, w: WebhookView) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(t('webhook.delete_confirm', name=w.name))
            with ui.row().classes('w-full justify-end'):
                ui.button(t('webhook.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
                tid(ui.button(t('webhook.delete'), on_click=lambda: dialog.submit(True)).props('color=negative'),
                    'webhook-delete-confirm')
        if await dialog and await attempt(lambda: self.desk.webhooks.delete(self.user, w.id)):
            self.build.refresh()

    # ----- test and log -------------------------------------------------------------------------------

    async def send_test(self, webhook_id: int) -> None:
        try:
            delivery_id = await run.io_bound(self.desk.webhooks.queue_test, self.user, webhook_id)
            result = await self.desk.outbox.deliver(delivery_id or 0)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        if result is not None and result.status == DeliveryStatus.DELIVERED:
            ui.notify(t('webhook.test_sent', status=result.response_status), type='positive')
        else:
            error = (result.error if result else None) or t('webhook.status.pending')
            ui.notify(t('webhook.test_failed', error=error), type='warning')
        self.build.refresh()

    def log(self, webhook_id: int, name: str) -> None:
        with ui.dialog() as dialog, tid(ui.card().classes('w-[64rem] max-w-full'), 'webhook-log'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label(f'{t("webhook.log")} · {name}').classes('text-h6')
                refresh = ui.button(icon='refresh').props(f'flat dense aria-label="{t("preview.refresh")}"')
            box = ui.column().classes('w-full')

            def fill() -> None:
                box.clear()
                with box:
                    self._log_table(webhook_id, self.desk.webhooks.deliveries(self.user, webhook_id))

            refresh.on_click(fill)
            fill()
        dialog.open()

    def _log_table(self, webhook_id: int, found: list[DeliveryView]) -> None:
        if not found:
            tid(ui.label(t('webhook.log.empty')).classes('text-grey-7'), 'webhook-log-empty')
            return
        columns = [{'name': k, 'label': t(f'webhook.col.{k}'), 'field': k, 'align': 'left'}
                   for k in ('time', 'event', 'status', 'attempts', 'response', 'next')]
        rows = [{'id': d.id, 'time': when(d.created_at), 'event': t(f'webhook.event.{d.event}'),
                 'status': t(f'webhook.status.{d.status}'), 'attempts': d.attempts,
                 'response': ' '.join(str(x) for x in (d.response_status, d.error, d.response_excerpt) if x)[:200],
                 'next': when(d.next_attempt_at),
                 'pick': t('webhook.select_delivery', event=t(f'webhook.event.{d.event}'), time=when(d.created_at))}
                for d in found]
        with table_region(t('webhook.log')):
            table = tid(ui.table(columns=columns, rows=rows, row_key='id', selection='multiple', pagination=20)
                        .props('flat dense wrap-cells').classes('w-full'), 'webhook-log-table')
        label_selection(table, all_label=t('webhook.select_all'), row_label_field='pick')
        again = [d.id for d in found if d.status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)]

        async def resend() -> None:
            chosen = [r['id'] for r in table.selected] or again
            made = await run.io_bound(self.desk.webhooks.resend, self.user, chosen)
            ui.notify(t('webhook.resent', count=len(made)), type='positive')

        if again:
            tid(ui.button(t('webhook.resend'), icon='replay', on_click=resend).props('flat'), 'webhook-resend')


def register(desk: Desk) -> None:
    @ui.page('/webhooks')
    def webhooks_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('webhook.page.title'), user):
            if not permissions.can_manage_webhooks(user):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            WebhooksPanel(desk, user).build()
        return None
