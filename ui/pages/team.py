"""The team workload page (`/team`, managers and admins): one row per rep, live; open a rep's
leads to move them (ticked, or dragged onto another rep), rebalance with a plan, and hand over a
leaving rep's leads."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.desk import Desk
from core.errors import DomainError
from core.workload.figures import RepLoadView, TeamView
from core.workload.rebalance import Plan
from core.workload.steering import MoveOutcome
from store.models import UserRef

from ..components.department_load import DepartmentStrip
from ..components.goals_panel import GoalsPanel
from ..components.rep_leads import DROP_CSS, RepLeadList
from ..components.team_dialogs import plan_dialog, settings_dialog, shift_text
from ..errors import attempt, message
from ..format import money_short, when
from ..i18n import t
from ..live_views import LiveViews
from ..marks import tid
from ..session import require_user
from ..theme import frame

REFRESH_EVERY = 0.5
"""Seconds: a burst of events refreshes the page at most once per this interval."""
GRADE_COLORS = {'A': '#e53935', 'B': '#fb8c00', 'C': '#9e9e9e'}
STAT_CLASSES = 'text-subtitle1 text-weight-medium leading-tight whitespace-nowrap'
STATUS_COLORS = {'active': 'positive', 'on_leave': 'grey', 'at_capacity': 'negative', 'off_shift': 'blue-grey'}


def _minutes(value: float | None) -> str:
    """Minutes under an hour, hours (one decimal) beyond."""
    if value is None:
        return '—'
    if value < 60:
        return t('team.minutes', minutes=f'{value:.0f}')
    return t('team.hours', hours=f'{value / 60:.1f}')


def _bar_html(r: RepLoadView) -> str:
    """Open leads by grade as segments of a bar whose full width is the capacity (or the load
    when it exceeds capacity)."""
    scale = max(r.capacity, r.open_leads, 1)
    parts = ''.join(f'<div style="width:{100 * n / scale:.2f}%;background:{GRADE_COLORS[g]}" '
                    f'title="{g}: {n}"></div>' for g, n in r.open_by_grade.items() if n)
    return f'<div class="flex w-full h-3 rounded overflow-hidden bg-grey-3">{parts}</div>'


class RepLine:
    """One rep's row, read at a glance: name and status, load against capacity, what is due, SLA
    breaches, deals. Figures update in place; capacity, leave and the rest are edited in the rep's
    dialog (tune), never inline, so a stray click changes nothing."""

    def __init__(self, page: TeamPage, r: RepLoadView) -> None:
        self.page, self.rep = page, r
        uid = r.user_id
        with tid(ui.card().classes('w-full p-3 gap-1'), f'rep-{uid}'):
            with ui.element('div').classes('w-full flex flex-wrap md:flex-nowrap items-center gap-x-4 gap-y-2'):
                with ui.column().classes('w-full md:w-48 gap-0 min-w-0'):
                    with ui.row().classes('items-center gap-2 no-wrap'):
                        ui.label(r.name).classes('text-weight-medium ellipsis')
                        self.badge = tid(ui.badge('').props('rounded'), f'rep-status-{uid}')
                    self.detail = tid(ui.label('').classes('text-caption text-grey-7'), f'rep-detail-{uid}')
                with ui.column().classes('grow gap-1 min-w-[12rem]'):
                    self.bar = ui.html('', sanitize=False).classes('w-full')
                    with ui.row().classes('gap-2 items-baseline no-wrap'):
                        self.load = tid(ui.label('').classes('text-weight-medium'), f'rep-open-{uid}')
                        self.grades = tid(ui.label('').classes('text-caption text-grey-8'), f'rep-grades-{uid}')
                with tid(ui.row().classes('gap-x-4 gap-y-1 items-start md:flex-nowrap'), f'rep-figures-{uid}'):
                    self.new = self._stat(t('team.stat.new'), f'rep-new-{uid}')
                    self.due = self._stat(t('team.stat.due'), f'rep-due-{uid}')
                    self.overdue = self._stat(t('team.stat.overdue'), f'rep-overdue-{uid}')
                    self.breaches = self._stat(t('team.stat.sla'), f'rep-sla-{uid}')
                    self.response = self._stat(t('team.stat.response'), f'rep-response-{uid}')
                self.deals = tid(ui.label('').classes('text-caption text-grey-8 md:w-44'), f'rep-deals-{uid}')
                with ui.row().classes('gap-0 no-wrap ml-auto'):
                    tid(ui.button(icon='tune', on_click=self._settings).props(
                        f'flat dense round aria-label="{t("team.settings")}"').tooltip(t('team.settings')),
                        f'rep-settings-open-{uid}')
                    self.toggle = tid(ui.button(icon='expand_more', on_click=self._toggle).props(
                        f'flat dense round aria-label="{t("team.show_leads")}"').tooltip(t('team.show_leads')),
                        f'rep-leads-{uid}')
            self.drill = RepLeadList(uid, move=page.move, on_drop=page.dropped)
        self.show(r)

    @staticmethod
    def _stat(caption: str, mark: str) -> ui.label:
        with ui.column().classes('gap-0 items-center'):
            value = tid(ui.label('').classes(STAT_CLASSES), mark)
            ui.label(caption).classes('text-caption text-grey-7 leading-tight whitespace-nowrap')
        return value

    def show(self, r: RepLoadView) -> None:
        self.rep = r
        self.badge.set_text(t(f'team.status.{r.status}'))
        back = t('team.back_on', day=when(r.leave_until)[:10]) if r.is_on_leave and r.leave_until else ''
        self.detail.set_text(' · '.join(x for x in (back, shift_text(r)) if x))
        self.badge.props(f'color={STATUS_COLORS.get(r.status, "grey")}')
        self.bar.set_content(_bar_html(r))
        used = '—' if r.capacity_used_pct is None else f'{r.capacity_used_pct:g}%'
        self.load.set_text(f'{r.open_leads} / {r.capacity}')
        self.grades.set_text(t('team.by_grade', used=used, a=r.open_by_grade['A'], b=r.open_by_grade['B'],
                               c=r.open_by_grade['C']))
        self.new.set_text(str(r.new_today))
        self.due.set_text(str(r.due_today))
        self.overdue.set_text(str(r.overdue))
        self.overdue.classes(replace=STAT_CLASSES + (' text-negative' if r.overdue else ''))
        self.breaches.set_text(str(r.sla_breaches))
        self.breaches.classes(replace=STAT_CLASSES + (' text-negative' if r.sla_breaches else ''))
        self.response.set_text(_minutes(r.median_response_minutes))
        self.deals.set_text(t('team.rep_deals', count=r.open_opportunities, amount=money_short(r.pipeline_cents),
                              weighted=money_short(r.weighted_cents)))

    async def _toggle(self) -> None:
        if self.drill.open:
            self.drill.show(None)
            self.toggle.props('icon=expand_more')
        else:
            self.toggle.props('icon=expand_less')
            await self.page.load_leads(self)

    async def _settings(self) -> None:
        was_on_leave = self.rep.is_on_leave
        dialog = settings_dialog(self.rep, lambda values: self.page.desk.team.update_user(
            self.page.user, self.rep.user_id, values))
        answer = await dialog
        dialog.delete()
        if answer is None:
            return
        ui.notify(t('team.saved'), type='positive')
        if answer.get('is_on_leave') and not was_on_leave:
            await self.page.offer_handover(self.rep)


class TeamPage:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.client = ui.context.client
        self.lines: dict[int, RepLine] = {}
        self.live_marked = False
        """Marked by ui/live_views.py: a team event arrived (refreshed at the next tick)."""
        self.live: LiveViews | None = None
        self.department_id: int | None = None
        """The department filter (None: every rep in scope)."""

    def build(self, view: TeamView) -> None:
        """`view`: the team as read before the page was drawn, so the first response carries the
        figures and the reps (filled in later, they pushed the goals card down on a phone)."""
        ui.add_css(DROP_CSS)
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(t('team.title')).classes('text-h5')
            tid(ui.button(t('team.rebalance'), icon='balance', on_click=self.rebalance), 'rebalance')
        self.totals: dict[str, ui.label] = {}
        with tid(ui.element('div').classes('w-full grid grid-cols-3 md:grid-cols-7 gap-2'), 'team-totals'):
            for key, caption in (('reps', t('team.total.reps')), ('open', t('team.total.open')),
                                 ('new', t('team.stat.new')), ('due', t('team.stat.due')),
                                 ('overdue', t('team.stat.overdue')), ('sla', t('team.stat.sla')),
                                 ('deals', t('team.total.deals'))):
                with ui.card().classes('q-pa-sm gap-0 min-w-0'):
                    ui.label(caption).classes('text-caption text-grey-7 ellipsis')
                    self.totals[key] = tid(ui.label('').classes(STAT_CLASSES if key != 'deals' else
                                                                 'text-subtitle1 text-weight-medium leading-tight'),
                                           f'team-total-{key}')
                    if key == 'deals':  # a longer figure: it may wrap on a phone
                        self.weighted = tid(ui.label('').classes('text-caption text-grey-7'), 'team-total-weighted')
        with tid(ui.label('').classes('text-body2 text-grey-8 cursor-help'), 'team-fairness') as self.fairness:
            ui.tooltip(t('team.fairness_help')).classes('text-body2 max-w-md')
        self.by_department = DepartmentStrip(self.filter_department)
        GoalsPanel(self.desk, self.user).build()  # goals and pacing (ui/components/goals_panel.py)
        self.rows = ui.column().classes('w-full gap-2')
        self.slot = ui.context.slot
        if self.live is not None:  # the team's events, heard once for every open team page (listen below)
            self.live.join(self)
        self._draw(view)

    async def refresh(self) -> None:
        view: TeamView = await run.io_bound(lambda: self.desk.workload.team(self.user,
                                                                              department_id=self.department_id))
        if self.client.is_deleted:
            return
        await self._present(view)

    def live_ask(self) -> tuple[UserRef, int | None]:
        """What a live refresh reads: the reader and the department filter."""
        return self.user, self.department_id

    def live_key(self, ask: tuple[UserRef, int | None]) -> str:
        """Pages whose reader sees everyone share one read per tick (the figures depend on the
        reader only through their reach); others share with their own tabs."""
        user, department_id = ask
        scope = permissions.reach(user)
        return repr((scope, None if scope.everyone else user.id, department_id))

    def live_read(self, ask: tuple[UserRef, int | None]) -> TeamView:
        user, department_id = ask
        return self.desk.workload.team(user, department_id=department_id)

    async def live_show(self, ask: tuple[UserRef, int | None], result: object) -> None:
        if ask != self.live_ask():
            return  # the filter changed since: its own refresh shows
        with self.slot:
            if isinstance(result, TeamView):
                await self._present(result)
            else:
                await self.refresh()  # the read failed: the page's own refresh reports it

    async def _present(self, view: TeamView) -> None:
        self._draw(view)
        for line in self.lines.values():
            if line.drill.open:
                await self.load_leads(line)

    def _draw(self, view: TeamView) -> None:
        self.by_department.show(view.departments, self.department_id)
        figures = {'reps': str(len(view.reps)), 'open': f'{view.open_leads} / {view.capacity}',
                   'new': str(view.new_today), 'due': str(view.due_today), 'overdue': str(view.overdue),
                   'sla': str(view.sla_breaches),
                   'deals': t('team.total.deals_value', count=view.open_opportunities,
                              amount=money_short(view.pipeline_cents))}
        for key, value in figures.items():
            self.totals[key].set_text(value)
        self.weighted.set_text(t('team.total.weighted', weighted=money_short(view.weighted_cents)))
        f = view.fairness
        self.fairness.set_text(t('team.fairness', load=f'{f.load_gini:.2f}', a=f'{f.a_grade_gini:.2f}',
                                 max=f'{f.max_load:.2f}', min=f'{f.min_load:.2f}'))
        if [r.user_id for r in view.reps] != list(self.lines):
            self.rows.clear()
            self.lines = {}
            with self.rows:
                if not view.reps:
                    ui.label(t('team.empty')).classes('text-grey-7')
                for r in view.reps:
                    self.lines[r.user_id] = RepLine(self, r)
        else:
            for r in view.reps:
                self.lines[r.user_id].show(r)
        names = {r.user_id: r.name for r in view.reps}
        for line in self.lines.values():
            line.drill.set_targets(names)

    async def filter_department(self, department_id: int | None) -> None:
        self.department_id = department_id
        await self.refresh()

    async def load_leads(self, line: RepLine) -> None:
        try:
            listed = await run.io_bound(self.desk.steering.rep_leads, self.user, line.rep.user_id)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        if not self.client.is_deleted:
            line.drill.show(listed)

    # ----- moving leads ---------------------------------------------------------------------------

    async def move(self, lead_ids: list[int], to_rep_id: int | None) -> None:
        outcome: list[MoveOutcome] = []

        def act() -> None:
            outcome.append(self.desk.steering.reassign(self.user, lead_ids, to_rep_id=to_rep_id))

        if await attempt(act):
            self._report(outcome[0])
        await self.refresh()

    async def dropped(self, e: Any) -> None:
        """A lead row dragged onto another rep's list: move it there; any other drop is undone by the
        re-read."""
        source = next((line for line in self.lines.values() if line.drill.items is e.source), None)
        target = next((line for line in self.lines.values() if line.drill.items is e.target), None)
        lead_id = source.drill.lead_of_element.get(e.item.id) if source else None
        if source is None or target is None or source is target or lead_id is None:
            await self.refresh()
            return
        await self.move([lead_id], target.rep.user_id)

    def _report(self, outcome: MoveOutcome) -> None:
        ui.notify(t('team.moved', moved=outcome.moved), type='positive' if outcome.moved else 'warning')
        if outcome.stale or outcome.no_room:
            ui.notify(t('team.not_moved', stale=outcome.stale, no_room=outcome.no_room), type='warning',
                      multi_line=True)

    async def rebalance(self) -> None:
        async def replan(include_recent: bool) -> Plan:
            return await run.io_bound(lambda: self.desk.steering.plan_rebalance(self.user,
                                                                                include_recent=include_recent))

        try:
            plan = await replan(False)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        dialog = plan_dialog(plan, title=t('team.rebalance_title'), apply_label=t('team.plan_apply'), replan=replan)
        answer = await dialog
        dialog.delete()
        if answer:
            await self._apply(answer[0], 'rebalanced', include_recent=answer[1])

    async def offer_handover(self, r: RepLoadView) -> None:
        """A rep just went on leave: offer to move their open leads (plan first, nothing until confirmed)."""
        plan = await run.io_bound(self.desk.steering.plan_handover, self.user, r.user_id)
        if not plan.moves or self.client.is_deleted:
            return
        dialog = plan_dialog(plan, title=t('team.handover_title', rep=r.name), apply_label=t('team.handover_apply'))
        answer = await dialog
        dialog.delete()
        if answer:
            await self._apply(answer[0], 'handed_over', include_recent=True)

    async def _apply(self, plan: Plan, kind: str, *, include_recent: bool) -> None:
        outcome: list[MoveOutcome] = []

        def act() -> None:
            outcome.append(self.desk.steering.apply_plan(self.user, plan, kind=kind, include_recent=include_recent))

        if await attempt(act):
            self._report(outcome[0])
        await self.refresh()

    async def save(self, rep_id: int, changes: dict[str, Any]) -> bool:
        try:
            await run.io_bound(self.desk.team.update_user, self.user, rep_id, changes)
        except DomainError as e:
            ui.notify(message(e), type='negative')
            await self.refresh()
            return False
        ui.notify(t('team.saved'), type='positive')
        return True


def listen(desk: Desk) -> LiveViews:
    """The desk's open team pages, refreshed at most once a `REFRESH_EVERY` for any burst of the
    events their figures count (heard once for all of them: flags, no task per page)."""
    views = LiveViews(tick=REFRESH_EVERY)
    events = desk.events
    for event in (events.lead_captured, events.lead_touched, events.lead_assigned, events.lead_changed,
                  events.opportunity_moved, events.users_changed, events.leads_imported):
        event.subscribe(views.mark_all, expect_args=False)
    return views


def register(desk: Desk) -> None:
    views = listen(desk)

    @ui.page('/team')
    async def team_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        allowed = permissions.can_assign(user)
        # read before the frame starts its timers, so the first response carries the whole page
        view = await run.io_bound(desk.workload.team, user) if allowed else None
        with frame(desk, t('nav.team'), user):
            if view is None:
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            page = TeamPage(desk, user)
            page.live = views
            page.build(view)
        return None
