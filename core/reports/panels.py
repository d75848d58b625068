"""The reports: one filter for every panel, the panels computed from SQL aggregates by the
metrics in core/reports/metrics.py, drill-down to the records, and the channel costs that
channel ROI divides by. Reps get their own numbers only (the filter's owner is forced).

Definitions (each panel's ⓘ on the page says the same):
- The cohort: leads captured in the range (and matching the filters).
- Funnel: cohort leads that were contacted, qualified, became an opportunity, won — by the end of
  the range; each step includes the next.
- Lead conversion rate = cohort leads with an opportunity created before the range ended ÷ cohort.
- Win rate = won ÷ (won + lost) over deals closed in the range.
- First response: assignment → first contact of leads assigned in the range; SLA share = met ÷
  (met + missed) of those whose first response is decided.
- Sales cycle: capture → win of deals won in the range; time in stage: stays that ended in the range.
- Lost reasons: deals lost in the range, by reason and by the stage they were lost from.
- Forecast: open and won deals expected to close in the range, by month and by rep.
- Channel ROI: costs prorated to the range; leads = cohort; won and revenue = deals won in the range.
- Automation: audit lines written in the range.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from core import permissions
from core.context import Context
from core.errors import ValidationFailed
from core.reports import departments as report_departments
from core.reports import metrics as m
from core.reports import money as report_money
from core.reports.channel_costs import ChannelCosts
from core.reports.custom_groups import CustomGroups
from core.reports.drill import ReportDrill
from core.reports.report_filter import ReportFilter, within_reach
from store import report_days, report_lists, reporting
from store.models import Reach, Source, UserRef
from store.queries import departments as tree_rows

PRESETS = ('this_week', 'this_month', 'last_30', 'last_90', 'this_quarter', 'custom')
DIMENSIONS = reporting.LEAD_DIMENSIONS
MAX_DAYS = 3 * 366
READERS = 2
"""Report queries run this many at once (the box has two cores; SQLite readers do not block)."""


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) of a preset range that ends today."""
    if preset == 'this_week':
        return today - timedelta(days=today.weekday()), today
    if preset == 'this_month':
        return today.replace(day=1), today
    if preset == 'last_30':
        return today - timedelta(days=29), today
    if preset == 'last_90':
        return today - timedelta(days=89), today
    if preset == 'this_quarter':
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    raise ValueError(f'unknown preset {preset}')


def _minutes(zone: ZoneInfo, moment: datetime) -> int:
    return int((moment.astimezone(zone).utcoffset() or timedelta(0)).total_seconds() // 60)


@lru_cache(maxsize=256)
def utc_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[tuple[datetime, int], ...]:
    """The zone's UTC offset (minutes) from `start` on and from each change before `end` (UTC
    instants): what the raw day buckets shift by, so a lead lands in the local day the roll-up
    (which converts each instant with zoneinfo) puts it in. Offsets are sampled a day apart and a
    change is pinned to the second by bisection (a 3-year range: ~1,100 look-ups, ~5 ms; cached:
    the page asks for the same range once per panel group)."""
    out = [(start, _minutes(zone, start))]
    before = start
    while before < end:
        after = min(before + timedelta(days=1), end)
        if _minutes(zone, after) != out[-1][1]:
            low, top = 0, int((after - before).total_seconds())  # the old offset at `low`, the new at `top`
            while top - low > 1:
                middle = (low + top) // 2
                if _minutes(zone, before + timedelta(seconds=middle)) == out[-1][1]:
                    low = middle
                else:
                    top = middle
            out.append((before + timedelta(seconds=top), _minutes(zone, before + timedelta(seconds=top))))
        before = after
    return tuple(out)


@dataclass
class Report:
    filter: ReportFilter
    funnel: pd.DataFrame
    conversion: dict[str, pd.DataFrame]
    conversion_rate: float | None
    weekly: pd.DataFrame
    win: dict[str, pd.DataFrame]
    win_rate: float | None
    response: pd.DataFrame
    response_summary: dict[str, Any]
    cycle: pd.DataFrame
    stage_time: pd.DataFrame
    lost: pd.DataFrame
    lost_totals: pd.DataFrame
    forecast_month: pd.DataFrame
    forecast_rep: pd.DataFrame
    roi: pd.DataFrame | None
    """None for reps: costs are the team's, not one rep's."""
    automation: pd.DataFrame
    automation_rep: pd.DataFrame
    computed_at: datetime
    names: dict[int, str] = field(default_factory=dict)
    stages: dict[int, tuple[str, str, int, str]] = field(default_factory=dict)
    """Stage id → (English name, Chinese name, position, kind), archived ones too."""

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every panel's table by name: what the export buttons write."""
        out = {'funnel': self.funnel, 'weekly_conversion': self.weekly}
        out |= {f'conversion_by_{d}': f for d, f in self.conversion.items()}
        out |= {f'win_rate_by_{d}': f for d, f in self.win.items()}
        out |= {'first_response': self.response, 'sales_cycle': self.cycle, 'stage_time': self.stage_time,
                'lost_reasons': self.lost, 'forecast_by_month': self.forecast_month,
                'forecast_by_rep': self.forecast_rep, 'automation': self.automation,
                'automation_by_rep': self.automation_rep}
        if self.roi is not None:
            out['channel_roi'] = self.roi
        return out


@dataclass(frozen=True, slots=True)
class FilterOptions:
    sources: list[str]
    regions: list[str]
    industries: list[str]
    reps: list[tuple[int, str]]
    """Empty for a rep (the owner filter is always themselves)."""


class ReportService(ChannelCosts, CustomGroups, ReportDrill):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ----- the filter --------------------------------------------------------------------------------

    def check_filter(self, actor: UserRef, f: ReportFilter) -> ReportFilter:
        """A valid range, and the reader's data scope whatever owner was asked for."""
        if f.end < f.start:
            raise ValidationFailed({'end': 'out_of_range'})
        if (f.end - f.start).days > MAX_DAYS:
            raise ValidationFailed({'start': 'out_of_range'})
        return within_reach(actor, f)

    def scope(self, f: ReportFilter) -> reporting.Scope:
        zone = ZoneInfo(self.ctx.settings.timezone)
        start = datetime.combine(f.start, datetime.min.time(), zone)
        end = datetime.combine(f.end + timedelta(days=1), datetime.min.time(), zone)
        return reporting.Scope(start=start.astimezone(UTC), end=end.astimezone(UTC), source=f.source or None,
                               region=f.region or None, industry=f.industry or None, owner_id=f.owner_id,
                               reach=None if f.owners is None else Reach(everyone=False, owner_ids=f.owners),
                               offsets=utc_offsets(zone, start.astimezone(UTC), end.astimezone(UTC)))

    def today(self) -> date:
        return self.ctx.now().astimezone(ZoneInfo(self.ctx.settings.timezone)).date()

    def filter_options(self, actor: UserRef) -> FilterOptions:
        with self.ctx.read() as session:
            regions = report_lists.distinct_values(session, 'region')
            industries = report_lists.distinct_values(session, 'industry')
            reach = permissions.reach(actor)
            reps = [(i, n) for i, n in report_lists.rep_names(session) if reach.covers(i)] \
                if permissions.can_read_team_reports(actor) else []
        return FilterOptions(sources=list(Source), regions=regions, industries=industries, reps=reps)

    # ----- the panels --------------------------------------------------------------------------------

    def report(self, actor: UserRef, f: ReportFilter, *, rollup: bool = True) -> Report:
        """Every panel for the filter. The reads are independent: they run on READERS threads, each
        in its own read transaction (SQLite in WAL and PostgreSQL read concurrently), so a write
        landing meanwhile can show in one panel a moment before another."""
        f = self.check_filter(actor, f)
        s = self.scope(f)
        sees_costs = permissions.sees_all_leads(actor)
        rolled = rollup and self._rolled_up(f, s)
        jobs: dict[str, Callable[[Any], Any]] = {
            'responses': lambda se: reporting.first_responses(se, s),
            'stays': lambda se: list(reporting.stage_intervals(se, s)),
            'cycles': lambda se: list(reporting.won_cycles(se, s)),
            'lost': lambda se: list(reporting.lost_from(se, s)),
            'forecast': lambda se: reporting.forecast_rows(se, s, f.start, f.end),
            'names': report_lists.user_names,
            'stages': report_lists.stage_names,
            'costs': lambda se: [(c.source, c.month, c.cost_cents) for c in
                                 report_lists.channel_costs(se, f.start.replace(day=1), f.end)] if sees_costs else None,
        }
        if permissions.can_read_team_reports(actor):
            jobs['departments'] = lambda se: (tree_rows.tree(se), tree_rows.every_users_department(se))
        if rolled:
            scope_id = f.rollup_scope
            jobs['rollup'] = lambda se: (report_days.cohort_by_dimension(se, scope_id, f.start, f.end),
                                         report_days.closed_by_dimension(se, scope_id, f.start, f.end),
                                         report_days.sla_by_owner(se, scope_id, f.start, f.end),
                                         report_days.automation_counts(se, scope_id, f.start, f.end),
                                         report_days.cohort_by_day(se, scope_id, f.start, f.end))
        else:
            jobs |= {
                'cohort': lambda se: reporting.cohort_figures(se, s),
                'cohort_deals': lambda se: reporting.cohort_deals(se, s),
                'captured_days': lambda se: reporting.captured_by_day(se, s),
                'converted_days': lambda se: reporting.converted_by_day(se, s),
                'sla': lambda se: reporting.sla_outcomes(se, s),
                'closed': lambda se: reporting.closed_figures(se, s),
                'automation': lambda se: reporting.automation_counts(se, s),
            }
        got = self.read_all(jobs)
        names, stages, costs = got['names'], got['stages'], got['costs']
        responses, cycles, stays, lost = got['responses'], got['cycles'], got['stays'], got['lost']
        forecast_rows = got['forecast']
        if rolled:
            cohort_dims, closed_rows, sla, automation_rows, days = got['rollup']
            conversion_rows = {d: [(v, n, o) for v, n, _c, _q, o, _w in rows] for d, rows in cohort_dims.items()}
            counts = {step: sum(row[i + 1] for row in cohort_dims['owner_id'])
                      for i, step in enumerate(reporting.FUNNEL_STEPS)}
        else:
            sla, automation_rows = got['sla'], got['automation']
            table = m.cohort(got['cohort'], got['cohort_deals'])
            days = m.by_day(got['captured_days'], got['converted_days'])
            closed_rows = {d: m.closed_rows(got['closed'], d) for d in DIMENSIONS}
            counts = m.step_counts(table, reporting.FUNNEL_STEPS)
            conversion_rows = {d: m.dimension_rows(table, d) for d in DIMENSIONS}
        funnel = m.funnel(counts, reporting.FUNNEL_STEPS)
        labels: dict[str, dict[int, str]] = {}
        if 'departments' in got:
            nodes, department_of = got['departments']
            root = report_departments.root_id(nodes)
            labels[report_departments.DEPARTMENT] = report_departments.names(nodes)
            conversion_rows[report_departments.DEPARTMENT] = report_departments.by_department(
                conversion_rows['owner_id'], department_of, root)
            closed_rows[report_departments.DEPARTMENT] = report_departments.by_department(
                closed_rows['owner_id'], department_of, root)
        win = {d: m.win_rate(rows, d, labels.get(d, names)) for d, rows in closed_rows.items()}
        by_source = win['source']
        won_total = int(by_source['won'].sum()) if len(by_source) else 0
        lost_frame = m.lost_reasons(lost)
        forecast_month, forecast_rep = report_money.forecast(forecast_rows, f.start, f.end, names)
        automation, automation_rep = m.automation(automation_rows, names)
        roi = None
        if costs is not None:
            leads = {k: n for k, n, _ in conversion_rows['source'] if k}
            won_by_source = {k: (w, c) for k, w, _, c in closed_rows['source'] if k}
            roi = report_money.roi(report_money.prorated_costs(costs, f.start, f.end), leads, won_by_source)
        return Report(
            filter=f, funnel=funnel,
            conversion={d: m.conversion(rows, d, labels.get(d, names)) for d, rows in conversion_rows.items()},
            conversion_rate=m.ratio(counts['opportunity'], counts['captured']),
            weekly=m.weekly_conversion(days, f.start, f.end), win=win,
            win_rate=m.ratio(won_total, int(by_source['closed'].sum()) if len(by_source) else 0),
            response=m.first_response(responses, sla, names), response_summary=m.response_summary(responses, sla),
            cycle=m.sales_cycle(cycles), stage_time=m.stage_time(stays, stages), lost=lost_frame,
            lost_totals=m.reason_totals(lost_frame), forecast_month=forecast_month, forecast_rep=forecast_rep,
            roi=roi, automation=automation, automation_rep=automation_rep, computed_at=self.ctx.now(), names=names,
            stages=stages)

    def _rolled_up(self, f: ReportFilter, s: reporting.Scope) -> bool:
        """Whether the daily roll-up answers this report exactly: no lead filter but the owner (the
        roll-up keeps the team and each owner), and a range that ends now or later (its steps are
        counted "by now", which is "by the end of the range" only then)."""
        if f.source or f.region or f.industry or s.end < self.ctx.now():
            return False
        with self.ctx.read() as session:
            return report_days.usable(session, self.ctx.settings.timezone)

    def read_all(self, jobs: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
        """Each job on a READERS thread in its own read transaction (independent panels' queries)."""
        def read(job: Callable[[Any], Any]) -> Any:
            with self.ctx.read() as session:
                return job(session)

        with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix='report') as pool:
            futures = {name: pool.submit(read, job) for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}

    # ----- drill-down --------------------------------------------------------------------------------

    # ----- channel costs -----------------------------------------------------------------------------

