"""A report panel (title with its ⓘ formula, chart, the numbers beside it, export buttons) and
the dialog listing the records behind a clicked bar or slice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from nicegui import run, ui

from core.errors import DomainError
from core.reports.report_filter import ReportFilter

from ..errors import message
from ..format import label
from ..i18n import t
from ..marks import tid
from . import report_charts as charts
from .table import table_region

if TYPE_CHECKING:
    from ..pages.reports import ReportsPage


def _columns(*names: str) -> list[dict[str, Any]]:
    return [{'name': n, 'label': t(f'report.col.{n}'), 'field': n, 'align': 'left'} for n in names]


def export_buttons(key: str, on_export: Callable[[str], Awaitable[None]]) -> None:
    """CSV and XLSX download buttons of a report card (test ids `export-<key>-<format>`)."""
    with ui.row().classes('gap-1'):
        for fmt in ('csv', 'xlsx'):
            button = ui.button(fmt.upper(), icon='download', on_click=lambda f=fmt: on_export(f))
            tid(button.props('flat dense no-caps'), f'export-{key}-{fmt}')


async def download_report(make: Callable[..., bytes], user: Any, f: ReportFilter | None, fmt: str,
                          name: str) -> None:
    """Build an export off the event loop and hand it to the browser as `<name>-<start>-<end>.<fmt>`;
    a refusal (the filter or role no longer allowed) is a message, not a half file."""
    if f is None:  # the panels have not loaded yet
        return
    try:
        data = await run.io_bound(make, user, f, fmt)
    except DomainError as e:
        ui.notify(message(e), type='negative')
        return
    ui.download.content(data, f'{name}-{f.start}-{f.end}.{fmt}')


class Panel:
    """A card: title with its ⓘ formula, a chart, the numbers beside it, export buttons."""

    def __init__(self, page: ReportsPage, key: str, *, on_click: Callable[[Any], Any] | None = None,
                 columns: tuple[str, ...] = (), extra: Callable[[], None] | None = None) -> None:
        self.key = key
        with tid(ui.card().classes('w-full ld-section'), f'panel-{key}') as self.card:
            with ui.row().classes('w-full items-center justify-between'):
                with ui.row().classes('items-center gap-1'):
                    ui.label(t(f'report.panel.{key}')).classes('text-h6')
                    with tid(ui.icon('info_outline', size='xs').classes('cursor-help text-grey-7'), f'info-{key}'):
                        ui.tooltip(t(f'report.formula.{key}')).classes('text-body2 max-w-md')
                export_buttons(key, lambda fmt: page.export_panel(key, fmt))
            if extra is not None:
                extra()
            with ui.row().classes('w-full gap-4 items-start md:flex-nowrap'):  # stacked on a phone
                self.chart = tid(ui.echart({'series': []}, on_point_click=on_click).classes('w-full md:w-3/5 h-72'),
                                 f'chart-{key}')
                with ui.column().classes('w-full md:w-2/5 gap-1 min-w-0'):
                    self.summary = tid(ui.label(t('report.loading')).classes('text-subtitle1'), f'summary-{key}')
                    self.lines = tid(ui.column().classes('gap-0 text-sm'), f'lines-{key}')
                    self.table: ui.table | None = None
                    if columns:
                        with table_region(t(f'report.panel.{key}')):
                            self.table = tid(ui.table(columns=_columns(*columns), rows=[], row_key=columns[0])
                                             .props('dense flat').classes('w-full'), f'table-{key}')
            self.second: ui.echart | None = None
            self.line_labels: list[ui.label] = []

    def add_second_chart(self, key: str) -> None:
        with self.card, ui.element('div').classes('w-full'):  # in the panel's card, under its numbers
            self.second = tid(ui.echart({'series': []}).classes('w-full h-56'), f'chart-{key}')

    def show(self, options: dict[str, Any], summary: str, *, lines: list[str] | None = None,
             rows: list[dict[str, Any]] | None = None, second: dict[str, Any] | None = None) -> None:
        self.chart.options.clear()
        self.chart.options.update(options)
        self.chart.update()
        if second is not None and self.second is not None:
            self.second.options.clear()
            self.second.options.update(second)
            self.second.update()
        self.summary.set_text(summary)
        lines = lines or []
        for i, line in enumerate(lines):  # in place: a label keeps its identity across refreshes
            if i < len(self.line_labels):
                self.line_labels[i].set_text(line)
                self.line_labels[i].set_visibility(True)
            else:
                with self.lines:
                    self.line_labels.append(tid(ui.label(line), f'line-{self.key}-{i}'))
        for extra in self.line_labels[len(lines):]:
            extra.set_visibility(False)
        if self.table is not None:
            self.table.rows = rows or []
            self.table.update()


def records_dialog(title: str, rows: list[dict[str, Any]], kind: str) -> None:
    """The records behind a clicked bar or slice, each a link to its page."""
    with tid(ui.dialog(), 'drill-dialog') as dialog, ui.card().classes('w-[40rem] max-w-full'):
        ui.label(title).classes('text-h6')
        tid(ui.label(t('report.drill_count', count=len(rows))), 'drill-count')
        with ui.scroll_area().classes('h-96 w-full'):
            for r in rows:
                href = f'/leads/{r["id"]}' if kind == 'leads' else f'/opportunities/{r["id"]}'
                extra = label('status', r['status']) if kind == 'leads' else charts.money(r['amount_cents'])
                tid(ui.link(f'{r["name"]} · {r.get("company") or r.get("account") or ""} · {extra} · '
                            f'{r.get("owner") or ""}', href), f'drill-{kind}-{r["id"]}')
        ui.button(t('common.close'), on_click=dialog.close).props('flat')
    dialog.open()
