"""The team page's dialogs: a rep's assignment settings, and a plan of moves (rebalance or a
leaving rep's handover) shown before anything is applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Any

from nicegui import ui

from core.workload.figures import RepLoadView
from core.workload.rebalance import Plan

from ..errors import attempt
from ..format import zone
from ..i18n import t
from ..marks import tid
from .table import table_region

PLAN_ROWS_SHOWN = 100


def minutes_text(minutes: int | None) -> str:
    return '' if minutes is None else f'{minutes // 60:02d}:{minutes % 60:02d}'


def text_minutes(text: str | None) -> int | None:
    """'09:30' → 570; blank → None; anything else → -1, which core refuses with a field error."""
    if not text:
        return None
    try:
        hours, minutes = text.split(':')[:2]
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return -1


def shift_text(r: RepLoadView) -> str:
    if r.shift_start is None or r.shift_end is None:
        return ''
    return t('team.shift_label', start=minutes_text(r.shift_start), end=minutes_text(r.shift_end))


def settings_dialog(r: RepLoadView, save: Callable[[dict[str, Any]], object]) -> ui.dialog:
    """Capacity, quota, seniority, regions, shift and leave (with an optional return date)."""
    back = r.leave_until.astimezone(zone()).date().isoformat() if r.leave_until else ''
    with ui.dialog() as dialog, tid(ui.card().classes('w-96 max-w-full'), f'rep-settings-{r.user_id}'):
        ui.label(t('team.settings_title', rep=r.name)).classes('text-h6')
        fields: dict[str, Any] = {
            'capacity': tid(ui.number(t('team.capacity'), value=r.capacity, min=0, max=10_000, precision=0),
                            'set-capacity'),
            'daily_quota': tid(ui.number(t('team.daily_quota'), value=r.daily_quota, min=0, max=10_000, precision=0),
                               'set-quota'),
            'seniority': tid(ui.select({1: t('team.seniority_1'), 2: t('team.seniority_2'),
                                        3: t('team.seniority_3')}, value=r.seniority, label=t('team.seniority'))
                             .classes('w-56'),
                             'set-seniority'),
            'regions': tid(ui.input(t('team.regions'), value=r.regions.replace(',', ', '))
                           .props('maxlength=500'), 'set-regions'),
        }
        with ui.row().classes('gap-2'):
            fields['shift_start'] = tid(ui.input(t('team.shift_start'), value=minutes_text(r.shift_start))
                                        .props('type=time clearable').classes('w-32'), 'set-shift-start')
            fields['shift_end'] = tid(ui.input(t('team.shift_end'), value=minutes_text(r.shift_end))
                                      .props('type=time clearable').classes('w-32'), 'set-shift-end')
        ui.label(t('team.shift_help')).classes('text-caption text-grey-7')
        with ui.row().classes('items-center gap-2'):
            fields['is_on_leave'] = tid(ui.switch(t('team.on_leave'), value=r.is_on_leave), 'set-leave')
            fields['leave_until'] = tid(ui.input(t('team.leave_until'), value=back).props('type=date clearable')
                                        .classes('w-44'), 'set-leave-until')
        ui.label(t('team.leave_until_help')).classes('text-caption text-grey-7')

        async def submit() -> None:
            values = {k: f.value for k, f in fields.items()}
            for k in ('capacity', 'daily_quota'):
                values[k] = None if values[k] is None else int(values[k])
            values['shift_start'] = text_minutes(values['shift_start'])
            values['shift_end'] = text_minutes(values['shift_end'])
            day = values.pop('leave_until')
            values['leave_until'] = datetime.combine(date.fromisoformat(day), time(0), tzinfo=zone()) if day else None
            if values['leave_until'] is not None:
                values['is_on_leave'] = True
            if await attempt(lambda: save(values), fields):
                dialog.submit(values)

        with ui.row().classes('w-full justify-end'):
            ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
            tid(ui.button(t('common.save'), on_click=submit), 'set-save')
    return dialog


def plan_dialog(plan: Plan, *, title: str, apply_label: str,
                replan: Callable[[bool], Awaitable[Plan]] | None = None) -> ui.dialog:
    """Who loses, who gains, which leads — and Apply. With `replan`, a switch re-plans including leads
    worked in the last 24 h. The dialog answers the plan to apply (or None when dismissed)."""
    state = {'plan': plan, 'recent': False}
    with ui.dialog() as dialog, tid(ui.card().classes('w-[36rem] max-w-full'), 'plan-dialog'):
        ui.label(title).classes('text-h6')
        body = ui.column().classes('w-full gap-2')

        def show() -> None:
            p: Plan = state['plan']
            body.clear()
            with body:
                tid(ui.label(t('team.plan_summary', moves=len(p.moves), pool=p.to_pool)), 'plan-summary')
                if p.held_back:
                    tid(ui.label(t('team.plan_held_back', count=p.held_back)).classes('text-grey-8'), 'plan-held')
                rows = [{'rep': p.names.get(rid, str(rid)), 'before': p.before.get(rid, 0),
                         'after': p.after.get(rid, 0), 'change': p.after.get(rid, 0) - p.before.get(rid, 0)}
                        for rid in p.before if p.after.get(rid, 0) != p.before.get(rid, 0)]
                if rows:
                    columns = [{'name': k, 'label': t(f'team.plan_{k}'), 'field': k, 'align': 'left'}
                               for k in ('rep', 'before', 'after', 'change')]
                    with table_region(title):
                        tid(ui.table(columns=columns, rows=rows).props('dense flat').classes('w-full'), 'plan-reps')
                with ui.column().classes('w-full gap-0 max-h-64 overflow-auto'):
                    for m in p.moves[:PLAN_ROWS_SHOWN]:
                        target = p.names.get(m.to_id, '') if m.to_id is not None else t('team.to_pool')
                        ui.label(t('team.plan_move', lead=m.lead_name, grade=m.grade,
                                   source=p.names.get(m.from_id, ''), target=target)).classes('text-sm')
                    if len(p.moves) > PLAN_ROWS_SHOWN:
                        ui.label(t('team.plan_more', count=len(p.moves) - PLAN_ROWS_SHOWN)).classes('text-sm')
            apply.set_enabled(bool(p.moves))

        async def recent_changed(e: Any) -> None:
            if replan is not None:
                state['recent'] = bool(e.value)
                state['plan'] = await replan(bool(e.value))
                show()

        if replan is not None:
            tid(ui.switch(t('team.plan_include_recent'), on_change=recent_changed), 'plan-include-recent')
        with ui.row().classes('w-full justify-end'):
            tid(ui.button(t('common.cancel'), on_click=lambda: dialog.submit(None)).props('flat'), 'plan-cancel')
            apply = tid(ui.button(apply_label, on_click=lambda: dialog.submit((state['plan'], state['recent']))),
                        'plan-apply')
        show()
    return dialog
