"""The reports' goal attainment panel (issue 23): for the months the report's range touches, each
goal's owner (the team, a department, a rep) and metric — the goal summed over the months, the
actual, attainment (actual ÷ goal) and pace (the sum of each month's "where it should be by now").

Every figure is the goals board's own (core/goals/board.py: the report roll-up's `cohort` and
`closed` figures per owner), month by month, so the panel, the team page and the digest agree.
Rows without a goal in any of the months are left out: the panel is about goals. A quarter or a
year is the range that covers its months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from core.context import Context
from core.errors import NotFound, ValidationFailed
from core.goals.board import GoalBoard, GoalService, subtree_members
from core.goals.pacing import month_start, next_month, pace
from core.leads.fields import LEAD, OPPORTUNITY
from core.reports.export import encode
from store import report_drill, report_lists
from store.models import GoalMetric, UserRef

COLUMNS = ('key', 'who', 'metric', 'goal', 'stretch', 'actual', 'attainment', 'expected', 'status')
DRILL_LIMIT = 500
"""Records a click lists at most (as the reports' drill-down)."""
MAX_MONTHS = 36
"""The reports' longest range (three years)."""


def months_of(first: date, last: date) -> list[date]:
    """The first days of the months `first`..`last` touch (at most MAX_MONTHS, the earliest kept)."""
    out: list[date] = []
    month = month_start(first)
    while month <= last and len(out) < MAX_MONTHS:
        out.append(month)
        month = next_month(month)
    return out


@dataclass
class _Sum:
    name: str
    goal: int = 0
    actual: int = 0
    expected: float = 0.0
    stretch: int = 0
    """Each month's stretch, else its goal (a month without a stretch reaches it at the goal)."""
    has_goal: bool = False
    has_stretch: bool = False


def frame(boards: Sequence[GoalBoard]) -> pd.DataFrame:
    """One row per (owner, metric) with a goal in any of the boards' months, in the boards' row order."""
    acc: dict[tuple[str, GoalMetric], _Sum] = {}
    for board in boards:
        for row in board.rows:
            for metric, p in row.paces.items():
                item = acc.setdefault((row.key, metric), _Sum(row.name))
                item.goal += p.goal or 0
                item.actual += p.actual
                item.expected += p.expected or 0.0
                item.stretch += p.stretch or p.goal or 0
                item.has_goal |= p.goal is not None
                item.has_stretch |= p.stretch is not None
    records = []
    for (key, metric), item in acc.items():
        if not item.has_goal:
            continue
        share = item.expected / item.goal if item.goal else 0.0
        status = pace(item.actual, item.goal, share, item.stretch if item.has_stretch else None).status
        records.append({'key': key, 'who': item.name, 'metric': str(metric), 'goal': item.goal,
                        'stretch': item.stretch if item.has_stretch else None, 'actual': item.actual,
                        'attainment': round(item.actual / item.goal, 4) if item.goal else None,
                        'expected': round(item.expected, 2), 'status': str(status)})
    return pd.DataFrame(records, columns=list(COLUMNS))


class GoalReports:
    """The reports page's goal attainment panel: the table, its drill-down and its export, for the
    months a report range touches; who is in it is the goals board's (a rep: their own row)."""

    def __init__(self, ctx: Context, goals: GoalService) -> None:
        self.ctx, self.goals = ctx, goals

    def _boards(self, actor: UserRef, first: date, last: date) -> list[GoalBoard]:
        if last < first:
            raise ValidationFailed({'end': 'out_of_range'})
        return [self.goals.board(actor, m) for m in months_of(first, last)]

    def attainment(self, actor: UserRef, first: date, last: date) -> pd.DataFrame:
        return frame(self._boards(actor, first, last))

    def export(self, actor: UserRef, first: date, last: date, fmt: str) -> bytes:
        frames = {'goal_attainment': self.attainment(actor, first, last)}
        return encode(frames, fmt, ZoneInfo(self.ctx.settings.timezone))

    def records(self, actor: UserRef, first: date, last: date, key: str, metric: str) -> list[dict[str, Any]]:
        """The leads (contacted, opportunities) or won deals behind one row's actual over the months:
        the row must be on the reader's board (their reach); a department's are its subtree's."""
        try:
            goal_metric = GoalMetric(metric)
        except ValueError:
            raise ValidationFailed({'metric': 'invalid'}) from None
        months = months_of(first, last)
        if not months:
            raise ValidationFailed({'end': 'out_of_range'})
        row = next((r for r in self.goals.board(actor, months[0]).rows if r.key == key), None)
        if row is None:
            raise NotFound()
        zone = ZoneInfo(self.ctx.settings.timezone)
        start = datetime.combine(months[0], time(0), zone)
        end = datetime.combine(next_month(months[-1]), time(0), zone)
        with self.ctx.read() as session:
            owners = subtree_members(session, row.department_id) if row.department_id is not None else \
                (None if row.user_id is None else frozenset({row.user_id}))
            if goal_metric == GoalMetric.WON_CENTS:
                ids = report_drill.goal_deal_ids(session, start, end, owners, limit=DRILL_LIMIT)
                rows = report_lists.opportunity_rows(session, columns=OPPORTUNITY.export_columns, ids=ids)
            else:
                step = 'opportunity' if goal_metric == GoalMetric.OPPORTUNITIES else 'contacted'
                ids = report_drill.goal_lead_ids(session, start, end, owners, step=step, limit=DRILL_LIMIT)
                rows = report_lists.lead_rows(session, columns=LEAD.export_columns, ids=ids)
            names = report_lists.user_names(session)
        for r in rows:
            r['owner'] = names.get(r.get('owner_id') or 0, '')
        return rows
