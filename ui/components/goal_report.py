"""The reports page's goal attainment panel: for the months the report's range touches, each goal
(the team's, a department's, a rep's) with its actual, attainment and pace; a click on an actual
lists the records it counts; CSV/XLSX export. Computed on its own, as the checklist panel."""

from __future__ import annotations

from typing import Any

import pandas as pd
from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError
from core.goals.pacing import PaceStatus
from core.reports.report_filter import ReportFilter
from store.models import GoalMetric, UserRef

from ..i18n import t
from ..marks import tid
from .goals_panel import STATUS_COLORS, shown
from .report_charts import pct
from .report_panel import download_report, export_buttons, records_dialog


class GoalAttainmentPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.client = ui.context.client
        self.generation = 0
        self.filter: ReportFilter | None = None
        with tid(ui.card().classes('w-full ld-section'), 'panel-goals') as self.card:
            with ui.row().classes('w-full items-center justify-between'):
                with ui.row().classes('items-center gap-1'):
                    ui.label(t('report.panel.goals')).classes('text-h6')
                    with tid(ui.icon('info_outline', size='xs').classes('cursor-help text-grey-7'), 'info-goals'):
                        ui.tooltip(t('report.formula.goals')).classes('text-body2 max-w-md')
                export_buttons('goals', self.export)
            self.summary = tid(ui.label(t('report.loading')).classes('text-subtitle1'), 'summary-goals')
            self.rows = tid(ui.column().classes('w-full gap-0'), 'table-goals')

    async def export(self, fmt: str) -> None:
        await download_report(lambda user, f, form: self.desk.goal_reports.export(user, f.start, f.end, form),
                              self.user, self.filter, fmt, 'goal_attainment')

    async def refresh(self, f: ReportFilter) -> None:
        self.filter = f
        self.generation += 1
        mine = self.generation
        try:
            frame = await run.io_bound(self.desk.goal_reports.attainment, self.user, f.start, f.end)
        except DomainError:
            return  # the page's status line already says what is wrong with the filter
        if self.client.is_deleted or mine != self.generation:
            return
        records = frame.to_dict('records')
        self.summary.set_text(t('report.goals_summary', count=len(records),
                                met=sum(r['status'] in (PaceStatus.MET, PaceStatus.STRETCH) for r in records))
                              if records else t('report.goals_empty'))
        self.rows.clear()
        with self.rows:
            for r in records:
                self.row(r)

    def row(self, r: dict[str, Any]) -> None:
        metric = GoalMetric(r['metric'])
        key = f'{r["key"]}-{metric}'
        with tid(ui.row().classes('w-full items-center gap-x-4 gap-y-0 py-1')
                 .style('border-bottom: 1px solid var(--ld-border)'), f'goals-report-{key}'):
            who = r['who'] or t('goals.team')
            with ui.column().classes('gap-0 w-full sm:w-44'):
                ui.label(who).classes('font-bold ellipsis')
                ui.label(t(f'goals.metric.{metric}')).classes('text-caption text-grey-7')
            with ui.column().classes('gap-0 min-w-[7rem] flex-1'):
                ui.label(t('report.col.actual_goal')).classes('text-caption text-grey-7')
                with ui.row().classes('items-baseline gap-1 no-wrap'):
                    tid(ui.button(shown(metric, r['actual']), on_click=lambda k=r['key'], m=metric, w=who:
                                  self.drill(k, m, w)).props('flat dense no-caps padding="0 4px"')
                        .classes('text-subtitle2'), f'goals-drill-{key}')
                    ui.label(f'/ {shown(metric, r["goal"])}').classes('text-sm text-grey-8')
            with ui.column().classes('gap-0 min-w-[5rem]'):
                ui.label(t('report.col.attainment')).classes('text-caption text-grey-7')
                attained = r['attainment']
                ui.label(pct(None if pd.isna(attained) else attained)).classes('text-subtitle2')
            with ui.column().classes('gap-0 min-w-[9rem] flex-1'):
                ui.label(t('report.col.pace')).classes('text-caption text-grey-7')
                stretch = None if pd.isna(r['stretch']) else int(r['stretch'])
                ui.badge(t(f'goals.status.{r["status"]}', expected=shown(metric, r['expected']),
                           stretch=shown(metric, stretch)),
                         color=STATUS_COLORS[PaceStatus(r['status'])]).props('outline').classes('text-caption')

    async def drill(self, key: str, metric: GoalMetric, who: str) -> None:
        f = self.filter
        if f is None:
            return
        try:
            rows = await run.io_bound(self.desk.goal_reports.records, self.user, f.start, f.end, key, metric)
        except DomainError:
            return
        if not self.client.is_deleted:
            kind = 'opportunities' if metric == GoalMetric.WON_CENTS else 'leads'
            records_dialog(t('report.drill_title', what=f'{who} · {t(f"goals.metric.{metric}")}'), rows, kind)
