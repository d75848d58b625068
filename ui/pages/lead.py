"""The lead page (`/leads/<id>`): fields, score breakdown, assignment, activities, audit."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from core.leads import EDITABLE_FIELDS, LeadView
from store.models import ActivityKind, UserRef

from ..errors import clear_field_errors, message, show_field_errors
from ..format import label, when, zone
from ..i18n import current_language, reason, t
from ..marks import tid
from ..session import require_user
from ..theme import frame

LOGGABLE = [k.value for k in ActivityKind if k != ActivityKind.TOUCH]


class LeadPage:
    def __init__(self, desk: Desk, user: UserRef, view: LeadView) -> None:
        self.desk, self.user, self.view = desk, user, view
        self.lead_id = view.lead.id or 0
        self.fields: dict[str, Any] = {}

    def build(self) -> None:
        self.header()
        with ui.row().classes('w-full gap-4 items-start no-wrap max-md:flex-wrap'):
            with ui.column().classes('flex-1 min-w-80'):
                self.details()
            with ui.column().classes('w-96 max-w-full'):
                self.side()
        self.timeline()
        for event in (self.desk.events.lead_changed, self.desk.events.lead_touched):
            event.subscribe(self._on_change)
        self.desk.events.lead_assigned.subscribe(self._on_assigned)

    async def reload(self) -> None:
        self.view = await run.io_bound(self.desk.leads.lead_view, self.user, self.lead_id)
        self.header.refresh()
        self.side.refresh()
        self.timeline.refresh()

    async def _on_change(self, lead_id: int, _owner_id: int | None) -> None:
        if lead_id == self.lead_id:
            await self.reload()

    async def _on_assigned(self, lead_id: int, _owner: int | None, _previous: int | None) -> None:
        if lead_id == self.lead_id:
            await self.reload()

    @ui.refreshable_method
    def header(self) -> None:
        lead = self.view.lead
        with ui.row().classes('w-full items-center gap-3'):
            tid(ui.label(lead.name).classes('text-h5'), 'lead-name')
            ui.badge(lead.grade, color={'A': 'red', 'B': 'orange'}.get(lead.grade, 'grey')).mark('lead-grade')
            tid(ui.badge(label('status', lead.status), color='primary'), 'lead-status')
            ui.label(label('temperature', lead.temperature)).classes('text-grey-8')
            ui.space()
            owner = self.view.owner_name or t('lead.unassigned')
            tid(ui.label(t('lead.owner_is', owner=owner)).classes('text-grey-8'), 'lead-owner')
            if self.view.can_edit:
                tid(ui.button(t('activity.log'), icon='add_comment', on_click=self.log_activity), 'log-activity')
                tid(ui.button(t('lead.disqualify'), on_click=self.disqualify).props('flat color=negative'),
                    'disqualify')
        if lead.disqualify_reason:
            ui.label(t('lead.disqualified_because', reason=lead.disqualify_reason)).classes('text-negative')

    def details(self) -> None:
        lead = self.view.lead
        with ui.card().classes('w-full'):
            ui.label(t('lead.details')).classes('text-subtitle1 font-bold')
            with ui.grid(columns=2).classes('w-full gap-2'):
                for name in EDITABLE_FIELDS:
                    widget = ui.textarea if name in ('message', 'need') else ui.input
                    element = tid(widget(t(f'field.{name}'), value=getattr(lead, name) or '')
                                  .props('dense maxlength=5000'), f'field-{name}')
                    if not self.view.can_edit:
                        element.props('readonly')
                    self.fields[name] = element
                ui.input(t('field.source'), value=label('source', lead.source)).props('dense readonly')
                ui.input(t('field.created_at'), value=when(lead.created_at)).props('dense readonly')
            if self.view.can_edit:
                tid(ui.button(t('common.save'), on_click=self.save), 'save-lead')

    async def save(self) -> None:
        clear_field_errors(self.fields)
        changes = {k: (v.value or None) for k, v in self.fields.items()}
        try:
            await run.io_bound(self.desk.leads.update_lead, self.user, self.lead_id,
                               version=self.view.lead.version, changes=changes)
        except ValidationFailed as e:
            show_field_errors(e, self.fields)
            return
        except DomainError as e:
            ui.notify(message(e), type='negative', multi_line=True)
            return
        ui.notify(t('common.saved'), type='positive')
        await self.reload()

    @ui.refreshable_method
    def side(self) -> None:
        lead = self.view.lead
        with ui.card().classes('w-full'):
            ui.label(t('lead.score_title', score=lead.score, grade=lead.grade)).classes('text-subtitle1 font-bold')
            lang_key = 'zh' if current_language() == 'zh-CN' else 'en'
            with tid(ui.column().classes('gap-1 w-full'), 'score-breakdown'):
                if not lead.score_reasons:
                    ui.label(t('lead.no_points')).classes('text-grey-7')
                for r in lead.score_reasons:
                    with ui.row().classes('w-full justify-between'):
                        ui.label(str(r.get(lang_key) or r.get('en') or ''))
                        ui.label(f'+{r.get("points", 0)}').classes('font-mono')
        with tid(ui.card().classes('w-full'), 'lead-clocks'):
            ui.label(t('lead.clocks')).classes('text-subtitle1 font-bold')
            if lead.sla_status:
                text = t(f'lead.sla_{lead.sla_status}', at=when(lead.sla_due_at))
                ui.label(text).classes('text-negative' if lead.sla_status == 'failed' else '')
            if lead.protected_until:
                ui.label(t('lead.protected_until', at=when(lead.protected_until)))
            if lead.next_follow_up_at:
                ui.label(t('activity.next_at', at=when(lead.next_follow_up_at)))
            if lead.recycle_count:
                ui.label(t('lead.recycled_times', count=lead.recycle_count))
        with ui.card().classes('w-full'):
            ui.label(t('lead.assignment')).classes('text-subtitle1 font-bold')
            if lead.assignment_reason:
                params = {k: v for k, v in lead.assignment_reason.items() if k != 'key'}
                tid(ui.label(reason(lead.assignment_reason.get('key'), params)), 'assignment-reason')
            if self.view.can_assign:
                reps = {r.id: r.name for r in self.desk.team.reps()}
                picker = tid(ui.select(reps, label=t('lead.assign_to'), value=lead.owner_id)
                             .props('dense').classes('w-full'), 'assign-picker')

                async def assign() -> None:
                    if not picker.value:
                        return
                    try:
                        await run.io_bound(self.desk.leads.assign_lead, self.user, self.lead_id, rep_id=picker.value)
                    except DomainError as e:
                        ui.notify(message(e), type='negative')
                        return
                    ui.notify(t('lead.assigned_ok'), type='positive')
                    await self.reload()

                tid(ui.button(t('lead.assign'), on_click=assign).props('flat'), 'assign')

    @ui.refreshable_method
    def timeline(self) -> None:
        with ui.row().classes('w-full gap-4 items-start no-wrap max-md:flex-wrap'):
            with ui.card().classes('flex-1 min-w-80'):
                ui.label(t('activity.title')).classes('text-subtitle1 font-bold')
                with tid(ui.column().classes('w-full gap-2'), 'activities'):
                    if not self.view.activities:
                        ui.label(t('activity.none')).classes('text-grey-7')
                    for activity, author in self.view.activities:
                        with ui.column().classes('w-full gap-0 border-l-4 border-blue-200 pl-2'):
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
                                ui.label(t('activity.next_at', at=when(activity.next_follow_up_at))) \
                                    .classes('text-xs text-primary')
            with ui.card().classes('w-96 max-w-full'):
                ui.label(t('audit.title')).classes('text-subtitle1 font-bold')
                with tid(ui.column().classes('w-full gap-1'), 'audit'):
                    for entry, actor in self.view.audit:
                        who = actor or t('audit.system')
                        ui.label(f'{when(entry.created_at)} · {who}').classes('text-xs text-grey-7')
                        ui.label(reason(entry.reason_key, entry.reason_params)).classes('text-sm break-words')

    def log_activity(self) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full'):
            ui.label(t('activity.log')).classes('text-h6')
            kind = tid(ui.select({k: t(f'activity.{k}') for k in LOGGABLE}, value=ActivityKind.CALL,
                                 label=t('activity.kind')).classes('w-full'), 'activity-kind')
            outcome = tid(ui.input(t('activity.outcome')).props('maxlength=200').classes('w-full'),
                          'activity-outcome')
            note = tid(ui.textarea(t('activity.note')).props('maxlength=5000').classes('w-full'), 'activity-note')
            follow_up = tid(ui.input(t('activity.next_date')).props('type=date').classes('w-full'),
                            'activity-next')

            async def save() -> None:
                follow_up.error = None
                next_at = None
                if follow_up.value:
                    try:
                        day = datetime.fromisoformat(follow_up.value).date()
                    except ValueError:
                        follow_up.error = t('err.field.invalid')
                        return
                    next_at = datetime.combine(day, time(9, 0), tzinfo=zone())
                try:
                    await run.io_bound(self.desk.leads.log_activity, self.user, self.lead_id, kind=kind.value,
                                       outcome=outcome.value, note=note.value, next_follow_up_at=next_at)
                except ValidationFailed as e:
                    show_field_errors(e, {'next_follow_up_at': follow_up, 'kind': kind})
                    return
                except DomainError as e:
                    ui.notify(message(e), type='negative')
                    return
                dialog.close()
                await self.reload()

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('common.save'), on_click=save), 'activity-save')
        dialog.open()

    def disqualify(self) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-[28rem] max-w-full'):
            ui.label(t('lead.disqualify')).classes('text-h6')
            why = tid(ui.textarea(t('lead.disqualify_reason')).props('maxlength=500').classes('w-full'),
                      'disqualify-reason')

            async def confirm() -> None:
                why.error = None
                try:
                    await run.io_bound(self.desk.leads.disqualify_lead, self.user, self.lead_id, reason=why.value,
                                       version=self.view.lead.version)
                except ValidationFailed:
                    why.error = t('err.field.required')
                    return
                except DomainError as e:
                    ui.notify(message(e), type='negative')
                    return
                dialog.close()
                ui.navigate.reload()

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('lead.disqualify'), on_click=confirm).props('color=negative'), 'disqualify-confirm')
        dialog.open()


def register(desk: Desk) -> None:
    @ui.page('/leads/{lead_id}')
    def lead_page(request: Request, lead_id: str) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('lead.title'), user):
            try:
                view = desk.leads.lead_view(user, int(lead_id))
            except (NotFound, ValueError):
                tid(ui.label(t('err.not_found')).classes('text-h6'), 'not-found')
                return None
            except NotAllowed:
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                ui.link(t('nav.back_to_inbox'), '/')
                return None
            LeadPage(desk, user, view).build()
        return None
