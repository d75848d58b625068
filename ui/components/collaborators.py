"""A record's collaborators on its page (lead, opportunity, customer): who they are and their access,
add (a colleague picker and read / edit) and remove for the owner and managers, and the "shared with
you" badge a collaborator sees (`shared_badge`). The rules live in core/accounts/collaborators.py."""

from __future__ import annotations

import html

from nicegui import run, ui

from core.accounts.collaborators import CollaboratorPanel
from core.desk import Desk
from core.errors import DomainError
from store.models import Access, RecordKind, UserRef

from ..errors import message
from ..i18n import t
from ..marks import tid


def shared_badge(panel: CollaboratorPanel | None) -> None:
    """The "shared with you" badge of a record the viewer collaborates on (nothing otherwise)."""
    if panel is not None and panel.shared_with_you is not None:
        tid(ui.badge(t(f'collab.shared_{panel.shared_with_you}'), color='deep-purple'), 'shared-with-you')


class CollaboratorsCard:
    """The card; redrawn after each change the viewer makes (another user's change shows on reload)."""

    def __init__(self, desk: Desk, user: UserRef, kind: RecordKind, record_id: int,
                 panel: CollaboratorPanel) -> None:
        self.desk, self.user, self.kind, self.record_id = desk, user, kind, record_id
        self.panel = panel

    @staticmethod
    def read(desk: Desk, user: UserRef, kind: RecordKind, record_id: int) -> CollaboratorPanel:
        """The panel (a worker thread's call)."""
        return desk.collaborators.panel(user, kind, record_id)

    @ui.refreshable_method
    def render(self) -> None:
        panel = self.panel
        with tid(ui.card().classes('w-full'), 'collaborators'):
            ui.label(t('collab.title')).classes('text-subtitle1 font-bold')
            if not panel.collaborators:
                tid(ui.label(t('collab.none')).classes('text-grey-7'), 'collaborators-none')
            for c in panel.collaborators:
                with tid(ui.row().classes('w-full items-center no-wrap gap-2'), f'collaborator-{c.user_id}'):
                    ui.icon('group').classes('text-grey-7')
                    ui.label(c.name).classes('flex-1 min-w-0 ellipsis')
                    ui.badge(t(f'collab.access_{c.access}'),
                             color='primary' if c.access == Access.EDIT else 'grey').props('outline')
                    if panel.can_manage:
                        aria = html.escape(t('collab.remove', name=c.name))
                        tid(ui.button(icon='close', on_click=lambda u=c.user_id, n=c.name: self.remove(u, n))
                            .props(f'flat round dense size=sm aria-label="{aria}"'), f'collaborator-remove-{c.user_id}')
            if panel.can_manage:
                self._add_row()
                ui.label(t('collab.hint')).classes('text-caption text-grey-7')

    def _add_row(self) -> None:
        options = {c.id: c.name for c in self.panel.candidates}
        with ui.row().classes('w-full items-center gap-2 no-wrap max-sm:flex-wrap'):
            who = tid(ui.select(options, label=t('collab.user'), with_input=True)
                      .props('dense outlined options-dense').classes('flex-1 min-w-40'), 'collaborator-user')
            levels = {a.value: t(f'collab.access_{a}') for a in Access}
            access = tid(ui.toggle(levels, value=Access.READ.value).props('dense no-caps'), 'collaborator-access')

            async def add() -> None:
                if who.value is None:
                    who.error = t('collab.pick_user')
                    return
                await self.add(int(who.value), str(access.value), options.get(who.value, ''))

            tid(ui.button(t('collab.add'), icon='person_add', on_click=add).props('no-caps unelevated dense'),
                'collaborator-add')

    async def reload(self) -> None:
        try:
            self.panel = await run.io_bound(self.read, self.desk, self.user, self.kind, self.record_id)
        except DomainError:  # no longer visible: the page's own reload says so
            return
        self.render.refresh()

    async def add(self, user_id: int, access: str, name: str) -> None:
        try:
            await run.io_bound(self.desk.collaborators.add, self.user, self.kind, self.record_id,
                               user_id=user_id, access=access)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        ui.notify(t('collab.added', name=name), type='positive')
        await self.reload()

    async def remove(self, user_id: int, name: str) -> None:
        try:
            await run.io_bound(self.desk.collaborators.remove, self.user, self.kind, self.record_id, user_id=user_id)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        ui.notify(t('collab.removed', name=name))
        await self.reload()
