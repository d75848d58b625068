"""The hand-over offered when a user is moved to another department or deactivated (settings' users
list): their open leads through the assignment rules or to a named colleague, their open deals and
customers to the colleague — previewed (who gets what), applied in one step, or left for later."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from core import permissions
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.workload.departure import DepartureCause, DepartureOutcome, DeparturePlan
from store.models import UserRef

from ..errors import message, show_field_errors
from ..i18n import t
from ..marks import tid

LEADS_SHOWN = 20
BY_RULES, TO_COLLEAGUE = 'rules', 'colleague'


async def offer_departure(desk: Desk, actor: UserRef, user_id: int, cause: DepartureCause,
                          container: ui.element) -> None:
    """Open the dialog (inside `container`: outside any list that redraws) when the user still holds
    open records (nothing to hand over: nothing shown). The dialog deletes itself when closed."""
    try:
        plan = await run.io_bound(lambda: desk.departure.plan(actor, user_id, cause=cause))
    except DomainError:
        return  # outside the actor's scope (or gone): there is nothing this actor could hand over
    if plan.empty:
        return
    colleagues = {r.id: r.name for r in desk.team.reps() if r.id != user_id and permissions.in_reach(actor, r.id)}
    with container:
        DepartureDialog(desk, actor, plan, colleagues).open()


class DepartureDialog:
    def __init__(self, desk: Desk, actor: UserRef, plan: DeparturePlan, colleagues: dict[int, str]) -> None:
        self.desk, self.actor, self.plan = desk, actor, plan
        with ui.dialog() as self.dialog, tid(ui.card().classes('w-[38rem] max-w-full'), 'departure-dialog'):
            ui.label(t('handover.title', name=plan.user_name)).classes('text-h6')
            ui.label(t(f'handover.intro.{plan.cause}', name=plan.user_name)).classes('text-body2 text-grey-8')
            modes = {BY_RULES: t('handover.leads_by_rules'), TO_COLLEAGUE: t('handover.leads_to_colleague')}
            self.mode = tid(ui.radio(modes, value=BY_RULES, on_change=self.replan), 'departure-mode')
            self.colleague = tid(ui.select(colleagues, value=None, label=t('handover.colleague'), on_change=self.replan)
                                 .props('dense clearable').classes('w-full'), 'departure-colleague')
            self.body = tid(ui.column().classes('w-full gap-1'), 'departure-preview')
            with ui.row().classes('w-full justify-end'):
                tid(ui.button(t('handover.later'), on_click=self.close).props('flat'), 'departure-later')
                self.apply = tid(ui.button(t('handover.apply'), icon='swap_horiz', on_click=self.hand_over),
                                 'departure-apply')
        self.dialog.on('hide', self.close)  # Esc or a click outside
        self.show()

    def open(self) -> None:
        self.dialog.open()

    def close(self) -> None:
        """Closed is done with: the dialog leaves the page (another move opens a fresh one)."""
        if not self.dialog.is_deleted:
            self.dialog.close()
            self.dialog.delete()

    async def replan(self, _: Any = None) -> None:
        self.colleague.error = None
        by_rules = self.mode.value == BY_RULES
        try:
            self.plan = await run.io_bound(lambda: self.desk.departure.plan(
                self.actor, self.plan.user_id, cause=self.plan.cause, leads_by_rules=by_rules,
                colleague_id=self.colleague.value))
        except ValidationFailed as e:
            show_field_errors(e, {'colleague': self.colleague})
            return
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.show()

    def show(self) -> None:
        p = self.plan
        self.body.clear()
        with self.body:
            tid(ui.label(t('handover.summary', leads=len(p.leads), deals=len(p.deals), customers=len(p.customers)))
                .classes('text-weight-medium'), 'departure-summary')
            for name, count in sorted(p.receivers().items()):
                ui.label(t('handover.receiver', name=name, count=count)).classes('text-sm')
            if p.to_pool and not p.needs_colleague:
                tid(ui.label(t('handover.to_pool', count=p.to_pool)).classes('text-sm text-orange-9'), 'departure-pool')
            if p.deals or p.customers:
                who = p.colleague_name or t('handover.nobody_yet')
                tid(ui.label(t('handover.records_to', deals=len(p.deals), customers=len(p.customers), name=who))
                    .classes('text-sm'), 'departure-records')
            if p.needs_colleague:
                tid(ui.label(t('handover.pick_colleague')).classes('text-sm text-negative'), 'departure-needs')
            if p.more:
                ui.label(t('handover.more', limit=len(p.leads))).classes('text-sm text-grey-8')
            with ui.column().classes('w-full gap-0 max-h-48 overflow-auto'):
                for m in p.leads[:LEADS_SHOWN]:
                    target = m.to_name if m.to_name else t('team.to_pool')
                    via = t('handover.via_rule', rule=m.rule) if m.rule else ''
                    ui.label(t('handover.lead_line', lead=m.name, grade=m.grade, target=target, via=via)) \
                        .classes('text-sm')
                if len(p.leads) > LEADS_SHOWN:
                    ui.label(t('team.plan_more', count=len(p.leads) - LEADS_SHOWN)).classes('text-sm')
        self.apply.set_enabled(not p.needs_colleague and not p.empty)

    async def hand_over(self) -> None:
        outcome: list[DepartureOutcome] = []
        try:
            outcome.append(await run.io_bound(lambda: self.desk.departure.hand_over(self.actor, self.plan)))
        except ValidationFailed as e:
            show_field_errors(e, {'colleague': self.colleague})
            return
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        done = outcome[0]
        ui.notify(t('handover.done', leads=done.leads, pool=done.to_pool, deals=done.deals,
                    customers=done.customers), type='positive')
        if done.stale:
            ui.notify(t('handover.stale', count=done.stale), type='warning')
        self.close()
