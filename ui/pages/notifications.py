"""Notifications (`/notifications`): the signed-in user's unread notifications, live as they
arrive, with a link to the lead each one is about."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.accounts.notifications import NotificationView
from core.desk import Desk
from store.models import UserRef

from .. import live
from ..format import when
from ..i18n import reason, t
from ..marks import tid
from ..session import require_user
from ..theme import frame
from ..toasts import notification_link


class NotificationList:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('notifications.title')).classes('text-h5')
            self.read_button = tid(ui.button(t('notify.mark_read'), icon='done_all', on_click=self.mark_read)
                                   .props('flat'), 'notifications-read')
            self.read_button.set_visibility(False)
        with ui.card().classes('w-full'):
            self.list = tid(ui.column().classes('w-full gap-2'), 'notifications-list')
        live.subscribe(self.desk.events.notified, self._on_notified)
        ui.timer(0, self.load, once=True)

    async def load(self) -> None:
        rows, unread = await run.io_bound(self.desk.team.notifications, self.user)
        self.show(rows, unread)

    def show(self, rows: list[NotificationView], unread: int) -> None:
        self.read_button.set_visibility(bool(rows))
        self.list.clear()
        with self.list:
            if not rows:
                tid(ui.label(t('notify.none')).classes('text-grey-7'), 'notifications-none')
            for n in rows:
                with tid(ui.row().classes('w-full items-baseline gap-3 no-wrap'), f'notification-{n.id}'):
                    ui.label(when(n.created_at)).classes('text-sm text-grey-7 w-36 shrink-0')
                    text = reason(n.key, n.params)
                    href = notification_link(n.lead_id, n.params)
                    if href:
                        ui.link(text, href)
                    else:
                        ui.label(text)
            if unread > len(rows):
                ui.label(t('notifications.more', count=unread - len(rows))).classes('text-sm text-grey-7')

    async def mark_read(self) -> None:
        await run.io_bound(self.desk.team.mark_notifications_read, self.user)
        await self.load()

    async def _on_notified(self, user_id: int) -> None:
        if user_id == self.user.id:
            await self.load()


def register(desk: Desk) -> None:
    @ui.page('/notifications')
    def notifications_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('notifications.title'), user):
            NotificationList(desk, user).build()
        return None
