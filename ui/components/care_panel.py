"""Customer care on screen: the customer page's care card (plan, due task, revisit form, trend),
the managers' care-plan form (customers page), and the due revisits in the inbox's "My day"."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from core.customers.care import CareView, DueRevisit
from core.customers.care_plan import CarePlan
from core.desk import Desk
from core.errors import DomainError
from store.models import Tier, UserRef

from .. import live
from ..errors import attempt, message
from ..format import when
from ..i18n import t
from ..marks import tid

SATISFACTION_COLOR, NPS_COLOR = '#43a047', '#1f5fbf'


def tier_text(tier: str) -> str:
    return t(f'tier.{tier}') if tier in Tier.__members__.values() else tier


def kind_text(kind: str | None) -> str:
    return t('care.kind.wake_up') if kind == 'wake_up' else t('care.kind.revisit')


def trend_options(view: CareView) -> dict[str, Any]:
    """Satisfaction (1–5, left axis) and NPS (0–10, right axis) per revisit, oldest first."""
    dates = [when(r.at)[:10] for r in view.revisits]
    return {
        'animation': False, 'tooltip': {'trigger': 'axis'},
        'legend': {'top': 0, 'data': [t('care.satisfaction'), t('care.nps')]},
        'grid': {'left': 8, 'right': 8, 'top': 28, 'bottom': 8, 'containLabel': True},
        'xAxis': {'type': 'category', 'data': dates},
        'yAxis': [{'type': 'value', 'min': 0, 'max': 5, 'interval': 1},
                  {'type': 'value', 'min': 0, 'max': 10, 'interval': 2}],
        'series': [
            {'name': t('care.satisfaction'), 'type': 'line', 'yAxisIndex': 0, 'connectNulls': True,
             'color': SATISFACTION_COLOR, 'data': [r.satisfaction for r in view.revisits]},
            {'name': t('care.nps'), 'type': 'line', 'yAxisIndex': 1, 'connectNulls': True, 'color': NPS_COLOR,
             'data': [r.nps for r in view.revisits]},
        ],
    }


class CustomerCare:
    """The care card on a customer's page. Recording a revisit re-reads and redraws the card."""

    def __init__(self, desk: Desk, user: UserRef, view: CareView) -> None:
        self.desk, self.user, self.view = desk, user, view

    def build(self) -> None:
        with tid(ui.card().classes('w-full'), 'care'):
            ui.label(t('care.title')).classes('text-subtitle1 font-bold')
            self.body = ui.column().classes('w-full gap-3')
        self.draw()

    def draw(self) -> None:
        view = self.view
        self.body.clear()
        with self.body:
            with ui.row().classes('w-full items-center gap-3'):
                plan = (t('care.plan_every', tier=tier_text(view.tier), days=view.interval_days)
                        if view.interval_days else
                        t('care.plan_dormant') if view.tier == Tier.DORMANT else t('care.plan_off',
                                                                                  tier=tier_text(view.tier)))
                tid(ui.label(plan), 'care-plan')
                if view.open_task_kind is not None:
                    tid(ui.badge(t('care.task_open', kind=kind_text(view.open_task_kind),
                                   at=when(view.open_task_due_at)), color='negative'), 'care-open-task')
                elif view.next_due_at is not None:
                    tid(ui.label(t('care.next_due', kind=kind_text(view.next_kind), at=when(view.next_due_at)))
                        .classes('text-grey-8'), 'care-next-due')
            if view.can_record:
                self._form()
            with ui.row().classes('w-full no-wrap gap-4 items-start max-md:flex-wrap'):
                if view.revisits:
                    tid(ui.echart(trend_options(view)).classes('w-3/5 min-w-80 h-64'), 'care-trend')
                with tid(ui.column().classes('flex-1 gap-1 text-sm'), 'care-revisits'):
                    if not view.revisits:
                        ui.label(t('care.no_revisits')).classes('text-grey-7')
                    for r in reversed(view.revisits):  # newest first beside the chart
                        scores = ' · '.join(x for x in (
                            t('care.satisfaction_is', n=r.satisfaction) if r.satisfaction is not None else '',
                            t('care.nps_is', n=r.nps) if r.nps is not None else '') if x)
                        with tid(ui.column().classes('gap-0'), f'revisit-{r.id}'):
                            ui.label(f'{when(r.at)} · {scores} · {r.by or ""}').classes('font-medium')
                            if r.note:
                                ui.label(r.note).classes('text-grey-8 whitespace-pre-wrap break-all')

    def _form(self) -> None:
        with tid(ui.row().classes('w-full items-start gap-3'), 'revisit-form'):
            satisfaction = tid(ui.select({n: str(n) for n in range(1, 6)}, label=t('care.satisfaction_range'),
                                         clearable=True).props('dense outlined').classes('w-40'),
                               'revisit-satisfaction')
            nps = tid(ui.select({n: str(n) for n in range(11)}, label=t('care.nps_range'), clearable=True)
                      .props('dense outlined').classes('w-40'), 'revisit-nps')
            note = tid(ui.textarea(t('care.note')).props('dense outlined autogrow maxlength=2000')
                       .classes('flex-1 min-w-64'), 'revisit-note')

            async def save() -> None:
                done = await attempt(lambda: self.desk.care.record_revisit(
                    self.user, self.view.account_id, satisfaction=satisfaction.value, nps=nps.value,
                    note=note.value), {'satisfaction': satisfaction, 'nps': nps, 'note': note})
                if done:
                    ui.notify(t('care.recorded'), type='positive')
                    await self.reload()

            tid(ui.button(t('care.record'), icon='event_available', on_click=save).props('no-caps'), 'revisit-save')

    async def reload(self) -> None:
        try:
            self.view = await run.io_bound(self.desk.care.care_view, self.user, self.view.account_id)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.draw()


class CarePlanForm:
    """Managers: days between revisits per tier (0 = off); dormant customers get a one-off wake-up."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self, plan: CarePlan) -> None:
        with tid(ui.card().classes('w-full'), 'care-plan-form'):
            ui.label(t('care.plan_title')).classes('text-subtitle1 font-bold')
            with ui.row().classes('items-start gap-3'):
                self.fields = {
                    name: tid(ui.number(t(f'care.days.{tier}'), value=getattr(plan, name), suffix=t('unit.days'))
                              .props('dense').classes('w-44'), f'care-{tier}-days')
                    for name, tier in (('vip_days', 'vip'), ('regular_days', 'regular'),
                                       ('potential_days', 'potential'))}
                tid(ui.button(t('common.save'), on_click=self.save), 'care-plan-save')
            ui.label(t('care.plan_hint')).classes('text-xs text-grey-7')

    async def save(self) -> None:
        values = {name: field.value for name, field in self.fields.items()}
        if await attempt(lambda: self.desk.care.set_plan(self.user, values), self.fields):
            ui.notify(t('common.saved'), type='positive')


class MyDayRevisits:
    """The due revisits above the inbox while "My day" is chosen; each opens the customer's page.
    Live: a task opening (timer) or closing (revisit) anywhere re-reads the list."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.visible = False

    def build(self) -> None:
        with tid(ui.card().classes('w-full'), 'my-day-revisits') as self.card:
            ui.label(t('care.my_day_title')).classes('text-subtitle1 font-bold')
            self.list = tid(ui.column().classes('w-full gap-1'), 'my-day-revisit-list')
        self.card.set_visibility(False)
        live.subscribe(self.desk.events.care_changed, self._on_changed)

    async def show(self, visible: bool) -> None:
        self.visible = visible
        self.card.set_visibility(visible)
        if visible:
            await self.refresh()

    async def refresh(self) -> None:
        rows = await run.io_bound(self.desk.care.due_revisits, self.user)
        self.list.clear()
        with self.list:
            if not rows:
                tid(ui.label(t('care.my_day_none')).classes('text-grey-7'), 'my-day-revisits-none')
            for row in rows:
                self._row(row)

    def _row(self, row: DueRevisit) -> None:
        with tid(ui.row().classes('w-full items-center gap-3'), f'due-revisit-{row.account_id}'):
            tid(ui.link(row.account_name, f'/customers/{row.account_id}'), f'due-revisit-link-{row.account_id}')
            ui.badge(tier_text(row.tier)).props('outline')
            ui.label(kind_text(row.kind)).classes('text-grey-8')
            ui.space()
            if row.owner_id != self.user.id:
                ui.label(row.owner_name or t('lead.unassigned')).classes('text-grey-8 text-sm')
            ui.label(t('care.due_since', at=when(row.due_at))).classes('text-negative text-sm')

    async def _on_changed(self, _account_id: int, owner_id: int | None) -> None:
        if self.visible:
            await self.refresh()
