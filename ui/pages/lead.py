"""The lead page (`/leads/<id>`): fields, score breakdown, assignment, activities, audit;
qualifying (BANT) and converting to an opportunity."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from core.leads.actions import EDITABLE_FIELDS, LeadView
from core.leads.fields import LEAD
from core.playbooks.working import PlaybookView
from store.models import LeadStatus, UserRef

from .. import live
from ..components.activities import activity_list, open_log_dialog
from ..components.phone import phone_link
from ..components.playbook_panel import PlaybookPanel, gated
from ..errors import clear_field_errors, message, show_field_errors
from ..format import label, when
from ..i18n import current_language, reason, t
from ..marks import tid
from ..session import require_user
from ..theme import frame

BANT = LEAD.to_qualify


class LeadPage:
    def __init__(self, desk: Desk, user: UserRef, view: LeadView, opportunity_id: int | None = None,
                 playbook: PlaybookView | None = None) -> None:
        self.desk, self.user, self.view = desk, user, view
        self.lead_id = view.lead.id or 0
        self.playbook = PlaybookPanel(desk, user, playbook or desk.playbooks.for_lead(user, self.lead_id),
                                      lead_id=self.lead_id)
        """The current step's checklist and talk tracks (issue 11)."""
        self.fields: dict[str, Any] = {}
        self.opportunity_id = opportunity_id
        """The opportunity this lead was converted to (the header links to it)."""
        self.save_button: ui.button | None = None
        self.converting = False
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed header, so a live refresh does not delete them."""

    def build(self) -> None:
        self.header()
        with ui.row().classes('w-full gap-4 items-start no-wrap max-md:flex-wrap'):
            with ui.column().classes('flex-1 min-w-80'):
                self.details()
            with ui.column().classes('w-96 max-w-full'):
                self.playbook.render()
                self.side()
        self.timeline()
        for event in (self.desk.events.lead_changed, self.desk.events.lead_touched):
            live.subscribe(event, self._on_change)
        live.subscribe(self.desk.events.lead_assigned, self._on_assigned)

    async def reload(self) -> None:
        view = await run.io_bound(self.desk.leads.lead_view, self.user, self.lead_id)
        if view is None:  # the app is stopping
            return
        self.view = view
        if self.view.lead.status == LeadStatus.CONVERTED and self.opportunity_id is None:
            self.opportunity_id = await run.io_bound(self.desk.pipeline.opportunity_for_lead, self.user,
                                                     self.lead_id)
        if not self.view.can_edit:  # converted or disqualified meanwhile: read-only from now on
            for element in self.fields.values():
                element.props('readonly')
            if self.save_button is not None:
                self.save_button.set_visibility(False)
        self.header.refresh()
        self.side.refresh()
        self.timeline.refresh()
        await self.playbook.reload()

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
            phone_link(lead.phone, 'lead-phone')
            if lead.account_id and lead.status != LeadStatus.CONVERTED:
                with tid(ui.link(target=f'/customers/{lead.account_id}'), 'existing-customer'):
                    ui.badge(t('lead.existing_customer'), color='positive')
            ui.space()
            owner = self.view.owner_name or t('lead.unassigned')
            tid(ui.label(t('lead.owner_is', owner=owner)).classes('text-grey-8'), 'lead-owner')
            if self.view.can_edit and lead.status == LeadStatus.CONTACTED:
                tid(ui.button(t('lead.qualify'), icon='verified', on_click=self.qualify).props('outline'), 'qualify')
            if self.view.can_edit and lead.status == LeadStatus.QUALIFIED:
                tid(ui.button(t('lead.convert'), icon='handshake', on_click=self.open_convert)
                    .props('color=positive'), 'convert')
            if self.view.can_edit:
                tid(ui.button(t('activity.log'), icon='add_comment', on_click=self.log_activity), 'log-activity')
                tid(ui.button(t('lead.disqualify'), on_click=self.disqualify).props('flat color=negative'),
                    'disqualify')
        if lead.status == LeadStatus.CONVERTED:
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(t('lead.converted_read_only')).classes('text-grey-8')
                if self.opportunity_id is not None:
                    tid(ui.link(t('lead.opportunity_link'), f'/opportunities/{self.opportunity_id}'),
                        'opportunity-link')
        if lead.disqualify_reason:
            ui.label(t('lead.disqualified_because', reason=lead.disqualify_reason)).classes('text-negative')

    def details(self) -> None:
        lead = self.view.lead
        with ui.card().classes('w-full'):
            ui.label(t('lead.details')).classes('text-subtitle1 font-bold')
            with ui.grid(columns=2).classes('w-full gap-2'):
                for name in EDITABLE_FIELDS:
                    widget = ui.textarea if LEAD[name].multiline else ui.input
                    element = tid(widget(t(f'field.{name}'), value=getattr(lead, name) or '')
                                  .props('dense maxlength=5000'), f'field-{name}')
                    if not self.view.can_edit:
                        element.props('readonly')
                    self.fields[name] = element
                ui.input(t('field.source'), value=label('source', lead.source)).props('dense readonly')
                ui.input(t('field.created_at'), value=when(lead.created_at)).props('dense readonly')
            if self.view.can_edit:
                self.save_button = tid(ui.button(t('common.save'), on_click=self.save), 'save-lead')

    async def save(self) -> None:
        if await self._store_fields():
            ui.notify(t('common.saved'), type='positive')

    async def _store_fields(self) -> bool:
        """Save the form (a no-op when nothing changed); False when refused, with the reason shown."""
        clear_field_errors(self.fields)
        changes = {k: (v.value or None) for k, v in self.fields.items()}
        try:
            await run.io_bound(self.desk.leads.update_lead, self.user, self.lead_id,
                               version=self.view.lead.version, changes=changes)
        except ValidationFailed as e:
            show_field_errors(e, self.fields)
            return False
        except DomainError as e:
            ui.notify(message(e), type='negative', multi_line=True)
            return False
        await self.reload()
        return True

    async def qualify(self) -> None:
        """Contacted → qualified. What was typed into the BANT fields is saved first; the
        fields still missing are marked where they are."""
        if not await self._store_fields():
            return
        version = self.view.lead.version
        # Saving the fields refreshed the header that held the clicked button: go on in an element
        # that stays, or messages lose their page (and with it the page's language).
        with self.outside:
            try:  # open checklist items: confirm first; required ones refuse
                done, _ = await gated(lambda warn: self.desk.leads.qualify_lead(self.user, self.lead_id,
                                                                                version=version, warn_open=warn))
                if not done:
                    return
            except ValidationFailed as e:
                show_field_errors(e, self.fields)
                missing = [t(f'field.{f}') for f in BANT if f in e.errors]
                ui.notify(t('lead.qualify_missing', fields=', '.join(missing)), type='negative', multi_line=True)
                return
            except DomainError as e:
                ui.notify(message(e), type='negative', multi_line=True)
                return
            ui.notify(t('lead.qualified_ok'), type='positive')
            await self.reload()

    def open_convert(self) -> None:
        lead = self.view.lead
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full'):
            ui.label(t('lead.convert')).classes('text-h6')
            ui.label(t('lead.convert_hint')).classes('text-sm text-grey-7')
            fields = {
                'name': tid(ui.input(t('opp.name'), value=lead.company or lead.name)
                            .props('maxlength=200').classes('w-full'), 'convert-name'),
                'amount': tid(ui.input(t('opp.amount')).props('maxlength=20 inputmode=decimal autofocus')
                              .classes('w-full'), 'convert-amount'),
                'expected_close': tid(ui.input(t('opp.expected_close')).props('type=date').classes('w-full'),
                                      'convert-close'),
                'decision_maker': tid(ui.input(t('opp.decision_maker'), value=lead.authority or '')
                                      .props('maxlength=200').classes('w-full'), 'convert-decision-maker'),
            }
            with ui.column().classes('w-full gap-0 text-sm text-grey-8'):
                for name in ('need', 'budget', 'timeline'):
                    if getattr(lead, name):
                        ui.label(f'{t("field." + name)}: {getattr(lead, name)}').classes('break-words')

            async def submit() -> None:
                if self.converting:  # a double click converts once (and core finds the first one anyway)
                    return
                clear_field_errors(fields)
                try:
                    close = _day(fields['expected_close'].value)
                except ValueError:
                    fields['expected_close'].error = t('err.field.invalid')
                    return
                self.converting = True
                button.disable()
                try:
                    with self.outside:  # open checklist items: confirm first; required ones refuse
                        done, opportunity_id = await gated(
                            lambda warn: self.desk.pipeline.convert_lead(
                                self.user, self.lead_id, amount=fields['amount'].value, expected_close=close,
                                decision_maker=fields['decision_maker'].value, name=fields['name'].value,
                                warn_open=warn))
                    if not done:
                        return
                except ValidationFailed as e:
                    show_field_errors(e, fields)
                    return
                except DomainError as e:
                    ui.notify(message(e), type='negative', multi_line=True)
                    return
                finally:
                    self.converting = False
                    button.enable()
                dialog.close()
                ui.navigate.to(f'/opportunities/{opportunity_id}')

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                button = tid(ui.button(t('lead.convert'), on_click=submit), 'convert-submit')
        dialog.open()

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
                activity_list(self.view.activities)
            with ui.card().classes('w-96 max-w-full'):
                ui.label(t('audit.title')).classes('text-subtitle1 font-bold')
                with tid(ui.column().classes('w-full gap-1'), 'audit'):
                    for entry, actor in self.view.audit:
                        who = actor or t('audit.system')
                        ui.label(f'{when(entry.created_at)} · {who}').classes('text-xs text-grey-7')
                        ui.label(reason(entry.reason_key, entry.reason_params)).classes('text-sm break-words')

    def log_activity(self) -> None:
        open_log_dialog(lambda **kw: self.desk.leads.log_activity(self.user, self.lead_id, **kw), self.reload,
                        checklist=self.playbook.open_choices())

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


def _day(text: str | None) -> date | None:
    """A date input's value (None when empty); ValueError when it is not a date."""
    return date.fromisoformat(text.strip()) if text and text.strip() else None


def register(desk: Desk) -> None:
    @ui.page('/leads/{lead_id}')
    async def lead_page(request: Request, lead_id: str) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        # read before the frame starts its timers, so the first response carries the whole page
        refused, opportunity_id, merged_into = None, None, None
        try:
            view = await run.io_bound(desk.leads.lead_view, user, int(lead_id))
            playbook = await run.io_bound(desk.playbooks.for_lead, user, int(lead_id))
            if view.lead.status == LeadStatus.CONVERTED:
                opportunity_id = await run.io_bound(desk.pipeline.opportunity_for_lead, user, view.lead.id or 0)
        except (NotFound, ValueError):
            refused = 'not-found'
            merged_into = await run.io_bound(desk.merges.merged_into, user, int(lead_id)) \
                if lead_id.isdigit() else None
        except NotAllowed:
            refused = 'not-allowed'
        with frame(desk, t('lead.title'), user):
            if merged_into is not None:
                tid(ui.link(t('dup.archived', id=merged_into[0], name=merged_into[1]), f'/leads/{merged_into[0]}'),
                    'merged-into')
            elif refused == 'not-found':
                tid(ui.label(t('err.not_found')).classes('text-h6'), 'not-found')
            elif refused == 'not-allowed':
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                ui.link(t('nav.back_to_inbox'), '/')
            else:
                LeadPage(desk, user, view, opportunity_id, playbook).build()
        return None
