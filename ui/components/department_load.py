"""The team page's capacity per department: a filter (this department and below) and one chip per
department with its subtree's open leads against capacity. Hidden while the reps in scope sit in a
single department (nothing to compare)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from core.workload.department_load import DepartmentLoad

from ..i18n import t
from ..marks import tid


def _name(d: DepartmentLoad) -> str:
    return t('dept.root_default') if d.is_root_default else d.name


class DepartmentStrip:
    def __init__(self, on_filter: Callable[[int | None], Awaitable[None]]) -> None:
        self.on_filter = on_filter
        self._shown: list[int] = []
        self.chosen: int | None = None
        with tid(ui.row().classes('w-full items-center gap-2'), 'team-departments') as self.box:
            self.select = tid(ui.select({}, value=None, label=t('team.department_filter'), clearable=True,
                                        on_change=self._changed).props('dense').classes('w-56'), 'team-department')
            self.chips = ui.row().classes('gap-2 items-center')
        self.box.set_visibility(False)

    async def _changed(self, e: object) -> None:
        if self.select.value != self.chosen:
            await self.on_filter(self.select.value)

    def show(self, departments: list[DepartmentLoad], chosen: int | None) -> None:
        self.chosen = chosen
        self.box.set_visibility(len(departments) > 1 or chosen is not None)
        ids = [d.department_id for d in departments]
        if ids != self._shown:
            self._shown = ids
            self.select.set_options({d.department_id: '\u2003' * d.depth + _name(d) for d in departments},
                                    value=chosen if chosen in ids else None)
        if self.select.value != chosen:
            self.select.set_value(chosen)
        self.chips.clear()
        with self.chips:
            for d in departments:
                used = '—' if d.used_pct is None else f'{d.used_pct:g}%'
                full = d.capacity > 0 and d.open_leads >= d.capacity
                color, text = ('primary', 'white') if d.department_id == chosen else \
                    ('red-1', 'negative') if full else ('grey-3', 'grey-9')
                tid(ui.chip(t('team.department_load', name=_name(d), open=d.open_leads, capacity=d.capacity,
                              used=used), color=color, text_color=text,
                            on_click=lambda did=d.department_id: self.on_filter(did)).props('dense clickable'),
                    f'team-dept-{d.department_id}')
