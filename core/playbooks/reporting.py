"""The checklist report over a date range: from the daily roll-up when it covers the range, else from
the rows; and its export."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd

from core.context import Context
from core.playbooks import report as playbook_report
from core.reports.export import encode
from core.reports.report_filter import ReportFilter
from store import playbooks as store
from store import queries, report_days
from store.models import (
    UserRef,
)

if TYPE_CHECKING:
    from core.reports.panels import ReportService


class ChecklistReports:
    """Part of PlaybookService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""
    reports: ReportService
    """Likewise: the report service whose filter, scope and readers the checklist report shares."""

    def export_checklist(self, actor: UserRef, f: ReportFilter, fmt: str) -> bytes:
        """The checklist panel's table as CSV or XLSX, for the same reader and filter."""
        return encode({'checklist': self.checklist_report(actor, f)}, fmt, ZoneInfo(self.ctx.settings.timezone))

    def checklist_report(self, actor: UserRef, f: ReportFilter, *, rollup: bool = True) -> pd.DataFrame:
        """Per checklist item: how often its step was left with it open, and the win rate of deals
        closed in the range with and without it done (see core/playbooks/report.py). Without a lead
        filter but the owner it is summed from the daily roll-up (store/report_rollup.py: exact for
        any range — the exits and closings are counted by their local day, the moves and ticks as
        they stand now, as the rows are); otherwise, or with `rollup=False`, from the rows."""
        f = self.reports.check_filter(actor, f)
        s = self.reports.scope(f)
        jobs: dict[str, Callable[[Any], Any]] = {
            'items': store.all_items,
            'stages': lambda se: {st.id or 0: st for st in queries.stages(se, include_archived=True)}}
        if rollup and not (f.source or f.region or f.industry) and self._rolled_up():
            scope_id = f.rollup_scope
            jobs['rollup'] = lambda se: report_days.checklist(se, scope_id, f.start, f.end)
            got = self.reports.read_all(jobs)
            steps, deals, entered, done = got['rollup']
            exits: list[tuple[list[int], list[int], int]] = []
            for item, (n, skipped) in steps.items():
                exits += [([item], [], n - skipped), ([], [item], skipped)]
            return playbook_report.checklist_table(got['items'], got['stages'], exits=exits, deals=deals,
                                                   entered=entered, done=done)
        got = self.reports.read_all(jobs | {  # the exits and the closed deals are a year's scans each: side by side
            'exits': lambda se: store.exit_counts(se, s),
            'deals': lambda se: store.closed_totals(se, s),
            'entered': lambda se: store.closed_by_stage_entered(se, s),
            'done': lambda se: store.closed_with_done(se, s)})
        return playbook_report.checklist_table(got['items'], got['stages'], exits=got['exits'], deals=got['deals'],
                                               entered=got['entered'], done=got['done'])

    def _rolled_up(self) -> bool:
        with self.ctx.read() as session:
            return report_days.usable(session, self.ctx.settings.timezone)
