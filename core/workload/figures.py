"""The team's workload: per-rep load figures, team totals and how fairly leads are spread.

Everything is summed in SQL (GROUP BY owner); only the last 7 days of first responses come
back as rows, for the median."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core import permissions
from core.automation.policy import load_policy
from core.context import Context
from core.errors import NotAllowed
from core.workload.department_load import DepartmentLoad, members_below, summarize
from store import queries
from store.models import Grade, User, UserRef
from store.queries import departments as tree_rows

RESPONSE_WINDOW = timedelta(days=7)


class RepStatus:
    ACTIVE = 'active'
    ON_LEAVE = 'on_leave'
    AT_CAPACITY = 'at_capacity'
    OFF_SHIFT = 'off_shift'


@dataclass(frozen=True, slots=True)
class RepLoadView:
    user_id: int
    name: str
    capacity: int
    is_on_leave: bool
    open_by_grade: dict[str, int]
    """Open leads per grade, every grade present (A, B, C)."""
    new_today: int
    due_today: int
    overdue: int
    sla_breaches: int
    open_opportunities: int
    pipeline_cents: int
    weighted_cents: int
    median_response_minutes: float | None
    """Assignment → first contact, leads assigned in the last 7 days (None: no contact yet)."""
    status: str
    leave_until: datetime | None = None
    seniority: int = 1
    regions: str = ''
    daily_quota: int = 0
    shift_start: int | None = None
    shift_end: int | None = None
    department_id: int | None = None

    @property
    def open_leads(self) -> int:
        return sum(self.open_by_grade.values())

    @property
    def capacity_used_pct(self) -> float | None:
        """Open leads as a percentage of capacity (None when capacity is 0)."""
        return round(100 * self.open_leads / self.capacity, 1) if self.capacity > 0 else None


@dataclass(frozen=True, slots=True)
class Fairness:
    """How evenly load is spread relative to capacity (reps with capacity > 0)."""

    load_gini: float
    """Gini of open leads ÷ capacity: 0 perfectly even, (n-1)/n all on one rep."""
    a_grade_gini: float
    """The same for A-grade leads ÷ capacity."""
    max_load: float
    """The highest open ÷ capacity ratio."""
    min_load: float


@dataclass(frozen=True, slots=True)
class TeamView:
    reps: list[RepLoadView]
    open_leads: int
    capacity: int
    new_today: int
    due_today: int
    overdue: int
    sla_breaches: int
    open_opportunities: int
    pipeline_cents: int
    weighted_cents: int
    fairness: Fairness
    computed_at: datetime
    departments: list[DepartmentLoad] = field(default_factory=list)
    """Capacity per department (subtree totals) over the reps in scope, whatever the filter."""


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: mean absolute difference of all pairs over twice
    the mean, Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄). 0 when all are equal (or there is nothing to share),
    (n−1)/n when one holds everything. Computed in O(n log n) from the sorted values."""
    n = len(values)
    total = float(sum(values))
    if n == 0 or total <= 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(ordered))
    return weighted / (n * total)


def rep_status(user: User, open_leads: int, *, on_shift: bool = True) -> str:
    """Why assignment would skip this rep now, the strongest reason first."""
    if user.is_on_leave:
        return RepStatus.ON_LEAVE
    if not on_shift:
        return RepStatus.OFF_SHIFT
    if open_leads >= user.capacity:
        return RepStatus.AT_CAPACITY
    return RepStatus.ACTIVE


def compute_fairness(reps: Sequence[RepLoadView]) -> Fairness:
    counted = [r for r in reps if r.capacity > 0]
    loads = [r.open_leads / r.capacity for r in counted]
    a_loads = [r.open_by_grade.get(Grade.A, 0) / r.capacity for r in counted]
    return Fairness(load_gini=round(gini(loads), 4), a_grade_gini=round(gini(a_loads), 4),
                    max_load=round(max(loads, default=0.0), 4), min_load=round(min(loads, default=0.0), 4))


class WorkloadService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def team(self, actor: UserRef, now: datetime | None = None, *, department_id: int | None = None) -> TeamView:
        """The team page's figures: managers and admins only, for the reps within their data scope;
        `department_id`: only those of that department and below (the capacity per department
        always covers every rep in scope)."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        now = now or self.ctx.now()
        day_start = self.ctx.day_start(now)
        day_end = day_start + timedelta(days=1)
        with self.ctx.read() as session:
            reps = [u for u in queries.active_reps(session) if permissions.in_reach(actor, u.id)]  # data scope
            nodes = tree_rows.tree(session)
            calendar = load_policy(session).calendar
            leads = queries.workload_open_leads(session, now=now, day_end=day_end)
            new_today = queries.workload_assigned_since(session, day_start)
            deals = queries.workload_open_opportunities(session)
            medians = queries.workload_response_medians(session, now - RESPONSE_WINDOW)
        views = []
        empty = queries.OwnerLeadFigures(by_grade={}, due_today=0, overdue=0, sla_failed=0)
        for user in reps:
            uid = user.id or 0
            figures = leads.get(uid, empty)
            by_grade = {g.value: figures.by_grade.get(g.value, 0) for g in Grade}
            count, amount, weighted = deals.get(uid, (0, 0, 0))
            views.append(RepLoadView(
                user_id=uid, name=user.name, capacity=user.capacity, is_on_leave=user.is_on_leave,
                open_by_grade=by_grade, new_today=new_today.get(uid, 0), due_today=figures.due_today,
                overdue=figures.overdue, sla_breaches=figures.sla_failed, open_opportunities=count,
                pipeline_cents=amount, weighted_cents=weighted,
                median_response_minutes=round(medians[uid], 1) if uid in medians else None,
                status=rep_status(user, sum(by_grade.values()),
                                  on_shift=calendar.on_shift(user.shift_start, user.shift_end, now)),
                leave_until=user.leave_until, seniority=user.seniority, regions=user.regions,
                daily_quota=user.daily_quota, shift_start=user.shift_start, shift_end=user.shift_end,
                department_id=user.department_id))
        departments = summarize(nodes, [(v.department_id, v.open_leads, v.capacity) for v in views])
        if department_id is not None:
            kept = members_below(nodes, department_id)
            views = [v for v in views if v.department_id in kept]
        return TeamView(departments=departments,
            reps=views, open_leads=sum(v.open_leads for v in views), capacity=sum(v.capacity for v in views),
            new_today=sum(v.new_today for v in views), due_today=sum(v.due_today for v in views),
            overdue=sum(v.overdue for v in views), sla_breaches=sum(v.sla_breaches for v in views),
            open_opportunities=sum(v.open_opportunities for v in views),
            pipeline_cents=sum(v.pipeline_cents for v in views), weighted_cents=sum(v.weighted_cents for v in views),
            fairness=compute_fairness(views), computed_at=now)
