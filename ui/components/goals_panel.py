"""The team page's goals and pacing: for the month, the team and each rep against their goals —
the actual figure, the goal (and stretch), where the month should be by now on the team calendar —
and, for managers, an editor for one person's (or the team's) three monthly goals at a time."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from nicegui import ui

from core import permissions
from core.desk import Desk
from core.goals.board import GoalBoard, GoalRow
from core.goals.pacing import Pace, PaceStatus
from store.models import GoalMetric, UserRef

from ..errors import attempt
from ..format import money
from ..i18n import t
from ..marks import tid
from .goal_leaderboard import LeaderboardPanel

STATUS_COLORS = {PaceStatus.STRETCH: 'purple', PaceStatus.MET: 'positive', PaceStatus.ON_PACE: 'primary',
                 PaceStatus.BEHIND: 'negative', PaceStatus.NO_GOAL: 'grey'}


def shown(metric: GoalMetric, value: float | int | None) -> str:
    if value is None:
        return '—'
    return money(round(value / 100) * 100) if metric == GoalMetric.WON_CENTS else f'{value:,.0f}'  # whole yuan


def to_stored(metric: GoalMetric, text: Any) -> Any:
    """What the editor's field holds as core takes it: yuan → cents for the amount; anything not a
    number passes as typed (core names it)."""
    raw = str(text or '').strip().replace(',', '')
    if not raw or metric != GoalMetric.WON_CENTS:
        return raw
    try:
        return int(Decimal(raw) * 100)
    except InvalidOperation:
        return raw


def from_stored(metric: GoalMetric, value: int | None) -> str:
    if value is None:
        return ''
    if metric != GoalMetric.WON_CENTS:
        return str(value)
    yuan, fen = divmod(value, 100)
    return f'{yuan}.{fen:02d}' if fen else str(yuan)


class GoalsPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.outside = ui.element()
        """The editor's dialog lives here, outside the refreshed part."""

    @ui.refreshable_method
    def build(self) -> None:
        board = self.desk.goals.board(self.user)
        with tid(ui.card().classes('w-full gap-2'), 'goals-card'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label(t('goals.title', month=board.month.strftime('%Y-%m'))).classes('text-h6')
                if permissions.can_assign(self.user):
                    tid(ui.button(t('goals.edit'), icon='flag', on_click=lambda: self.editor(board))
                        .props('flat'), 'goals-edit')
            tid(ui.label(t('goals.pace', share=f'{board.pace.share:.0%}', elapsed=f'{board.pace.elapsed_days:.1f}',
                           days=f'{board.pace.working_days:g}')).classes('text-sm text-grey-7'), 'goals-pace')
            for row in board.rows:
                self.row(row)
            if permissions.can_assign(self.user):  # the peer ranking is a manager's tool
                LeaderboardPanel(self.desk, self.user).build()

    @staticmethod
    def label(row: GoalRow) -> str:
        if row.department_id is not None:
            return t('goals.department', name=row.name)
        return row.name or t('goals.team')

    def row(self, row: GoalRow) -> None:
        with tid(ui.row().classes('w-full items-start gap-x-4 gap-y-1 py-1')
                 .style('border-bottom: 1px solid var(--ld-border)'), f'goals-row-{row.key}'):
            with ui.row().classes('items-center gap-1 no-wrap w-full sm:w-32').style(
                    f'padding-left: {row.depth * 0.75}rem'):
                if row.department_id is not None:
                    ui.icon('account_tree', size='xs').classes('text-grey-7')
                ui.label(row.name or t('goals.team')).classes('font-bold ellipsis')
            for metric in GoalMetric:
                self.cell(metric, row.paces[metric], f'goals-{row.key}-{metric}')

    def cell(self, metric: GoalMetric, p: Pace, mark: str) -> None:
        with tid(ui.column().classes('gap-0 min-w-[9rem] flex-1'), mark):
            ui.label(t(f'goals.metric.{metric}')).classes('text-caption text-grey-7')
            with ui.row().classes('items-baseline gap-1 no-wrap'):
                ui.label(shown(metric, p.actual)).classes('text-subtitle1 text-weight-medium')
                ui.label(f'/ {shown(metric, p.goal)}').classes('text-sm text-grey-8')
            if p.goal:
                ui.linear_progress(value=min(p.actual / p.goal, 1.0), show_value=False, size='6px',
                                   color=STATUS_COLORS[p.status]).classes('w-full')
                ui.label(t(f'goals.status.{p.status}', expected=shown(metric, p.expected),
                           stretch=shown(metric, p.stretch))).classes('text-caption text-grey-8')
            else:
                ui.label(t('goals.status.no_goal')).classes('text-caption text-grey-7')

    def editor(self, board: GoalBoard) -> None:
        rows = {r.key: r for r in board.rows}
        self.outside.clear()  # the last editor's dialog goes (one editor on the page at a time)
        with self.outside, ui.dialog() as dialog, ui.card().classes('w-[28rem] max-w-full'):
            ui.label(t('goals.edit_title', month=board.month.strftime('%Y-%m'))).classes('text-h6')
            who = tid(ui.select({k: self.label(r) for k, r in rows.items()}, label=t('goals.who'),
                                value=next(iter(rows), None)).classes('w-full'), 'goals-who')
            fields: dict[str, Any] = {}
            with ui.column().classes('w-full gap-1'):
                for metric in GoalMetric:
                    unit = ' (¥)' if metric == GoalMetric.WON_CENTS else ''
                    with ui.row().classes('w-full items-start gap-2 no-wrap'):
                        fields[f'{metric}.target'] = tid(ui.input(t(f'goals.metric.{metric}') + unit)
                                                         .props('inputmode=decimal').classes('flex-1'),
                                                         f'goals-target-{metric}')
                        fields[f'{metric}.stretch'] = tid(ui.input(t('goals.stretch'))
                                                          .props('inputmode=decimal').classes('w-28'),
                                                          f'goals-stretch-{metric}')
            ui.label(t('goals.edit_help')).classes('text-sm text-grey-7')

            def fill() -> None:
                r = rows[who.value]
                for metric in GoalMetric:
                    fields[f'{metric}.target'].value = from_stored(metric, r.paces[metric].goal)
                    fields[f'{metric}.stretch'].value = from_stored(metric, r.paces[metric].stretch)

            who.on_value_change(fill)
            fill()

            async def save() -> None:
                chosen = rows[who.value]
                values = [{'user_id': chosen.user_id, 'department_id': chosen.department_id, 'metric': m,
                           'target': to_stored(m, fields[f'{m}.target'].value),
                           'stretch': to_stored(m, fields[f'{m}.stretch'].value)} for m in GoalMetric]
                errors_at = {f'{i}.{part}': fields[f'{m}.{part}'] for i, m in enumerate(GoalMetric)
                             for part in ('target', 'stretch')}
                if await attempt(lambda: self.desk.goals.set_goals(self.user, board.month, values), errors_at):
                    dialog.close()
                    ui.notify(t('common.saved'), type='positive')
                    self.build.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('common.save'), on_click=save), 'goals-save')
        dialog.open()
