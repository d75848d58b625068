"""Monthly goals per rep and for the team, and the board the team page shows: each goal's actual
figure and its pace (core/goals/pacing.py) on the team calendar.

The actuals are the report figures' own (store/report_figures.py `FIGURES`): `cohort` (leads captured
in the month: `contacted`, `opportunity`) and `closed` (deals closed in the month: `won_cents`), per
owner, read from the daily roll-up (store/report_days.py) — no second SQL for the same number, so
the board and the reports agree. The roll-up counts a cohort's steps "by now": for the current
month that is the month's figure; a past month's contacted and opportunities keep growing as
its leads are worked later (as in the reports' roll-up). Quarters and years are sums of months.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import permissions
from core.accounts.departments import managed_by, ordered
from core.accounts.reach import subtree
from core.automation.policy import load_policy
from core.context import Context, audit
from core.errors import NotAllowed, ValidationFailed
from core.goals.leaderboard import Standing, standings
from core.goals.pacing import MonthPace, Pace, month_pace, month_start, next_month, pace
from store import goals as store
from store import report_days
from store.audit_actions import AuditAction
from store.models import GoalMetric, UserRef
from store.queries import departments as department_rows
from store.queries.workload import active_reps

MAX_TARGET = 10**13
"""A bound that keeps a typo from overflowing a report column (cents: 100 billion)."""


@dataclass(frozen=True, slots=True)
class GoalRow:
    user_id: int | None
    """None: the team as a whole, or the department."""
    name: str
    paces: Mapping[GoalMetric, Pace]
    department_id: int | None = None
    """A department's row: its subtree's reps summed (the root is the team's row)."""
    depth: int = 0
    """A department's depth below the root's children (for indenting)."""

    @property
    def key(self) -> str:
        """The row's stable name in the page and the editor: 'team', 'd<id>' or the rep's id."""
        if self.department_id is not None:
            return f'd{self.department_id}'
        return 'team' if self.user_id is None else str(self.user_id)


@dataclass(frozen=True, slots=True)
class GoalBoard:
    month: date
    pace: MonthPace
    rows: tuple[GoalRow, ...]
    """The team first, then the departments the reader may set goals for (depth-first, not the
    root: the team's row is it), then each active rep in reach (by name)."""


def actuals(session: Any, first: date, last: date) -> dict[int | None, dict[GoalMetric, int]]:
    """owner (None: unowned) → metric → the month's figure, from the roll-up; the team is their sum."""
    out: dict[int | None, dict[GoalMetric, int]] = defaultdict(lambda: dict.fromkeys(GoalMetric, 0))
    cohort = report_days.cohort_by_dimension(session, 0, first, last)['owner_id']
    for owner, _captured, contacted, _qualified, opportunity, _won in cohort:
        out[owner][GoalMetric.CONTACTED] += contacted
        out[owner][GoalMetric.OPPORTUNITIES] += opportunity
    for owner, _won, _lost, cents in report_days.closed_by_dimension(session, 0, first, last)['owner_id']:
        out[owner][GoalMetric.WON_CENTS] += cents
    return dict(out)


def _number(value: Any, name: str, errors: dict[str, str]) -> int | None:
    if value is None or value == '':
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = 'not_number'
        return None
    if not 0 <= number <= MAX_TARGET:
        errors[name] = 'out_of_range'
    return number


class GoalService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.ctx.settings.timezone)

    def this_month(self) -> date:
        return month_start(self.ctx.now().astimezone(self._zone()).date())

    def board(self, actor: UserRef, month: date | None = None) -> GoalBoard:
        """The month's goals with actuals and pace (managers: the team and reps in reach; a rep: own row)."""
        month = month_start(month or self.this_month())
        now = self.ctx.now()
        with self.ctx.read() as session:
            calendar = load_policy(session).calendar
            goals = store.for_months(session, [month])
            figures = actuals(session, month, _last_day(month))
            reps = [r for r in active_reps(session) if permissions.in_reach(actor, r.id)]
            units = _departments(session, actor) if permissions.can_assign(actor) else []
        if month == self.this_month():
            passed = month_pace(calendar, now)
        else:  # a past month has passed wholly, a future one not at all
            last_instant = datetime.combine(next_month(month), time(0), tzinfo=self._zone()) - timedelta(microseconds=1)
            whole = month_pace(calendar, last_instant)
            passed = whole if month < self.this_month() else MonthPace(month, whole.working_days, 0.0)
        set_for = {(g.user_id, g.department_id, GoalMetric(g.metric)): g for g in goals}
        team_figures: dict[GoalMetric, int] = dict.fromkeys(GoalMetric, 0)
        for values in figures.values():
            for metric, n in values.items():
                team_figures[metric] += n

        def row(user_id: int | None, name: str, values: Mapping[GoalMetric, int], department_id: int | None = None,
                depth: int = 0) -> GoalRow:
            paces = {}
            for metric in GoalMetric:
                g = set_for.get((user_id, department_id, metric))
                paces[metric] = pace(values.get(metric, 0), g.target if g else None, passed.share,
                                     g.stretch if g else None)
            return GoalRow(user_id, name, paces, department_id, depth)

        rows = [row(None, unit.name, _summed(figures, unit.members), unit.id, unit.depth) for unit in units]
        rows += [row(r.id, r.name, figures.get(r.id, {})) for r in sorted(reps, key=lambda r: r.name)]
        if permissions.sees_all_leads(actor):
            rows.insert(0, row(None, '', team_figures))
        elif not permissions.can_assign(actor):
            rows = [r for r in rows if r.user_id == actor.id]
        return GoalBoard(month, passed, tuple(rows))

    def leaderboard(self, actor: UserRef, month: date | None = None) -> tuple[Standing, ...]:
        """The month's reps in reach ranked by their figures against what their grade mix predicts
        (core/goals/leaderboard.py). Managers and admins only: a peer ranking is a manager's tool."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        month = month_start(month or self.this_month())
        with self.ctx.read() as session:
            reps = [r for r in active_reps(session) if permissions.in_reach(actor, r.id)]
            figures = report_days.cohort_by_owner_grade(session, [r.id or 0 for r in reps], month,
                                                        _last_day(month))
        return standings(figures, {r.id or 0: r.name for r in reps})

    def set_goals(self, actor: UserRef, month: date, values: Sequence[Mapping[str, Any]]) -> int:
        """Set a month's goals in one go (the editor's rows: user_id or department_id or neither for
        the team, metric, target, stretch; an empty target clears). Managers and admins, for reps in
        reach and the departments they shape (their subtree; the team goal: those who see everyone).
        Bad rows are all named (`<index>.target` …) and nothing is saved. Audited per change."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        month = month_start(month)
        errors: dict[str, str] = {}
        clean: list[tuple[int | None, int | None, GoalMetric, int | None, int | None]] = []
        with self.ctx.read() as session:
            allowed = {u.id for u in _departments(session, actor)}
        for i, v in enumerate(values):
            user_id, department_id = v.get('user_id'), v.get('department_id')
            try:
                metric = GoalMetric(str(v.get('metric')))
            except ValueError:
                errors[f'{i}.metric'] = 'invalid'
                continue
            if department_id is not None:
                if user_id is not None or department_id not in allowed:  # the subtree the manager shapes
                    raise NotAllowed()
            elif (user_id is None and not permissions.sees_all_leads(actor)) or \
                    (user_id is not None and not permissions.in_reach(actor, user_id)):
                raise NotAllowed()
            target = _number(v.get('target'), f'{i}.target', errors)
            stretch = _number(v.get('stretch'), f'{i}.stretch', errors)
            if stretch is not None and (target is None or stretch <= target):
                errors[f'{i}.stretch'] = 'below_min'
            clean.append((user_id, department_id, metric, target, stretch))
        if errors:
            raise ValidationFailed(errors)
        now, changed = self.ctx.now(), 0
        with self.ctx.write() as session:
            for user_id, department_id, metric, target, stretch in clean:
                before = store.put(session, month=month, user_id=user_id, department_id=department_id, metric=metric,
                                   target=target, stretch=stretch, actor_id=actor.id, now=now)
                was = (before.target, before.stretch) if before is not None else (None, None)
                if was == (target, stretch):
                    continue
                changed += 1
                audit(session, AuditAction.GOAL_SET, now=now, actor_id=actor.id, subject_user_id=user_id,
                      reason_key='goals.reason.set', month=month.isoformat(), metric=str(metric),
                      target=target, stretch=stretch, department_id=department_id)
        return changed

    def period(self, actor: UserRef, months: Sequence[date]) -> dict[tuple[int | None, GoalMetric], tuple[int, int]]:
        """(who, metric) → (goal, actual) summed over `months` (a quarter, a year): goals roll up
        from months; the team's row is None."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        out: dict[tuple[int | None, GoalMetric], tuple[int, int]] = {}
        with self.ctx.read() as session:
            for g in store.for_months(session, [month_start(m) for m in months]):
                if g.department_id is not None:  # a department's goals are not the team's
                    continue
                key = (g.user_id, GoalMetric(g.metric))
                goal, _ = out.get(key, (0, 0))
                out[key] = (goal + g.target, 0)
            for m in months:
                figures = actuals(session, month_start(m), _last_day(month_start(m)))
                for key in out:
                    user_id, metric = key
                    n = sum(v[metric] for v in figures.values()) if user_id is None else \
                        figures.get(user_id, {}).get(metric, 0)
                    out[key] = (out[key][0], out[key][1] + n)
        return out


@dataclass(frozen=True, slots=True)
class _Unit:
    id: int
    name: str
    depth: int
    members: frozenset[int]


def _departments(session: Any, actor: UserRef) -> list[_Unit]:
    """The departments `actor` may set goals for (a manager: their subtree; admins: all), depth-first,
    the root left out (the team's row is the company), each with the users of its subtree."""
    if not permissions.can_assign(actor):
        return []
    nodes = department_rows.tree(session)
    managed = managed_by(session, actor, nodes)
    out = []
    for node, depth in ordered(nodes):
        if node.parent_id is None or (managed is not None and node.id not in managed):
            continue
        members = department_rows.user_ids_in(session, subtree(nodes, [node.id]), with_unplaced=False)
        out.append(_Unit(node.id, node.name, depth - 1, frozenset(members)))  # (as subtree_members, one tree read)
    return out


def subtree_members(session: Any, department_id: int) -> frozenset[int]:
    """The users of a department and every department below it (a department goal's people)."""
    nodes = department_rows.tree(session)
    return frozenset(department_rows.user_ids_in(session, subtree(nodes, [department_id]), with_unplaced=False))


def _summed(figures: Mapping[int | None, Mapping[GoalMetric, int]], members: frozenset[int]) -> dict[GoalMetric, int]:
    return {m: sum(v.get(m, 0) for owner, v in figures.items() if owner in members) for m in GoalMetric}


def _last_day(month: date) -> date:
    return date.fromordinal(next_month(month).toordinal() - 1)

