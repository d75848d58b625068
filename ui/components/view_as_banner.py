"""The banner of an admin's "view as" (core/accounts/view_as.py): who is being viewed, that nothing
is saved, and the button that ends it. Shown by the page frame on every page while it lasts."""

from __future__ import annotations

from nicegui import ui

from core.desk import Desk
from store.models import UserRef

from ..errors import attempt
from ..i18n import t
from ..marks import tid
from ..session import page_session_id


def view_as_banner(desk: Desk, user: UserRef) -> None:
    async def end() -> None:
        session_id = page_session_id() or 0  # read on the page's context, not in the worker thread
        if await attempt(lambda: desk.view_as.end(user, session_id)):
            ui.navigate.to('/settings')

    with tid(ui.row().classes('w-full items-center gap-3 rounded px-3 py-2 no-wrap max-sm:flex-wrap')
             .style('background:#fff3cd; border:1px solid #e0b400; color:#5c4400'), 'view-as-banner'):
        ui.icon('visibility').classes('text-lg')
        ui.label(t('view_as.banner', user=user.name)).classes('flex-1 min-w-0 text-sm font-medium')
        tid(ui.button(t('view_as.end'), icon='close', on_click=end).props('dense no-caps color=dark outline'),
            'view-as-end')
