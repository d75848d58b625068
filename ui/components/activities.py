"""The activity log shared by leads and opportunities: the timeline and the "Log activity" dialog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from nicegui import run, ui

from core.errors import DomainError, ValidationFailed
from store.models import Activity, ActivityKind

from ..errors import message, show_field_errors
from ..format import label, when, zone
from ..i18n import t
from ..marks import tid
from .kit import empty_state

LOGGABLE = [k.value for k in ActivityKind if k != ActivityKind.TOUCH]


def parse_day(text: str | None) -> date | None:
    """A date input's value; ValueError when it is not a date."""
    return date.fromisoformat(text.strip()) if text and text.strip() else None


def activity_list(activities: Sequence[tuple[Activity, str | None]], *, mark_deal: bool = False) -> None:
    """Newest first; `mark_deal` badges what was logged on the deal versus on the lead before it."""
    with tid(ui.column().classes('w-full gap-2'), 'activities'):
        if not activities:
            empty_state(t('activity.none'), icon='history')
        for activity, author in activities:
            on_deal = activity.opportunity_id is not None
            border = 'border-green-300' if mark_deal and on_deal else 'border-blue-200'
            with ui.column().classes(f'w-full gap-0 border-l-4 pl-2 {border}'):
                with ui.row().classes('items-center gap-2'):
                    if mark_deal:
                        ui.badge(t('opp.on_deal') if on_deal else t('opp.on_lead'),
                                 color='positive' if on_deal else 'blue-grey-8').props('outline')
                    head = f'{when(activity.created_at)} · {label("activity", activity.kind)}'
                    if activity.kind == ActivityKind.TOUCH and activity.source:
                        head += f' · {label("source", activity.source)}'
                    if author:
                        head += f' · {author}'
                    ui.label(head).classes('text-xs text-grey-7')
                if activity.outcome:
                    ui.label(activity.outcome).classes('font-medium')
                if activity.note:
                    ui.label(activity.note).classes('whitespace-pre-wrap break-words')
                if activity.next_follow_up_at:
                    ui.label(t('activity.next_at', at=when(activity.next_follow_up_at))).classes('text-xs text-primary')


LogFn = Callable[..., object]


def open_log_dialog(log: LogFn, on_saved: Callable[[], Awaitable[None]],
                    checklist: Mapping[int, str] | None = None, *, focus_follow_up: bool = False,
                    today: date | None = None) -> None:
    """Ask for kind, outcome, note and an optional next follow-up date (09:00 team time), then call
    `log(kind=, outcome=, note=, next_follow_up_at=)` in a worker thread. `checklist`: the open
    playbook items (id → text) the user may tick with this activity, passed on as `ticks=`.
    On a phone it is three taps: open, pick the kind (one chip each), save; the next follow-up date
    has chips for tomorrow, three days and a week after `today` (the team's; `focus_follow_up`: the
    cursor starts there)."""
    with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full'):
        ui.label(t('activity.log')).classes('text-h6')
        ui.label(t('activity.kind')).classes('ld-caption')
        kind = tid(ui.toggle({k: t(f'activity.{k}') for k in LOGGABLE}, value=ActivityKind.CALL)
                   .props('no-caps unelevated toggle-color=primary').classes('flex-wrap'), 'activity-kind')
        outcome = tid(ui.input(t('activity.outcome')).props('maxlength=200').classes('w-full'), 'activity-outcome')
        note = tid(ui.textarea(t('activity.note')).props('maxlength=5000 autogrow').classes('w-full'), 'activity-note')
        follow_up = tid(ui.input(t('activity.next_date')).props('type=date stack-label').classes('w-full'),
                        'activity-next')
        if focus_follow_up:
            follow_up.props('autofocus')
        today = today or datetime.now(zone()).date()
        with ui.row().classes('gap-1'):
            for days, key in ((1, 'activity.in_1_day'), (3, 'activity.in_3_days'), (7, 'activity.in_7_days')):
                day = (today + timedelta(days=days)).isoformat()
                tid(ui.chip(t(key), on_click=lambda d=day: follow_up.set_value(d))
                    .props('clickable outline color=primary dense'), f'activity-next-{days}')
        boxes: dict[int, ui.checkbox] = {}
        if checklist:
            ui.label(t('playbook.log_ticks')).classes('text-sm text-grey-8')
            for item_id, text in checklist.items():
                boxes[item_id] = tid(ui.checkbox(text).props('dense'), f'log-tick-{item_id}')

        async def save() -> None:
            follow_up.error = None
            try:
                day = parse_day(follow_up.value)
            except ValueError:
                follow_up.error = t('err.field.invalid')
                return
            next_at = datetime.combine(day, time(9, 0), tzinfo=zone()) if day else None
            ticks = {'ticks': [i for i, box in boxes.items() if box.value]} if boxes else {}
            try:
                await run.io_bound(lambda: log(kind=kind.value, outcome=outcome.value, note=note.value,
                                               next_follow_up_at=next_at, **ticks))
            except ValidationFailed as e:
                show_field_errors(e, {'next_follow_up_at': follow_up, 'kind': kind})
                return
            except DomainError as e:
                ui.notify(message(e), type='negative')
                return
            dialog.close()
            await on_saved()

        with ui.row().classes('w-full justify-end'):
            ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
            tid(ui.button(t('common.save'), on_click=save), 'activity-save')
    dialog.open()
