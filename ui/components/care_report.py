"""The reports page's customer-care panels: NPS by tier and by owner, the customers overdue for
a revisit, and won revenue split into new and repeat business. Their own cards and their own
computation (`desk.care_reports`), refreshed with the page's filter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import run, ui

from core.customers.care_reports import CareReport, NpsRow
from core.desk import Desk
from core.errors import DomainError
from core.reports.report_filter import ReportFilter
from store.models import UserRef

from ..errors import message
from ..format import money, when
from ..i18n import t
from ..marks import tid
from .care_panel import tier_text
from .report_charts import BLUE, GREEN, NONE, ORANGE
from .report_panel import download_report, export_buttons
from .table import table_region

NPS_COLUMNS = ('name', 'answers', 'nps', 'satisfaction')


def score(value: float | None) -> str:
    return NONE if value is None else f'{value:g}'


def nps_chart(rows: list[NpsRow]) -> dict[str, Any]:
    return {'animation': False, 'tooltip': {'trigger': 'axis'},
            'grid': {'left': 8, 'right': 16, 'top': 16, 'bottom': 8, 'containLabel': True},
            'xAxis': {'type': 'category', 'data': [tier_text(r.key) for r in rows]},
            'yAxis': {'type': 'value', 'min': -100, 'max': 100},
            'series': [{'type': 'bar', 'name': t('care.nps_short'), 'color': BLUE,
                        'data': [r.nps for r in rows], 'label': {'show': True, 'position': 'top'}}]}


def revenue_chart(report: CareReport) -> dict[str, Any]:
    r = report.revenue
    return {'animation': False, 'tooltip': {'trigger': 'item', 'formatter': '{b}: {d}%'},
            'legend': {'top': 0},
            'series': [{'type': 'pie', 'radius': ['35%', '65%'], 'top': 24,
                        'data': [{'name': t('care.revenue_new'), 'value': r.new_cents / 100,
                                  'itemStyle': {'color': GREEN}},
                                 {'name': t('care.revenue_repeat'), 'value': r.repeat_cents / 100,
                                  'itemStyle': {'color': ORANGE}}]}]}


def _nps_rows(rows: list[NpsRow], *, tiers: bool) -> list[dict[str, Any]]:
    return [{'key': str(r.key), 'name': tier_text(r.key) if tiers else (r.name or t('lead.unassigned')),
             'answers': r.answers, 'nps': score(r.nps), 'satisfaction': score(r.satisfaction)} for r in rows]


def _card_title(key: str, on_export: Callable[[str], Awaitable[None]] | None = None) -> None:
    with ui.row().classes('w-full items-center justify-between'):
        with ui.row().classes('items-center gap-1'):
            ui.label(t(f'care.panel.{key}')).classes('text-h6')
            with tid(ui.icon('info_outline', size='xs').classes('cursor-help text-grey-7'), f'info-care-{key}'):
                ui.tooltip(t(f'care.formula.{key}')).classes('text-body2 max-w-md')
        if on_export is not None:
            export_buttons(f'care-{key}', on_export)


class CareReportPanels:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.client = ui.context.client
        self.filter: ReportFilter | None = None
        self.generation = 0

    def build(self) -> None:
        columns = [{'name': n, 'label': t(f'care.col.{n}'), 'field': n, 'align': 'left'} for n in NPS_COLUMNS]
        with tid(ui.card().classes('w-full ld-section'), 'panel-care') as self.card:
            _card_title('nps', self.export)
            with ui.row().classes('w-full gap-4 items-start md:flex-nowrap'):
                self.nps_chart = tid(ui.echart({'series': []}).classes('w-full md:w-1/2 h-64'), 'chart-care-nps')
                with ui.column().classes('w-full md:w-1/2 gap-1 min-w-0'):
                    self.nps_summary = tid(ui.label(t('report.loading')).classes('text-subtitle1'), 'summary-care')
                    with table_region(t('care.by_tier')):
                        self.tier_table = tid(ui.table(columns=columns, rows=[], row_key='key')
                                              .props('dense flat').classes('w-full'), 'table-care-tier')
            ui.label(t('care.by_owner')).classes('text-subtitle2')
            with table_region(t('care.by_owner')):
                self.owner_table = tid(ui.table(columns=columns, rows=[], row_key='key').props('dense flat')
                                       .classes('w-full'), 'table-care-owner')
            self.overdue_title = tid(ui.label('').classes('text-subtitle2'), 'care-overdue-title')
            with ui.scroll_area().classes('w-full max-h-64'):
                self.overdue = tid(ui.column().classes('w-full gap-0 text-sm'), 'care-overdue')
        with tid(ui.card().classes('w-full ld-section'), 'panel-repeat') as self.repeat_card:
            _card_title('repeat')
            with ui.row().classes('w-full gap-4 items-start md:flex-nowrap'):
                self.revenue_chart = tid(ui.echart({'series': []}).classes('w-full md:w-3/5 h-64'), 'chart-repeat')
                self.revenue_lines = tid(ui.column().classes('w-full md:w-2/5 gap-1'), 'lines-repeat')

    async def export(self, fmt: str) -> None:
        """Every care table (NPS by tier and by owner, overdue revisits, new vs repeat revenue)."""
        await download_report(self.desk.care_reports.export, self.user, self.filter, fmt, 'customer-care')

    async def refresh(self, f: ReportFilter) -> None:
        """Computed alongside the main panels; a newer range wins over an older one still running."""
        self.filter = f
        self.generation += 1
        mine = self.generation
        try:
            report = await run.io_bound(self.desk.care_reports.care_report, self.user, f)
        except DomainError as e:
            if not self.client.is_deleted and mine == self.generation:
                self.nps_summary.set_text(message(e))
            return
        if not self.client.is_deleted and mine == self.generation:
            self.show(report)

    def show(self, report: CareReport) -> None:
        self.nps_chart.options.clear()
        self.nps_chart.options.update(nps_chart(report.by_tier))
        self.nps_chart.update()
        self.nps_summary.set_text(t('care.nps_summary', nps=score(report.total.nps), answers=report.total.answers,
                                    satisfaction=score(report.total.satisfaction)))
        self.tier_table.rows = _nps_rows(report.by_tier, tiers=True)
        self.tier_table.update()
        self.owner_table.rows = _nps_rows(report.by_owner, tiers=False)
        self.owner_table.update()
        self.overdue_title.set_text(t('care.overdue_title', count=len(report.overdue)))
        self.overdue.clear()
        with self.overdue:
            for d in report.overdue:
                tid(ui.link(f'{d.account_name} · {tier_text(d.tier)} · {d.owner_name or t("lead.unassigned")} · '
                            f'{t("care.due_since", at=when(d.due_at))}', f'/customers/{d.account_id}'),
                    f'care-overdue-{d.account_id}')
        self.revenue_chart.options.clear()
        self.revenue_chart.options.update(revenue_chart(report))
        self.revenue_chart.update()
        r = report.revenue
        self.revenue_lines.clear()
        with self.revenue_lines:
            tid(ui.label(t('care.revenue_new_line', amount=money(r.new_cents), count=r.new_count)), 'repeat-new')
            tid(ui.label(t('care.revenue_repeat_line', amount=money(r.repeat_cents), count=r.repeat_count)),
                'repeat-repeat')
            tid(ui.label(t('care.revenue_share', share=score(r.repeat_share))), 'repeat-share')
