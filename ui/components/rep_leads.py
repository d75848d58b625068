"""A rep's open leads under their row on the team page: tick leads and move them to another rep
or the pool in one go, or drag one onto another rep's row.

Every rep row carries one of these lists (empty and collapsed until opened) so that any row is a
drop target; only rows of leads are draggable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui
from nicegui.events import SortableEventArguments

from core.workload.steering import RepLeads

from ..format import when
from ..i18n import t, t_opt
from ..marks import tid

GROUP = 'team-leads'
SORTABLE = {'sort': False, 'draggable': '.ld-lead'}
DROP_CSS = '''
body:has(.ld-lead) .ld-drop:empty { min-height: 2.75rem; outline: 1px dashed #9e9e9e; outline-offset: -2px;
                                    display: flex; align-items: center; justify-content: center; }
body:has(.ld-lead) .ld-drop:empty::before { content: attr(data-hint); color: #757575; font-size: .8rem; }
'''
"""A rep's list takes no room while nothing can be dragged. Once any rep's leads are open (rows to
drag), every closed list shows as a dashed "drop leads here" zone — from the start of the drag on,
not when it begins: growing zones would shift the cards under the pointer (and under a click on a
row's checkbox, which SortableJS already treats as a possible drag)."""
GRADE_COLORS = {'A': 'red-7', 'B': 'orange-8', 'C': 'grey-7'}
POOL = 0
"""The "move to" value meaning the pool (user ids start at 1)."""

Mover = Callable[[list[int], int | None], Awaitable[None]]
"""Move these lead ids to this rep id (None: the pool)."""


class RepLeadList:
    def __init__(self, rep_id: int, *, move: Mover, on_drop: Callable[[SortableEventArguments], Awaitable[None]]
                 ) -> None:
        self.rep_id, self.move = rep_id, move
        self.open = False
        self.shown: tuple[Any, ...] | None = None
        self.selected: set[int] = set()
        self.lead_of_element: dict[int, int] = {}
        self.targets: dict[int, str] = {}
        with tid(ui.column().classes('w-full gap-1'), f'drill-{rep_id}') as self.box:
            self.bar = ui.row().classes('w-full items-center gap-2')
            self.bar.set_visibility(False)
            with self.bar:
                self.count = tid(ui.label('').classes('text-sm text-grey-8'), f'drill-count-{rep_id}')
                self.all = tid(ui.checkbox(t('team.select_all'), on_change=self._select_all), f'drill-all-{rep_id}')
                self.to = tid(ui.select({}, label=t('team.move_to')).props('dense options-dense').classes('w-48'),
                              f'drill-to-{rep_id}')
                self.go = tid(ui.button(t('team.move_selected'), icon='move_down', on_click=self._move_selected)
                              .props('dense unelevated'), f'drill-move-{rep_id}')
            self.items = tid(ui.column().classes('w-full gap-0 rounded ld-drop')
                             .props(f'data-hint="{t("team.drop_here")}"'), f'drill-items-{rep_id}')
            self.items.make_sortable(SORTABLE, on_end=on_drop, group=GROUP)
        self._enable()

    def set_targets(self, reps: dict[int, str]) -> None:
        """Whom the selection can go to: every other rep, and the pool. Unchanged (every live refresh
        of the team page asks, for every rep): nothing sent."""
        targets = {rid: name for rid, name in reps.items() if rid != self.rep_id}
        if targets == self.targets and self.to.options:
            return
        self.targets = targets
        options: dict[int, str] = {POOL: t('team.to_pool'), **self.targets}
        self.to.set_options(options, value=self.to.value if self.to.value in options else None)

    def show(self, listed: RepLeads | None) -> None:
        """Fill (or, with None, empty and collapse) the list; ticks survive for leads still listed."""
        self.open = listed is not None
        self.bar.set_visibility(self.open)
        key = None if listed is None else (listed.total, *((x.id, x.status, x.last_activity_at) for x in listed.leads))
        if key is not None and key == self.shown:
            return  # unchanged: keep the rows (and any drag in progress)
        self.shown = key
        self.items.clear()
        self.lead_of_element = {}
        if listed is None:
            self.selected.clear()
            self._enable()
            return
        ids = {lead.id for lead in listed.leads}
        self.selected &= ids
        shown = len(listed.leads)
        self.count.set_text(t('team.drill_count', shown=shown, total=listed.total))
        with self.items:
            if not listed.leads:
                ui.label(t('team.drill_empty')).classes('text-grey-7 text-sm p-2')
            for lead in listed.leads:
                self._row(lead)
        self._enable()

    def _row(self, lead: Any) -> None:
        with ui.row().classes('ld-lead w-full items-center gap-3 no-wrap px-2 py-1 cursor-grab '
                              'hover:bg-grey-2 rounded') as row:
            tid(ui.checkbox(value=lead.id in self.selected,
                            on_change=lambda e, lid=lead.id: self._tick(lid, e.value)), f'drill-check-{lead.id}')
            ui.badge(lead.grade, color=GRADE_COLORS.get(lead.grade, 'grey'))
            tid(ui.link(lead.name, f'/leads/{lead.id}').classes('w-56 truncate'), f'drill-lead-{lead.id}')
            ui.label(lead.company or '').classes('w-48 truncate text-grey-8 text-sm')
            ui.label(t_opt('status', lead.status)).classes('w-24 text-sm')
            ui.label(t('team.drill_assigned', at=when(lead.assigned_at))).classes('text-sm text-grey-7')
            ui.label(t('team.drill_worked', at=when(lead.last_activity_at) or '—')).classes('text-sm text-grey-7')
        self.lead_of_element[row.id] = lead.id

    def _tick(self, lead_id: int, on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(lead_id)
        self._enable()

    def _select_all(self, e: Any) -> None:
        if e.value:
            self.selected = set(self.lead_of_element.values())
        else:
            self.selected.clear()
        for child in self.items.default_slot.children:
            for box in child.default_slot.children[:1]:
                if isinstance(box, ui.checkbox):
                    box.set_value(self.lead_of_element.get(child.id) in self.selected)
        self._enable()

    def _enable(self) -> None:
        self.go.set_enabled(bool(self.selected))
        self.go.set_text(t('team.move_selected_n', count=len(self.selected)) if self.selected
                         else t('team.move_selected'))

    async def _move_selected(self) -> None:
        if self.to.value is None:
            self.to.error = t('err.field.required')
            return
        self.to.error = None
        target = None if self.to.value == POOL else int(self.to.value)
        chosen = sorted(self.selected)
        self.selected.clear()
        self.all.set_value(False)
        await self.move(chosen, target)
