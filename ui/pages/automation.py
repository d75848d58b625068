"""Automation (`/automation`): the numbers behind the timer (SLA, protection, pool, calendar)
and the recycle rules for managers and admins, a preview of what the timer will do next, and for admins "Run now"."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from nicegui.elements.mixins.validation_element import ValidationElement

from core import permissions
from core.automation.policy import Policy
from core.automation.preview import Planned, drops_by_pool
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from store.models import Role, UserRef

from ..components.table import table_region
from ..errors import message
from ..format import when
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame
from .pools import PoolsEditor, pool_label
from .recycle_rules import RecycleRulesEditor

PREVIEW_HOURS = 24


def action_label(action: str) -> str:
    """What a timer step does, in the reader's language (preview rows and the "Run now" summary)."""
    labels = {
        'leave_ended': t('preview.leave_ended'),
        'assign': t('preview.assign'),
        'sla_breach': t('preview.sla_breach'),
        'sla_no_rep': t('preview.sla_no_rep'),
        'sla_reassign': t('preview.sla_reassign'),
        'warn': t('preview.warn'),
        'recycle': t('preview.recycle'),
        'review': t('preview.review'),
        'remind': t('preview.remind'),
        'remind_opportunity': t('preview.remind_opportunity'),
        'dormant': t('preview.dormant'),
        'care': t('care.step'),
        'expired_uploads': t('preview.expired_uploads'),
    }
    return labels.get(action, action)


def weekday_options() -> dict[int, str]:
    return {0: t('weekday.mon'), 1: t('weekday.tue'), 2: t('weekday.wed'), 3: t('weekday.thu'),
            4: t('weekday.fri'), 5: t('weekday.sat'), 6: t('weekday.sun')}


def parse_dates(text: str | None) -> list[str]:
    """One ISO date per line (commas and spaces also separate); the core checks each one."""
    return [part for part in re.split(r'[\s,，;；]+', text or '') if part]


class PolicyForm:
    """Every Policy number and the working calendar; Save validates in core, as a whole."""

    def __init__(self, desk: Desk, user: UserRef,
                 on_saved: Callable[[], Awaitable[None]] | None = None) -> None:
        self.desk, self.user, self.on_saved = desk, user, on_saved
        self.numbers: dict[str, ui.number] = {}
        self.sla: dict[str, ui.number] = {}

    def _number(self, key: str, name: str, label: str, suffix: str, *, integer: bool = False) -> ui.number:
        field = tid(ui.number(label, suffix=suffix, precision=0 if integer else None)
                    .props('dense outlined').classes('w-48'), name)
        self.numbers[key] = field
        return field

    def build(self, policy: Policy) -> None:
        hours, working_hours, days = t('unit.hours'), t('unit.working_hours'), t('unit.days')
        with ui.card().classes('w-full'):
            ui.label(t('policy.section_sla')).classes('text-h6')
            tid(ui.label(t('policy.sla_hint')).classes('text-sm text-grey-8'), 'policy-sla-hint')
            with ui.row().classes('gap-4 items-start'):
                for grade in ('A', 'B', 'C'):
                    self.sla[grade] = tid(ui.number(t('policy.sla_grade', grade=grade), suffix=hours)
                                          .props('dense outlined').classes('w-48'), f'policy-sla-{grade}')
                self._number('sla_grace_hours', 'policy-grace', t('policy.grace'), working_hours)
        with ui.card().classes('w-full'):
            ui.label(t('policy.section_protection')).classes('text-h6')
            ui.label(t('policy.protection_hint')).classes('text-sm text-grey-8')
            with ui.row().classes('gap-4 items-start'):
                self._number('protection_days', 'policy-protection', t('policy.protection'), days)
                self._number('extension_days', 'policy-extension', t('policy.extension'), days)
                self._number('max_protection_days', 'policy-max', t('policy.max'), days)
                self._number('warn_hours', 'policy-warn', t('policy.warn'), hours)
        with ui.card().classes('w-full'):
            ui.label(t('policy.section_pool')).classes('text-h6')
            with ui.row().classes('gap-4 items-center'):
                self._number('cooldown_days', 'policy-cooldown', t('policy.cooldown'), days)
                self._number('claim_limit', 'policy-claim-limit', t('policy.claim_limit'), t('unit.leads'),
                             integer=True)
                self._number('review_after', 'policy-review-after', t('policy.review_after'), t('unit.times'),
                             integer=True)
                self.redistribute = tid(ui.switch(t('policy.redistribute')), 'policy-redistribute')
        with ui.card().classes('w-full'):
            ui.label(t('policy.section_calendar')).classes('text-h6')
            with ui.row().classes('w-full gap-4 items-start'):  # w-full: the weekdays' max-w-full is of the card
                self.weekdays = tid(ui.select(weekday_options(), multiple=True, label=t('policy.weekdays'))
                                    .props('dense outlined use-chips').classes('w-96 max-w-full'), 'policy-weekdays')
                self.start = tid(ui.input(t('policy.start'), placeholder='09:00')
                                 .props('dense outlined maxlength=8').classes('w-28'), 'policy-start')
                self.end = tid(ui.input(t('policy.end'), placeholder='18:00')
                               .props('dense outlined maxlength=8').classes('w-28'), 'policy-end')
                self.tz = tid(ui.input(t('policy.tz'), placeholder='Asia/Shanghai')
                              .props('dense outlined maxlength=64').classes('w-56'), 'policy-tz')
            with ui.row().classes('w-full gap-4 items-start'):
                self.holidays = tid(ui.textarea(t('policy.holidays'), placeholder='2026-10-01')
                                    .props('dense outlined').classes('w-64'), 'policy-holidays')
                self.extra_workdays = tid(ui.textarea(t('policy.extra_workdays'), placeholder='2026-09-27')
                                          .props('dense outlined').classes('w-64'), 'policy-extra-workdays')
                ui.label(t('policy.dates_hint')).classes('text-sm text-grey-8 max-w-80')
        with ui.card().classes('w-full'):
            ui.label(t('policy.section_timer')).classes('text-h6')
            self._number('tick_seconds', 'policy-tick', t('policy.tick'), t('unit.seconds'))
        with ui.row().classes('w-full items-center gap-3'):
            tid(ui.button(t('policy.save'), icon='save', on_click=self.save), 'policy-save')
            tid(ui.button(t('policy.defaults'), icon='restart_alt', on_click=self.restore).props('flat'),
                'policy-defaults')
            self.error = tid(ui.label('').classes('text-negative'), 'policy-error')
        self.fill(policy)

    # ----- values in and out ----------------------------------------------------------------------

    def fill(self, policy: Policy) -> None:
        data = policy.to_dict()
        for key, field in self.numbers.items():
            field.value = data[key]
        for grade, field in self.sla.items():
            field.value = data['sla_hours'].get(grade)
        self.redistribute.value = bool(data['redistribute_recycled'])
        calendar = data['calendar']
        self.weekdays.value = list(calendar['weekdays'])
        self.start.value = calendar['start']
        self.end.value = calendar['end']
        self.tz.value = calendar['tz']
        self.holidays.value = '\n'.join(calendar['holidays'])
        self.extra_workdays.value = '\n'.join(calendar['extra_workdays'])

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {key: field.value for key, field in self.numbers.items()}
        data['sla_hours'] = {grade: field.value for grade, field in self.sla.items()}
        data['redistribute_recycled'] = bool(self.redistribute.value)
        data['calendar'] = {
            'weekdays': sorted(self.weekdays.value or []),
            'start': (self.start.value or '').strip(),
            'end': (self.end.value or '').strip(),
            'tz': (self.tz.value or '').strip(),
            'holidays': parse_dates(self.holidays.value),
            'extra_workdays': parse_dates(self.extra_workdays.value),
        }
        return data

    def _fields_named(self, detail: str) -> list[ValidationElement]:
        """The inputs a core message is about: it starts with the setting's name (best effort)."""
        first = re.split(r'[\s:]', detail.strip(), maxsplit=1)[0]
        named: dict[str, list[ValidationElement]] = {
            'sla_hours': list(self.sla.values()),
            **{key: [field] for key, field in self.numbers.items()},
            'weekdays': [self.weekdays], 'calendar': [self.weekdays], 'start': [self.start], 'end': [self.end],
            'tz': [self.tz], 'holidays': [self.holidays], 'extra_workdays': [self.extra_workdays],
            'dates': [self.holidays, self.extra_workdays],
        }
        if 'time zone' in detail:
            return [self.tz]
        return named.get(first, [])

    def _clear_errors(self) -> None:
        self.error.set_text('')
        for field in (*self.numbers.values(), *self.sla.values(), self.weekdays, self.start, self.end, self.tz,
                      self.holidays, self.extra_workdays):
            field.error = None

    # ----- actions --------------------------------------------------------------------------------

    async def save(self) -> None:
        self._clear_errors()
        try:
            policy = await run.io_bound(self.desk.set_policy, self.user, self.values())
        except ValidationFailed as e:
            detail = e.detail or t('err.field.policy')
            self.error.set_text(detail)
            for field in self._fields_named(detail):
                field.error = detail
            ui.notify(t('policy.not_saved', detail=detail), type='negative', multi_line=True)
            return  # the form keeps what was typed
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.fill(policy)
        ui.notify(t('common.saved'), type='positive')
        if self.on_saved is not None:
            await self.on_saved()

    async def restore(self) -> None:
        self._clear_errors()
        try:
            policy = await run.io_bound(self.desk.set_policy, self.user, None)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.fill(policy)
        ui.notify(t('policy.restored'), type='positive')
        if self.on_saved is not None:
            await self.on_saved()


class TimerPreview:
    """What the timer will do in the next day, soonest first; admins can run it now."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(t('preview.title', hours=PREVIEW_HOURS)).classes('text-h6')
                ui.space()
                tid(ui.button(t('preview.refresh'), icon='refresh', on_click=self.refresh).props('flat'),
                    'timer-preview-refresh')
                if self.user.role == Role.ADMIN:  # core lets only admins run the timer by hand
                    tid(ui.button(t('timer.run'), icon='play_arrow', on_click=self.run_now), 'run-timer')
            columns = [
                {'name': 'at', 'label': t('preview.col_at'), 'field': 'at', 'align': 'left'},
                {'name': 'action', 'label': t('preview.col_action'), 'field': 'action_label', 'align': 'left'},
                {'name': 'lead', 'label': t('preview.col_lead'), 'field': 'lead', 'align': 'left'},
                {'name': 'owner', 'label': t('field.owner'), 'field': 'owner', 'align': 'left'},
                {'name': 'pool', 'label': t('preview.col_pool'), 'field': 'pool', 'align': 'left'},
            ]
            self.drops = tid(ui.row().classes('w-full items-center gap-2'), 'timer-preview-pools')
            with table_region(t('preview.title', hours=PREVIEW_HOURS)):
                self.table = tid(ui.table(rows=[], columns=columns, row_key='key', pagination=15)
                                 .classes('cursor-pointer').props('flat bordered'), 'timer-preview')
            self.table.props['no-data-label'] = t('preview.empty')
            self.table.on('rowClick', lambda e: ui.navigate.to(e.args[1]['href']))
        ui.timer(0, self.refresh, once=True)

    @staticmethod
    def _row(i: int, p: Planned) -> dict[str, Any]:
        href = (f'/customers/{p.account_id}' if p.account_id else f'/opportunities/{p.opportunity_id}'
                if p.opportunity_id else '/team' if p.user_id else '/import' if p.import_job_id
                else f'/leads/{p.lead_id}')
        return {'key': i, 'lead_id': p.lead_id, 'href': href, 'at': when(p.at), 'action': p.action,
                'action_label': action_label(p.action), 'lead': p.lead_name,
                'owner': p.owner_name or t('lead.unassigned'), 'pool': pool_label(p.pool) if p.pool else ''}

    async def refresh(self) -> None:
        try:
            plan = await run.io_bound(self.desk.preview_timer, self.user, PREVIEW_HOURS)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.table.update_rows([self._row(i, p) for i, p in enumerate(plan)])
        self.drops.clear()
        with self.drops:  # per pool: what drops into it in the window
            drops = drops_by_pool(plan)
            ui.label(t('preview.drops_title') if drops else t('preview.drops_none')).classes('text-sm text-grey-8')
            for pool, count in drops:
                tid(ui.badge(t('preview.drops', pool=pool_label(pool), n=count)).props('outline color=primary'),
                    f'timer-preview-pool-{pool.id}')

    async def run_now(self) -> None:
        try:
            report = await run.io_bound(self.desk.run_timer, self.user)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        summary = report.summary()
        if summary:
            text = ', '.join(f'{action_label(step)}: {count}' for step, count in summary.items())
            ui.notify(t('timer.done', summary=text), type='positive', multi_line=True)
        else:
            ui.notify(t('timer.nothing_due'), type='info')
        await self.refresh()


def register(desk: Desk) -> None:
    @ui.page('/automation')
    async def automation_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('automation.title'), user):
            if not permissions.can_assign(user):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            ui.label(t('automation.title')).classes('text-h5')
            preview = TimerPreview(desk, user)
            policy = await run.io_bound(desk.policy)
            rules = await run.io_bound(desk.recycle_rules.rules, user)  # read before drawing: the page appears whole
            PolicyForm(desk, user, on_saved=preview.refresh).build(policy)
            PoolsEditor(desk, user, on_saved=preview.refresh).build()
            RecycleRulesEditor(desk, user, on_saved=preview.refresh).build(rules)
            preview.build()
        return None
