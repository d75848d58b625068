"""The "Views" control of a list page (inbox, pool, board, customers): pick a saved view to apply
its filter, save the current filter as a view (a manager may share it with the team), update or
delete the one picked, and choose the view the page opens on. The page gives two callbacks: what
its filter is now, and how to apply a view's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import run, ui

from core import permissions
from core.accounts.saved_views import View
from core.desk import Desk
from store.models import UserRef, ViewPage

from ..errors import attempt
from ..i18n import t
from ..marks import tid

Current = Callable[[], tuple[dict[str, Any], tuple[str, ...]]]
"""The page's filter state now, and (inbox) its columns."""
Apply = Callable[[View], Awaitable[None]]


class SavedViews:
    def __init__(self, desk: Desk, user: UserRef, page: ViewPage, *, current: Current, apply: Apply) -> None:
        self.desk, self.user, self.page = desk, user, page
        self.current, self.apply = current, apply
        self.views: list[View] = []
        self.active: View | None = None
        self.opening: int | None = None
        self.outside = ui.element()
        """Dialogs are made here: outside the row the control sits in."""

    def build(self) -> None:
        with ui.row().classes('items-end gap-1 no-wrap'):
            self.select = tid(ui.select({}, label=t('views.label'), clearable=True, on_change=self._picked)
                              .props('dense options-dense').classes('w-44'), f'views-{self.page}')
            with tid(ui.button(icon='more_vert').props(f'flat dense round aria-label="{t("views.actions")}"'),
                     f'views-menu-{self.page}'):
                with ui.menu() as self.menu:
                    tid(ui.menu_item(t('views.save_as'), on_click=self._save_as), 'view-save-as')
                    self.update_item = tid(ui.menu_item(t('views.update'), on_click=self._update), 'view-update')
                    self.open_item = tid(ui.menu_item(t('views.open_on'), on_click=self._toggle_opening),
                                         'view-opening')
                    self.stop_item = tid(ui.menu_item(t('views.stop_opening'), on_click=self._toggle_opening),
                                         'view-stop-opening')
                    self.delete_item = tid(ui.menu_item(t('views.delete'), on_click=self._delete), 'view-delete')
        self._show_items()

    async def load(self, active: int | None = None) -> View | None:
        """Read the views; returns the one the page opens on (applied by the caller's first read).
        `active`: the view the page shows instead (a page that applies a view by its address)."""
        read = await run.io_bound(self._read)
        if read is None:  # (NiceGUI's run answers None when the app stops or the page is gone meanwhile)
            return None
        self.views, opening = read
        self.opening = opening.id if opening else None
        self.active = next((v for v in self.views if v.id == active), None) if active is not None else opening
        self._fill()
        return opening

    def _read(self) -> tuple[list[View], View | None]:
        return self.desk.views.views(self.user, self.page), self.desk.views.opening_view(self.user, self.page)

    def _fill(self) -> None:
        options = {v.id: (f'★ {v.name}' if v.id == self.opening else v.name)
                   + (f' · {t("views.team")}' if v.shared else '') for v in self.views}
        self.select.set_options(options, value=self.active.id if self.active else None)
        self._show_items()

    def _show_items(self) -> None:
        active = self.active
        can_change = active is not None and (active.mine or (active.shared and permissions.can_assign(self.user)))
        self.update_item.set_visibility(bool(active and active.mine))
        self.delete_item.set_visibility(can_change)
        self.open_item.set_visibility(active is not None and active.id != self.opening)
        self.stop_item.set_visibility(active is not None and active.id == self.opening)

    async def _picked(self, e: Any) -> None:
        found = next((v for v in self.views if v.id == e.value), None)
        if found is None or (self.active is not None and found.id == self.active.id):
            self.active = found
            self._show_items()
            return
        self.active = found
        self._show_items()
        await self.apply(found)

    async def _reload(self, active_id: int | None) -> None:
        read = await run.io_bound(self._read)
        if read is None:  # the app stops or the page is gone
            return
        self.views, opening = read
        self.opening = opening.id if opening else None
        self.active = next((v for v in self.views if v.id == active_id), None)
        self._fill()

    def _save_as(self) -> None:
        manager = permissions.can_assign(self.user)
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-96 max-w-full'):
            ui.label(t('views.save_title')).classes('text-h6')
            name = tid(ui.input(t('views.name')).props('maxlength=60 autofocus').classes('w-full'), 'view-name')
            shared = tid(ui.checkbox(t('views.share')), 'view-shared') if manager else None
            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')

                async def save() -> None:
                    filters, columns = self.current()
                    saved: list[View] = []
                    ok = await attempt(lambda: saved.append(self.desk.views.save_view(
                        self.user, self.page, name.value, filters, columns=columns,
                        shared=bool(shared and shared.value))), {'name': name})
                    if ok:
                        dialog.close()
                        ui.notify(t('views.saved', name=saved[0].name), type='positive')
                        await self._reload(saved[0].id)
                tid(ui.button(t('common.save'), on_click=save), 'view-save')
        dialog.open()

    async def _update(self) -> None:
        active = self.active
        if active is None:
            return
        filters, columns = self.current()
        if await attempt(lambda: self.desk.views.save_view(self.user, self.page, active.name, filters,
                                                           columns=columns, shared=active.shared,
                                                           view_id=active.id)):
            ui.notify(t('views.saved', name=active.name), type='positive')
            await self._reload(active.id)

    async def _toggle_opening(self) -> None:
        active = self.active
        if active is None:
            return
        target = None if active.id == self.opening else active.id
        if await attempt(lambda: self.desk.views.open_on(self.user, self.page, target)):
            ui.notify(t('views.opening_set', name=active.name) if target else t('views.opening_cleared'))
            await self._reload(active.id)

    async def _delete(self) -> None:
        active = self.active
        if active is None:
            return
        if await attempt(lambda: self.desk.views.delete_view(self.user, active.id)):
            ui.notify(t('views.deleted', name=active.name))
            await self._reload(None)
