"""Customer care in the reports: NPS (and average satisfaction) by tier and by owner over the
revisits recorded in the range, the customers overdue for a revisit now, and won revenue split
into new and repeat (repurchase) business.

Definitions (the panel's ⓘ says the same):
- NPS = % promoters (9–10) − % detractors (0–6) of the revisits with an NPS answer, −100…100.
- By tier and by owner as they were when the revisit was recorded.
- Overdue: open care tasks whose due time has passed (the current state, not the range).
- Repeat revenue: deals won in the range whose account had another deal won before them.
The reports' owner filter applies; source, region and industry describe leads, not customers, and
are ignored here. Reps see their own customers only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from core.context import Context
from core.customers.care import DueRevisit, due_row
from core.reports.export import encode
from core.reports.panels import ReportService
from core.reports.report_filter import ReportFilter
from store import care as care_store
from store import report_lists
from store.models import UserRef

OVERDUE_LIMIT = 200


def nps(promoters: int, detractors: int, answers: int) -> float | None:
    """Net promoter score over `answers` NPS answers; None over none."""
    if answers <= 0:
        return None
    return round(100 * (promoters - detractors) / answers, 1)


@dataclass(frozen=True, slots=True)
class NpsRow:
    key: Any
    """The tier, or the owner's user id (None: no owner)."""
    name: str
    answers: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    satisfaction_answers: int
    satisfaction: float | None
    """Average satisfaction (1–5), None over none."""


@dataclass(frozen=True, slots=True)
class RevenueSplit:
    new_count: int
    new_cents: int
    repeat_count: int
    repeat_cents: int

    @property
    def repeat_share(self) -> float | None:
        total = self.new_cents + self.repeat_cents
        return round(100 * self.repeat_cents / total, 1) if total else None


@dataclass(frozen=True, slots=True)
class CareReport:
    filter: ReportFilter
    total: NpsRow
    by_tier: list[NpsRow]
    by_owner: list[NpsRow]
    overdue: list[DueRevisit]
    revenue: RevenueSplit


def nps_row(key: Any, name: str, counts: tuple[int, int, int, int, int] | list[int]) -> NpsRow:
    """From the store's counts: NPS answers, promoters, detractors, satisfaction answers and sum."""
    answers, promoters, detractors, satisfaction_answers, satisfaction_sum = counts
    return NpsRow(key=key, name=name, answers=answers, promoters=promoters, passives=answers - promoters - detractors,
                  detractors=detractors, nps=nps(promoters, detractors, answers),
                  satisfaction_answers=satisfaction_answers,
                  satisfaction=round(satisfaction_sum / satisfaction_answers, 2) if satisfaction_answers else None)


class CareReportService:
    def __init__(self, ctx: Context, reports: ReportService) -> None:
        self.ctx, self.reports = ctx, reports

    def export(self, actor: UserRef, f: ReportFilter, fmt: str) -> bytes:
        """The care panels' tables (CSV: NPS by tier; XLSX: every table as a sheet)."""
        return encode(care_frames(self.care_report(actor, f)), fmt, ZoneInfo(self.ctx.settings.timezone))

    def care_report(self, actor: UserRef, f: ReportFilter) -> CareReport:
        f = self.reports.check_filter(actor, f)  # a rep's own customers, whatever was asked
        s = self.reports.scope(f)
        reach = s.reach  # the scope's owners (check_filter): a department manager's customers only
        with self.ctx.read() as session:
            names = report_lists.user_names(session)
            by_tier = care_store.nps_counts(session, s.start, s.end, f.owner_id, 'tier', reach=reach)
            by_owner = care_store.nps_counts(session, s.start, s.end, f.owner_id, 'owner', reach=reach)
            overdue = care_store.open_tasks(session, owner_id=f.owner_id, due_before=self.ctx.now(),
                                            limit=OVERDUE_LIMIT, reach=reach)
            revenue = care_store.won_revenue_by_repeat(session, s.start, s.end, f.owner_id, reach)
        sums = [sum(row[i] for row in by_tier) for i in range(1, 6)]
        new, repeat = revenue.get(False, (0, 0)), revenue.get(True, (0, 0))
        return CareReport(
            filter=f, total=nps_row(None, '', sums),
            by_tier=[nps_row(key, key or '', rest) for key, *rest in by_tier],
            by_owner=sorted((nps_row(key, names.get(key or 0, ''), rest) for key, *rest in by_owner),
                            key=lambda r: (r.nps is None, -(r.nps or 0), r.name)),
            overdue=[due_row(task, name, tier, owner) for task, name, tier, owner in overdue],
            revenue=RevenueSplit(new_count=new[0], new_cents=new[1], repeat_count=repeat[0], repeat_cents=repeat[1]))


def care_frames(report: CareReport) -> dict[str, pd.DataFrame]:
    """The care panels' tables as the export writes them (CSV: the first, NPS by tier)."""
    def nps_frame(rows: list[NpsRow]) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in rows], columns=list(NpsRow.__dataclass_fields__))

    r = report.revenue
    return {'nps_by_tier': nps_frame(report.by_tier), 'nps_by_owner': nps_frame(report.by_owner),
            'overdue_revisits': pd.DataFrame([asdict(d) for d in report.overdue],
                                             columns=list(DueRevisit.__dataclass_fields__)),
            'new_vs_repeat_revenue': pd.DataFrame([
                {'kind': 'new', 'deals': r.new_count, 'won_cents': r.new_cents},
                {'kind': 'repeat', 'deals': r.repeat_count, 'won_cents': r.repeat_cents}])}
