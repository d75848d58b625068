"""Settings' departments section: the department tree (admins all of it, a manager their own
subtree) — add, rename, move under another parent, set the head, remove an empty one — and, for
admins, each role's data scope (whose leads its users see)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.accounts.departments import DepartmentLine
from core.accounts.reach import DataScope
from core.desk import Desk
from store.models import Role, User, UserRef

from ..errors import attempt
from ..i18n import t
from ..marks import tid
from .kit import dialog_buttons, list_row, save_and_close, section_title


def department_name(line: DepartmentLine) -> str:
    """The root's default name is shown in the reader's language; any name an admin typed as typed."""
    return t('dept.root_default') if line.is_root_default else line.name


def department_options(lines: list[DepartmentLine], *, only_managed: bool = False,
                       indent: bool = False) -> dict[int, str]:
    """Departments for a select (tree order), `indent`ed by depth (the chosen value shows the indent too)."""
    return {line.id: '\u2003' * line.depth * indent + department_name(line) for line in lines
            if line.can_manage or not only_managed}


class DepartmentsPanel:
    def __init__(self, desk: Desk, user: UserRef, *, can_scope: bool) -> None:
        self.desk, self.user, self.can_scope = desk, user, can_scope
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed list, so a refresh does not delete them."""

    @ui.refreshable_method
    def build(self) -> None:
        lines = self.desk.departments.tree(self.user)
        users = {u.id: u for u in self.desk.team.users(self.user)}
        section_title(t('dept.title'), action=t('dept.add'), on_action=lambda: self._dialog(None, lines, users),
                      mark='dept-add')
        ui.label(t('dept.hint')).classes('text-sm text-grey-7')
        with tid(ui.column().classes('w-full gap-0'), 'dept-list'):
            for line in lines:
                self.row(line, lines, users)
        if self.can_scope:
            self.scopes()

    def row(self, line: DepartmentLine, lines: list[DepartmentLine], users: dict[int | None, User]) -> None:
        with list_row(f'dept-row-{line.id}'):
            with ui.row().classes('items-center gap-2 min-w-0 flex-1').style(f'padding-left:{line.depth * 1.25}rem'):
                ui.icon('corporate_fare' if line.is_root else 'subdirectory_arrow_right', size='xs') \
                    .classes('text-grey-6')
                tid(ui.label(department_name(line)).classes('font-medium break-words'), f'dept-name-{line.id}')
                ui.label(t('dept.members', count=line.members)).classes('text-sm text-grey-7')
                head = users.get(line.head_id) if line.head_id else None
                if head is not None:
                    ui.label(t('dept.head_is', name=head.name)).classes('text-sm text-grey-8')
            if line.can_manage:
                tid(ui.button(icon='edit', on_click=lambda x=line: self._dialog(x, lines, users))
                    .props(f'flat dense round aria-label="{t("common.edit")}"'), f'dept-edit-{line.id}')
                if not line.is_root:
                    tid(ui.button(icon='delete', on_click=lambda x=line: self.remove(x))
                        .props(f'flat dense round aria-label="{t("dept.remove")}"'), f'dept-remove-{line.id}')

    def scopes(self) -> None:
        """Admins: each role's data scope, saved on change."""
        ui.label(t('dept.scopes_title')).classes('text-subtitle1 q-mt-md')
        ui.label(t('dept.scopes_hint')).classes('text-sm text-grey-7')
        current = self.desk.departments.scopes()
        options = {s.value: t(f'scope.{s.value}') for s in DataScope}
        with ui.row().classes('w-full gap-3'):
            for role in Role:
                tid(ui.select(options, value=current[role].value, label=t(f'role.{role.value}'),
                              on_change=lambda e, r=role: self.set_scope(r, e.value))
                    .classes('w-56 max-w-full'), f'scope-{role.value}')

    async def set_scope(self, role: Role, scope: str) -> None:
        if await attempt(lambda: self.desk.departments.set_scopes(self.user, {role.value: scope})):
            ui.notify(t('common.saved'), type='positive')

    async def remove(self, line: DepartmentLine) -> None:
        if await attempt(lambda: self.desk.departments.remove(self.user, line.id)):
            ui.notify(t('common.saved'), type='positive')
            self.build.refresh()

    def _dialog(self, line: DepartmentLine | None, lines: list[DepartmentLine],
                users: dict[int | None, User]) -> None:
        """Add a department (`line` None) or rename, move and set the head of one."""
        parents = department_options(lines, only_managed=True, indent=True)
        if line is not None:
            parents.pop(line.id, None)
        self.outside.clear()  # one editor at a time: the last one closed goes
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[28rem] max-w-full'):
            ui.label(t('dept.add') if line is None else t('dept.edit_title', name=department_name(line))) \
                .classes('text-h6')
            shown = department_name(line) if line else ''
            inputs: dict[str, Any] = {'name': tid(ui.input(t('dept.name'), value=shown)
                                                  .props('maxlength=100').classes('w-full'), 'dept-name')}
            if line is None or not line.is_root:
                default_parent = line.parent_id if line else next(iter(parents), None)
                inputs['parent'] = tid(ui.select(parents, value=default_parent, label=t('dept.parent'))
                                       .classes('w-full'), 'dept-parent')
            heads: dict[int | None, str] = {None: t('dept.no_head')}
            heads.update({uid: u.name for uid, u in users.items() if u.is_active})
            if line is not None:
                inputs['head'] = tid(ui.select(heads, value=line.head_id, label=t('dept.head'))
                                     .classes('w-full'), 'dept-head')

            async def save() -> None:
                name = inputs['name'].value or ''
                renamed = None if line is not None and name == shown else name  # the root keeps its translated default
                parent = inputs['parent'].value if 'parent' in inputs else None

                def act() -> object:
                    if line is None:
                        return self.desk.departments.add(self.user, name, parent_id=parent)
                    return self.desk.departments.change(self.user, line.id, name=renamed, parent_id=parent,
                                                        head_id=inputs['head'].value, set_head=True)

                await save_and_close(dialog, act, inputs, self.build.refresh)

            dialog_buttons(dialog, save, 'dept-save')
        dialog.open()
