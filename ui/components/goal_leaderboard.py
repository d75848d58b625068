"""The team page's leaderboard beside pacing: reps ranked by what they made of the leads they
had — each step's actual against what the group's rates per grade predict for their mix
(core/goals/leaderboard.py) — so a rep handed more A-leads does not simply come first. The raw
count's place is shown beside, so the manager sees where the two disagree."""

from __future__ import annotations

from nicegui import ui

from core.desk import Desk
from core.goals.leaderboard import MIN_LEADS, RANKED_BY, Standing, Step, StepScore
from store.models import UserRef

from ..i18n import t
from ..marks import tid


def index_text(score: StepScore) -> str:
    return '—' if score.index is None else f'×{score.index:.2f}'


def index_color(score: StepScore) -> str:
    if score.index is None:
        return 'text-grey-7'
    return 'text-positive' if score.index >= 1.1 else 'text-negative' if score.index < 0.9 else 'text-grey-9'


class LeaderboardPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        board = self.desk.goals.leaderboard(self.user)
        with tid(ui.column().classes('w-full gap-1 q-mt-sm'), 'goals-leaderboard'):
            with ui.row().classes('items-center gap-1'):
                ui.label(t('goals.board.title')).classes('text-subtitle1 text-weight-medium')
                with ui.icon('help_outline', size='xs').classes('text-grey-7 cursor-help'):
                    ui.tooltip(t('goals.board.help', min=MIN_LEADS)).classes('text-body2 max-w-md')
            if not board:
                ui.label(t('goals.board.empty')).classes('text-sm text-grey-7')
            for standing in board:
                self.row(standing)

    def row(self, s: Standing) -> None:
        with tid(ui.row().classes('w-full items-center gap-x-4 gap-y-0 py-1')
                 .style('border-bottom: 1px solid var(--ld-border)'), f'goals-board-{s.user_id}'):
            with ui.row().classes('items-baseline gap-2 no-wrap w-full sm:w-48'):
                ui.label('—' if s.rank is None else f'#{s.rank}').classes('text-subtitle1 text-weight-bold w-8')
                ui.label(s.name).classes('font-bold ellipsis')
                ui.label(t('goals.board.leads', count=s.leads)).classes('text-caption text-grey-7')
            for step in Step:
                score = s.scores[step]
                with tid(ui.column().classes('gap-0 min-w-[7rem] flex-1'), f'goals-board-{s.user_id}-{step}'):
                    ui.label(t(f'goals.board.step.{step}')).classes(  # the figure the rank is by stands out
                        'text-caption ' + ('text-weight-bold text-grey-9' if step == RANKED_BY else 'text-grey-7'))
                    with ui.row().classes('items-baseline gap-1 no-wrap'):
                        ui.label(index_text(score)).classes(
                            f'text-subtitle2 text-weight-medium {index_color(score)}')
                        ui.label(t('goals.board.vs', actual=score.actual, expected=f'{score.expected:.1f}')
                                 ).classes('text-caption text-grey-8')
            note = t('goals.board.unranked') if s.rank is None else t('goals.board.raw', rank=s.raw_rank)
            ui.label(note).classes('text-caption text-grey-7 w-full sm:w-auto')

