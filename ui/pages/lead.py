"""The lead page (`/leads/<id>`): fields, score breakdown, assignment, activities, audit;
qualifying (BANT) and converting to an opportunity."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.accounts.collaborators import CollaboratorPanel
from core.accounts.grants import Grant
from core.automation.recycle_rules import RecycleAction
from core.custom_fields.requirements import FieldsNeeded
from core.custom_fields.values import CustomFields
from core.desk import Desk
from core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from core.leads.actions import EDITABLE_FIELDS, LeadView
from core.leads.fields import LEAD
from core.playbooks.working import PlaybookView
from core.tags.catalog import TagInfo, TagSet
from store.models import LeadStatus, RecordKind, TagEntity, UserRef

from .. import live
from ..components.activities import activity_list, open_log_dialog
from ..components.collaborators import CollaboratorsCard, shared_badge
from ..components.custom_fields import CustomSection, carried_values, dialog_inputs, dialog_values
from ..components.grant_line import GrantLine
from ..components.inline_edit import InlineSection
from ..components.kit import card
from ..components.phone import phone_link
from ..components.playbook_panel import PlaybookPanel, gated
from ..components.tags import RecordTags
from ..errors import clear_field_errors, message, show_field_errors
from ..format import label, phone, when, zone
from ..i18n import current_language, reason, t
from ..marks import tid
from ..session import require_user
from ..theme import PHONE_MAX_PX, frame

BANT = LEAD.to_qualify
SECTIONS = {'contact': tuple(f for f in EDITABLE_FIELDS if f not in BANT and f != 'message'),
            'qualify': tuple(f for f in EDITABLE_FIELDS if f in BANT or f == 'message')}
"""The lead's fields in two blocks, each read as text with its own pencil."""
BAR_PX = 64
CSS = f"""
.ld-action-bar {{ display: none; }}
@media (max-width: {PHONE_MAX_PX}px) {{
  :root {{ --ld-bottom-nav: {BAR_PX}px; }}
  .ld-action-bar {{ display: flex; position: fixed; left: 0; right: 0; bottom: 0; z-index: 2000; height: {BAR_PX}px;
                    padding: 8px 8px calc(8px + env(safe-area-inset-bottom)); gap: 8px; background: #fff;
                    border-top: 1px solid var(--ld-border); box-shadow: 0 -2px 8px rgba(0, 0, 0, .06); }}
  .ld-action-bar > * {{ flex: 1 1 0; min-width: 0; }}
  .ld-lead {{ padding-bottom: {BAR_PX}px; }}
}}
"""
"""On a phone: call, log an activity and the next follow-up in a bar at the thumb (toasts sit above it)."""


class LeadPage:
    def __init__(self, desk: Desk, user: UserRef, view: LeadView, opportunity_id: int | None = None,
                 playbook: PlaybookView | None = None, *, custom: CustomFields | None = None,
                 tags: tuple[TagSet, list[TagInfo]] | None = None,
                 collaborators: CollaboratorPanel | None = None, grant: Grant | None) -> None:
        self.desk, self.user, self.view = desk, user, view
        self.lead_id = view.lead.id or 0
        self.grant = GrantLine(desk, user, RecordKind.LEAD, self.lead_id, grant)
        """"Why can I see this?" in the header."""
        self.collaborators = CollaboratorsCard(desk, user, RecordKind.LEAD, self.lead_id, collaborators or
                                               CollaboratorsCard.read(desk, user, RecordKind.LEAD, self.lead_id))
        """Who else works this lead (issue 22), and add / remove for the owner and managers."""
        self.playbook = PlaybookPanel(desk, user, playbook or desk.playbooks.for_lead(user, self.lead_id),
                                      lead_id=self.lead_id)
        """The current step's checklist and talk tracks (issue 11)."""
        self.sections = {name: InlineSection(t(f'lead.section_{name}'), fields, mark=name,
                                             label=lambda n: t(f'field.{n}'), display=_display,
                                             multiline=lambda n: LEAD[n].multiline, on_save=self.save,
                                             editable=view.can_edit)
                         for name, fields in SECTIONS.items()}
        self.custom = CustomSection((custom or desk.leads.custom_fields()).definitions, on_save=self.save_custom,
                                    editable=view.can_edit)
        """The admin-defined fields (retired ones only when they hold a value), saved on their own."""
        self.fields: dict[str, Any] = {}
        """Every section's inputs by field name: the form saved as one."""
        self.opportunity_id = opportunity_id
        """The opportunity this lead was converted to (the header links to it)."""
        self.converting = False
        self._reads = live.ReadOrder()
        self._drawn: dict[str, object] = {}
        """What the refreshable parts show now (`_shown`), so a reload re-draws only what changed."""
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed header, so a live refresh does not delete them."""
        self.tags = RecordTags(desk, user, TagEntity.LEAD, self.lead_id, editable=view.can_edit, read=tags)
        """The lead's tags under its name: chips, and add / remove for whoever may edit it."""

    def build(self) -> None:
        ui.add_css(CSS)
        self._drawn = self._shown()
        with ui.column().classes('ld-lead w-full gap-4 min-w-0'):
            self.header()
            self.tags.build()
            with ui.row().classes('w-full gap-4 items-start no-wrap max-md:flex-wrap'):
                with ui.column().classes('flex-1 min-w-0 w-full gap-4'):
                    self.details()
                    self.activities()
                with ui.column().classes('w-96 max-w-full max-md:w-full gap-4'):
                    self.playbook.render()
                    self.collaborators.render()
                    self.side()
                    self.audit()
            self.action_bar()
        for event in (self.desk.events.lead_changed, self.desk.events.lead_touched):
            live.subscribe(event, self._on_change)
        live.subscribe(self.desk.events.lead_assigned, self._on_assigned)

    async def reload(self) -> None:
        """Re-read the lead and re-draw the parts whose content changed. One action publishes several
        events and each reloads; re-drawing an unchanged header or bar under the user's pointer
        swallows the click on the button being replaced, and an older read must never replace a newer."""
        read = self._reads.start()
        got = await run.io_bound(lambda: (self.desk.leads.lead_view(self.user, self.lead_id),
                                          self.grant.read_again()))  # owner or collaborators may have changed
        if got is None or not self._reads.may_show(read):  # the app is stopping, or a newer read is shown
            return
        self.view, self.grant.grant = got
        if self.view.lead.status == LeadStatus.CONVERTED and self.opportunity_id is None:
            self.opportunity_id = await run.io_bound(self.desk.pipeline.opportunity_for_lead, self.user,
                                                     self.lead_id)
        values = self._values()
        for section in self.sections.values():  # read-only from now on when converted or disqualified meanwhile
            section.show(values, editable=self.view.can_edit)
        self.custom.show(self.view.lead.custom or {}, editable=self.view.can_edit)
        if self.tags.editable != self.view.can_edit:
            self.tags.editable = self.view.can_edit
            await self.tags.reload()
        shown = self._shown()
        for name, part in (('header', self.header), ('side', self.side), ('activities', self.activities),
                           ('audit', self.audit), ('action_bar', self.action_bar)):
            if shown[name] != self._drawn.get(name):
                part.refresh()
        self._drawn = shown
        await self.playbook.reload()

    def _shown(self) -> dict[str, object]:
        """What each refreshable part draws from the view, comparable (table rows compare by identity)."""
        view = self.view
        lead = view.lead.model_dump()
        flags = (view.owner_name, view.can_edit, view.can_assign, view.can_log, self.opportunity_id,
                 self.collaborators.panel, self.grant.grant)
        return {'header': (lead, flags), 'side': (lead, flags, repr(view.recycle_rule)),
                'activities': [(a.model_dump(), who) for a, who in view.activities],
                'audit': [(e.id, who) for e, who in view.audit],
                'action_bar': (view.lead.phone, view.lead.next_follow_up_at, view.can_log)}

    async def _on_change(self, lead_id: int, _owner_id: int | None) -> None:
        if lead_id == self.lead_id:
            await self.reload()

    async def _on_assigned(self, lead_id: int, _owner: int | None, _previous: int | None) -> None:
        if lead_id == self.lead_id:
            await self.reload()

    @ui.refreshable_method
    def header(self) -> None:
        lead = self.view.lead
        with ui.column().classes('w-full gap-2'):
            with ui.row().classes('w-full items-center gap-2'):
                tid(ui.label(lead.name).classes('ld-title'), 'lead-name')
                ui.badge(lead.grade, color={'A': 'red', 'B': 'orange'}.get(lead.grade, 'grey')).mark('lead-grade')
                tid(ui.badge(label('status', lead.status), color='primary'), 'lead-status')
                shared_badge(self.collaborators.panel)
                ui.label(label('temperature', lead.temperature)).classes('ld-muted')
                if lead.account_id and lead.status != LeadStatus.CONVERTED:
                    with tid(ui.link(target=f'/customers/{lead.account_id}'), 'existing-customer'):
                        ui.badge(t('lead.existing_customer'), color='positive')
            with ui.row().classes('w-full items-center gap-x-4 gap-y-1'):
                phone_link(lead.phone, 'lead-phone')
                owner = self.view.owner_name or t('lead.unassigned')
                tid(ui.label(t('lead.owner_is', owner=owner)).classes('ld-muted'), 'lead-owner')
                self.grant.render()
                if lead.next_follow_up_at:
                    ui.label(t('activity.next_at', at=when(lead.next_follow_up_at))).classes('ld-muted')
            with ui.row().classes('w-full items-center gap-2'):
                if self.view.can_edit and lead.status == LeadStatus.CONTACTED:
                    tid(ui.button(t('lead.qualify'), icon='verified', on_click=self.qualify).props('outline'),
                        'qualify')
                if self.view.can_edit and lead.status == LeadStatus.QUALIFIED:
                    tid(ui.button(t('lead.convert'), icon='handshake', on_click=self.open_convert)
                        .props('color=positive'), 'convert')
                if self.view.can_log:
                    # on a phone the bar at the bottom has it
                    tid(ui.button(t('activity.log'), icon='add_comment', on_click=self.log_activity)
                        .classes('gt-xs'), 'log-activity')
                if self.view.can_edit:
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

    def _values(self) -> dict[str, str | None]:
        lead = self.view.lead
        return {name: getattr(lead, name) for name in EDITABLE_FIELDS}

    def details(self) -> None:
        """The fields as text, a pencil per block; source and arrival below, never editable."""
        values = self._values()
        for section in self.sections.values():
            section.render(values)
            self.fields.update(section.inputs)
        lead = self.view.lead
        self.custom.render(lead.custom or {})
        ui.label(f'{t("field.source")}: {label("source", lead.source)} · '
                 f'{t("field.created_at")}: {when(lead.created_at)}').classes('ld-caption -mt-2')

    def _open_sections_with(self, names: list[str]) -> None:
        for section in self.sections.values():
            if section.holds(names):
                section.open()

    async def save(self) -> bool:
        if await self._store_fields():
            ui.notify(t('common.saved'), type='positive')
            return True
        return False

    async def save_custom(self, values: dict[str, Any]) -> bool:
        """Store the custom values that changed; ValidationFailed goes back to the section, which
        marks its fields."""
        if values:
            try:
                await run.io_bound(self.desk.leads.update_lead, self.user, self.lead_id,
                                   version=self.view.lead.version, changes={'custom': values})
            except ValidationFailed:  # the section marks its fields
                raise
            except DomainError as e:
                ui.notify(message(e), type='negative', multi_line=True)
                return False
            await self.reload()
        ui.notify(t('common.saved'), type='positive')
        return True

    async def _store_fields(self) -> bool:
        """Save the form (a no-op when nothing changed); False when refused, with the reason shown."""
        clear_field_errors(self.fields)
        changes = {k: (v.value or None) for k, v in self.fields.items()}
        try:
            await run.io_bound(self.desk.leads.update_lead, self.user, self.lead_id,
                               version=self.view.lead.version, changes=changes)
        except ValidationFailed as e:
            self._open_sections_with(list(e.errors))
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
                self._open_sections_with(list(e.errors))
                show_field_errors(e, self.fields)
                missing = [t(f'field.{f}') for f in BANT if f in e.errors]
                ui.notify(t('lead.qualify_missing', fields=', '.join(missing)), type='negative', multi_line=True)
                return
            except FieldsNeeded as e:  # custom fields required at qualification: open them, marked
                self.custom.mark_needed(e.errors)
                ui.notify(message(e), type='negative', multi_line=True)
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
            deal_fields, needed = self.desk.pipeline.fields_to_convert()
            carried = carried_values(self.custom.fields, lead.custom or {}, deal_fields.definitions)
            custom = dialog_inputs(deal_fields.definitions, needed=needed, mark='convert-custom', values=carried)
            fields |= custom

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
                                warn_open=warn, custom=dialog_values(custom) if custom else None))
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
            kept = self.view.recycle_rule
            if lead.protected_until and kept is not None and kept.ends_at is None:
                tid(ui.label(t('lead.kept_by_rule', rule=kept.rule.rule.name)), 'lead-recycle-rule')
            elif lead.protected_until and kept is not None and kept.rule.rule.action == RecycleAction.POOL:
                tid(ui.label(t('lead.to_pool_by_rule', at=when(lead.protected_until), rule=kept.rule.rule.name)),
                    'lead-recycle-rule')
            elif lead.protected_until and kept is not None:
                tid(ui.label(t('lead.later_by_rule', at=when(kept.ends_at), rule=kept.rule.rule.name,
                               days=kept.rule.rule.days)), 'lead-recycle-rule')
            elif lead.protected_until:
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
    def activities(self) -> None:
        with card(t('activity.title'), mark='activities-card'):
            activity_list(self.view.activities)

    @ui.refreshable_method
    def audit(self) -> None:
        with card(t('audit.title')):
            with tid(ui.column().classes('w-full gap-1'), 'audit'):
                for entry, actor in self.view.audit:
                    who = actor or t('audit.system')
                    ui.label(f'{when(entry.created_at)} · {who}').classes('ld-caption')
                    ui.label(reason(entry.reason_key, entry.reason_params)).classes('text-sm break-words')

    @ui.refreshable_method
    def action_bar(self) -> None:
        """A phone's bar: call, log an activity, the next follow-up (its date when set) — each one tap."""
        lead = self.view.lead
        number = phone(lead.phone)
        with tid(ui.element('div'), 'action-bar').classes('ld-action-bar'):
            call = tid(ui.button(t('lead.call'), icon='call').props('outline no-caps stack dense'), 'bar-call')
            if number.href:
                call.props(f'href="{number.href}"')
            else:
                call.disable()
            if self.view.can_log:
                tid(ui.button(t('activity.log'), icon='add_comment', on_click=self.log_activity)
                    .props('no-caps stack dense'), 'bar-log-activity')
                follow = when(lead.next_follow_up_at) if lead.next_follow_up_at else t('lead.follow_up')
                tid(ui.button(follow, icon='event', on_click=lambda: self.log_activity(follow_up=True))
                    .props('outline no-caps stack dense').classes('ellipsis'), 'bar-follow-up')

    def log_activity(self, follow_up: bool = False) -> None:
        with self.outside:
            open_log_dialog(lambda **kw: self.desk.leads.log_activity(self.user, self.lead_id, **kw), self.reload,
                            checklist=self.playbook.open_choices(), focus_follow_up=follow_up,
                            today=self.desk.ctx.now().astimezone(zone()).date())

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


def _display(name: str, value: str) -> str:
    """How a stored field reads: a phone in national format, the rest as typed."""
    return phone(value).text if name == 'phone' else value


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
        custom: CustomFields | None = None
        tags: tuple[TagSet, list[TagInfo]] | None = None
        collaborators: CollaboratorPanel | None = None
        grant: Grant | None = None
        try:
            view = await run.io_bound(desk.leads.lead_view, user, int(lead_id))
            playbook = await run.io_bound(desk.playbooks.for_lead, user, int(lead_id))
            custom = await run.io_bound(desk.leads.custom_fields)
            tags = await run.io_bound(RecordTags.read, desk, user, TagEntity.LEAD, int(lead_id))
            collaborators = await run.io_bound(CollaboratorsCard.read, desk, user, RecordKind.LEAD, int(lead_id))
            grant = await run.io_bound(GrantLine.read, desk, user, RecordKind.LEAD, int(lead_id))
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
                LeadPage(desk, user, view, opportunity_id, playbook, custom=custom, tags=tags,
                         collaborators=collaborators, grant=grant).build()
        return None
