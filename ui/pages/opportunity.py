"""The opportunity page (`/opportunities/<id>`): fields edited with a version check, the stage and
its history, one activity timeline (the lead's and the deal's), links to the lead and the customer."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.accounts.collaborators import CollaboratorPanel
from core.accounts.grants import Grant
from core.custom_fields.values import NO_FIELDS, CustomFields
from core.desk import Desk
from core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from core.leads.fields import OPPORTUNITY_TEXT
from core.pipeline.board import OpportunityView
from core.pipeline.deals import StaleOpportunity
from core.playbooks.working import PlaybookView
from core.tags.catalog import TagInfo, TagSet
from store.models import RecordKind, Stage, StageKind, TagEntity, UserRef

from .. import live
from ..components.activities import activity_list, open_log_dialog, parse_day
from ..components.collaborators import CollaboratorsCard, shared_badge
from ..components.custom_fields import CustomSection
from ..components.grant_line import GrantLine
from ..components.inline_edit import InlineSection
from ..components.phone import phone_link
from ..components.playbook_panel import PlaybookPanel
from ..components.table import table_region
from ..components.tags import RecordTags
from ..errors import clear_field_errors, message, show_field_errors
from ..format import amount_text, money, stage_name, when
from ..i18n import current_language, t
from ..marks import tid
from ..session import require_user
from ..theme import frame

TEXT_FIELDS = OPPORTUNITY_TEXT
STAGE_COLORS = {StageKind.WON: 'positive', StageKind.LOST: 'negative'}


FIELD_LABELS = {'name': 'opp.name', 'amount': 'opp.amount', 'expected_close': 'opp.expected_close',
                'decision_maker': 'opp.decision_maker', 'budget': 'field.budget', 'timeline': 'field.timeline',
                'need': 'field.need'}
FIELD_PROPS = {'name': 'maxlength=200', 'amount': 'maxlength=20 inputmode=decimal', 'expected_close': 'type=date',
               'decision_maker': 'maxlength=200', 'budget': 'maxlength=200', 'timeline': 'maxlength=200',
               'need': 'maxlength=500'}


def _label(name: str) -> str:
    return t(FIELD_LABELS[name])


def _props(name: str) -> str:
    return FIELD_PROPS[name]


def _display(name: str, value: str) -> str:
    """How a stored field reads: the amount as money (as the header shows it), the rest as typed."""
    if name == 'amount':
        try:
            return money(int(Decimal(value) * 100))
        except InvalidOperation:
            return value
    return value


class OpportunityPage:
    def __init__(self, desk: Desk, user: UserRef, view: OpportunityView, stages: list[Stage],
                 lost_reasons: list[tuple[str, str, str]], *, playbook: PlaybookView | None = None,
                 custom: CustomFields = NO_FIELDS, tags: tuple[TagSet, list[TagInfo]] | None = None,
                 collaborators: CollaboratorPanel | None = None, grant: Grant | None) -> None:
        self.desk, self.user, self.view = desk, user, view
        self.opportunity_id = view.opportunity.id or 0
        self.grant = GrantLine(desk, user, RecordKind.OPPORTUNITY, self.opportunity_id, grant)
        """"Why can I see this?" in the header."""
        self.collaborators = CollaboratorsCard(
            desk, user, RecordKind.OPPORTUNITY, self.opportunity_id,
            collaborators or CollaboratorsCard.read(desk, user, RecordKind.OPPORTUNITY, self.opportunity_id))
        """Who else works this deal (issue 22)."""
        self.tags = RecordTags(desk, user, TagEntity.OPPORTUNITY, self.opportunity_id, editable=view.can_edit,
                               read=tags)
        """The deal's tags under its name."""
        self.playbook = PlaybookPanel(desk, user, playbook or desk.playbooks.for_opportunity(user, self.opportunity_id),
                                      opportunity_id=self.opportunity_id)
        """The current stage's checklist and talk tracks (issue 11)."""
        self.stages = {s.id: s for s in stages} | {view.stage.id: view.stage}
        self.lost_reasons = {key: (zh if current_language() == 'zh-CN' else en) for key, en, zh in lost_reasons}
        self.fields: dict[str, Any] = {}
        self.edit_version = view.opportunity.version
        """The version the form was filled from: a save against anything newer is refused."""
        self.outside = ui.element()
        """Dialogs live here, outside the refreshed parts."""
        self.custom = CustomSection(custom.definitions, on_save=self.save_custom, editable=view.can_edit)
        """"More fields": the deal's custom fields, saved on their own (outside the refreshed details)."""

    def build(self) -> None:
        self.header()
        self.tags.build()
        with ui.row().classes('w-full gap-4 items-start no-wrap max-md:flex-wrap'):
            with ui.column().classes('flex-1 min-w-80 max-sm:min-w-0 max-sm:w-full'):
                self.details()
                self.custom.render(self.view.opportunity.custom or {})
            with ui.column().classes('w-96 max-w-full'):
                self.playbook.render()
                self.stage_card()
                self.collaborators.render()
        self.timeline()
        live.subscribe(self.desk.events.opportunity_moved, self._on_moved)

    async def reload(self, *, own_change: bool = False, discard: bool = False) -> None:
        before = self.view.opportunity.version
        got = await run.io_bound(lambda: (self.desk.pipeline.opportunity_view(self.user, self.opportunity_id),
                                          self.grant.read_again()))
        if got is None:  # the app is stopping
            return
        self.view, self.grant.grant = got
        after = self.view.opportunity.version
        if discard or (not self._dirty() and (own_change or after != self.edit_version)):
            # nothing typed (or the user threw it away): show what is saved now
            self.edit_version = after
            self.details.refresh()
        elif own_change and self.edit_version == before and after == before + 1:
            self.edit_version = after  # only this page's own activity happened in between
        self.custom.show(self.view.opportunity.custom or {}, editable=self.view.can_edit)
        self.header.refresh()
        self.stage_card.refresh()
        self.timeline.refresh()
        await self.playbook.reload()

    async def _on_moved(self, opportunity_id: int, _actor_id: int | None) -> None:
        if opportunity_id == self.opportunity_id:
            await self.reload()

    # ----- header ---------------------------------------------------------------------------------

    @ui.refreshable_method
    def header(self) -> None:
        o, account = self.view.opportunity, self.view.account
        with ui.row().classes('w-full items-center gap-3'):
            tid(ui.label(o.name).classes('text-h5'), 'opp-name-title')
            tid(ui.badge(stage_name(self.view.stage), color=STAGE_COLORS.get(self.view.stage.kind, 'primary')),
                'opp-stage')
            if self.view.is_repeat:
                tid(ui.badge(t('care.repurchase'), color='teal'), 'opp-repeat')
            shared_badge(self.collaborators.panel)
            tid(ui.label(money(o.amount_cents)).classes('text-h6 font-mono'), 'opp-amount-shown')
            ui.space()
            owner = self.view.owner_name or t('lead.unassigned')
            tid(ui.label(t('lead.owner_is', owner=owner)).classes('text-grey-8'), 'opp-owner')
            if self.view.can_log:
                tid(ui.button(t('activity.log'), icon='add_comment', on_click=self.log_activity), 'log-activity')
        with ui.row().classes('w-full items-center gap-4'):
            tid(ui.link(t('opp.lead_link'), f'/leads/{o.lead_id}'), 'opp-lead-link')
            tid(ui.link(t('opp.customer_link', account=account.name), f'/customers/{account.id}'),
                'opp-customer-link')
            ui.link(t('nav.pipeline'), '/pipeline')
            self.grant.render()

    # ----- fields ---------------------------------------------------------------------------------

    @ui.refreshable_method
    def details(self) -> None:
        """The deal's fields read as text; the pencil turns them into inputs (InlineSection)."""
        o = self.view.opportunity
        self.stale = tid(ui.row().classes('w-full items-center gap-2 text-negative'), 'opp-stale')
        with self.stale:
            ui.label(t('opp.stale')).classes('flex-1')
            ui.button(t('opp.reload'), on_click=self._discard).props('flat dense')
        self.stale.set_visibility(False)
        self.initial = {
            'name': o.name, 'amount': amount_text(o.amount_cents),
            'expected_close': o.expected_close.isoformat() if o.expected_close else '',
            'decision_maker': o.decision_maker or '', 'budget': o.budget or '', 'timeline': o.timeline or '',
            'need': o.need or '',
        }
        self.section = InlineSection(t('opp.details'), list(self.initial), mark='opp', label=_label,
                                     display=_display, multiline=lambda n: n == 'need', on_save=self._save,
                                     editable=self.view.can_edit, props=_props,
                                     marker=lambda n: f'opp-{n.replace("_", "-")}')
        self.section.render(self.initial)
        self.fields = self.section.inputs

    def _changes(self) -> dict[str, str]:
        return {k: (e.value or '').strip() for k, e in self.fields.items()
                if (e.value or '').strip() != self.initial.get(k, '')}

    def _dirty(self) -> bool:
        return bool(self._changes())

    async def _discard(self) -> None:
        await self.reload(discard=True)

    async def _save(self) -> bool:
        """The section's save: True when stored (the section closes), False when something is wrong."""
        clear_field_errors(self.fields)
        typed = self._changes()
        if not typed:
            return True
        changes: dict[str, Any] = dict(typed)
        if 'expected_close' in changes:
            try:
                changes['expected_close'] = parse_day(changes['expected_close'])
            except ValueError:
                self.fields['expected_close'].error = t('err.field.invalid')
                return False
            if changes['expected_close'] is None:
                self.fields['expected_close'].error = t('err.field.required')
                return False
        try:
            await run.io_bound(self.desk.pipeline.update_opportunity, self.user, self.opportunity_id,
                               version=self.edit_version, changes=changes)
        except StaleOpportunity:
            self.stale.set_visibility(True)
            ui.notify(t('opp.stale'), type='negative', multi_line=True)
            return False
        except ValidationFailed as e:
            show_field_errors(e, self.fields)
            return False
        except DomainError as e:
            ui.notify(message(e), type='negative', multi_line=True)
            return False
        ui.notify(t('common.saved'), type='positive')
        for name, value in typed.items():
            self.initial[name] = value
        await self.reload(own_change=True)
        return True

    async def save_custom(self, values: dict[str, Any]) -> bool:
        """Store the custom values that changed (the section marks its fields on ValidationFailed)."""
        if values:
            try:
                await run.io_bound(self.desk.pipeline.update_opportunity, self.user, self.opportunity_id,
                                   version=self.view.opportunity.version, changes={'custom': values})
            except ValidationFailed:
                raise
            except StaleOpportunity:
                await self.reload()
                ui.notify(t('opp.stale'), type='negative', multi_line=True)
                return False
            except DomainError as e:
                ui.notify(message(e), type='negative', multi_line=True)
                return False
            await self.reload(own_change=True)
        ui.notify(t('common.saved'), type='positive')
        return True

    # ----- stage and history ----------------------------------------------------------------------

    @ui.refreshable_method
    def stage_card(self) -> None:
        o, stage = self.view.opportunity, self.view.stage
        with ui.card().classes('w-full'):
            ui.label(t('opp.stage')).classes('text-subtitle1 font-bold')
            ui.label(t('opp.stage_is', stage=stage_name(stage), probability=stage.probability))
            weighted = o.amount_cents * stage.probability // 100
            ui.label(t('opp.weighted', amount=money(weighted))).classes('text-grey-8')
            if o.expected_close:
                ui.label(t('opp.close_on', day=o.expected_close.isoformat())).classes('text-grey-8')
            if o.lost_reason:
                why = self.lost_reasons.get(o.lost_reason, o.lost_reason)
                tid(ui.label(t('opp.lost_because', reason=why + (f' · {o.lost_note}' if o.lost_note else '')))
                    .classes('text-negative'), 'opp-lost-reason')
            if o.closed_at:
                ui.label(t('opp.closed_at', at=when(o.closed_at))).classes('text-grey-8')
            if self.view.contact is not None:
                c = self.view.contact
                with ui.row().classes('items-center gap-2'):
                    ui.label(t('opp.contact_is', contact=' · '.join(x for x in (c.name, c.title, c.email) if x)))
                    phone_link(c.phone, 'opp-contact-phone')
        with ui.card().classes('w-full'):
            ui.label(t('opp.history')).classes('text-subtitle1 font-bold')
            rows = [{'id': change.id, 'from': stage_name(self.stages.get(change.from_stage_id)) or
                     ('—' if change.from_stage_id is None else f'#{change.from_stage_id}'),
                     'to': stage_name(self.stages.get(change.to_stage_id)) or f'#{change.to_stage_id}',
                     'at': when(change.created_at), 'by': by or t('audit.system')}
                    for change, by in self.view.history]
            columns = [{'name': n, 'label': t(f'opp.col_{n}'), 'field': n, 'align': 'left'}
                       for n in ('from', 'to', 'at', 'by')]
            with table_region(t('opp.history')):
                tid(ui.table(rows=rows, columns=columns, row_key='id').props('flat dense').classes('w-full'),
                    'stage-history')

    # ----- activities -----------------------------------------------------------------------------

    @ui.refreshable_method
    def timeline(self) -> None:
        with ui.card().classes('w-full'):
            ui.label(t('activity.title')).classes('text-subtitle1 font-bold')
            activity_list(self.view.activities, mark_deal=True)

    def log_activity(self) -> None:
        async def saved() -> None:
            await self.reload(own_change=True)

        with self.outside:
            open_log_dialog(lambda **kw: self.desk.pipeline.log_activity(self.user, self.opportunity_id, **kw), saved,
                            checklist=self.playbook.open_choices())


def register(desk: Desk) -> None:
    @ui.page('/opportunities/{opportunity_id}')
    async def opportunity_page(request: Request, opportunity_id: str) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        # read before the frame starts its timers, so the first response carries the whole page
        refused = None
        try:
            view = await run.io_bound(desk.pipeline.opportunity_view, user, int(opportunity_id))
            stages = await run.io_bound(desk.pipeline.stages)
            reasons = await run.io_bound(desk.pipeline.lost_reasons)
            playbook = await run.io_bound(desk.playbooks.for_opportunity, user, int(opportunity_id))
            custom = await run.io_bound(desk.pipeline.custom_fields)
            tags = await run.io_bound(RecordTags.read, desk, user, TagEntity.OPPORTUNITY, int(opportunity_id))
            collaborators = await run.io_bound(CollaboratorsCard.read, desk, user, RecordKind.OPPORTUNITY,
                                               int(opportunity_id))
            grant = await run.io_bound(GrantLine.read, desk, user, RecordKind.OPPORTUNITY, int(opportunity_id))
        except (NotFound, ValueError):
            refused = 'not-found'
        except NotAllowed:
            refused = 'not-allowed'
        with frame(desk, t('opp.title'), user):
            if refused == 'not-found':
                tid(ui.label(t('err.not_found')).classes('text-h6'), 'not-found')
            elif refused == 'not-allowed':
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                ui.link(t('nav.back_to_inbox'), '/')
            else:
                OpportunityPage(desk, user, view, stages, reasons, playbook=playbook, custom=custom,
                                tags=tags, collaborators=collaborators, grant=grant).build()
        return None
