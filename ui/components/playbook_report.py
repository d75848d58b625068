"""The reports page's checklist panel: per playbook item, how often its step was left with it
open, and the win rate of deals with and without it done. Computed on its own (its own worker
thread), so the other panels never wait for it."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from nicegui import run, ui

from core.desk import Desk
from core.errors import DomainError
from core.reports.report_filter import ReportFilter
from store.models import UserRef

from ..format import label
from ..i18n import t
from ..marks import tid
from .playbook_panel import local
from .report_charts import pct
from .report_panel import download_report, export_buttons
from .table import table_region

COLUMNS = ('step', 'item', 'exits', 'skipped', 'skip_rate', 'win_with', 'win_without')


def _rate(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows in the reader's language: rates with the counts they divide."""
    out = []
    for r in frame.to_dict('records'):
        if r['stage_id'] is not None and not pd.isna(r['stage_id']):
            step = local(r['stage_en'] or '', r['stage_zh'] or '')
        else:
            step = label('status', r['lead_status'])
        out.append({
            'id': int(r['item_id']), 'step': step,
            'item': local(r['text_en'], r['text_zh']) + (f' ({t("playbook.required")})' if r['required'] else ''),
            'exits': int(r['exits']), 'skipped': int(r['skipped']), 'skip_rate': pct(_rate(r['skip_rate'])),
            'win_with': f'{pct(_rate(r["win_rate_with"]))} ({int(r["won_with"])}/{int(r["with_done"])})',
            'win_without': f'{pct(_rate(r["win_rate_without"]))} ({int(r["won_without"])}/{int(r["without_done"])})',
        })
    return out


class ChecklistPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.client = ui.context.client
        self.generation = 0
        self.filter: ReportFilter | None = None
        with tid(ui.card().classes('w-full ld-section'), 'panel-checklist') as self.card:
            with ui.row().classes('w-full items-center justify-between'):
                with ui.row().classes('items-center gap-1'):
                    ui.label(t('playbook.report_title')).classes('text-h6')
                    with tid(ui.icon('info_outline', size='xs').classes('cursor-help text-grey-7'), 'info-checklist'):
                        ui.tooltip(t('playbook.report_formula')).classes('text-body2 max-w-md')
                export_buttons('checklist', self.export)
            self.summary = tid(ui.label(t('report.loading')).classes('text-subtitle1'), 'summary-checklist')
            columns = [{'name': n, 'label': t(f'playbook.col.{n}'), 'field': n, 'align': 'left'} for n in COLUMNS]
            with table_region(t('playbook.report_title')):
                self.table = tid(ui.table(columns=columns, rows=[], row_key='id').props('dense flat')
                                 .classes('w-full'), 'table-checklist')

    async def export(self, fmt: str) -> None:
        await download_report(self.desk.playbooks.export_checklist, self.user, self.filter, fmt, 'checklist')

    async def refresh(self, f: ReportFilter) -> None:
        self.filter = f
        self.generation += 1
        mine = self.generation
        try:
            frame = await run.io_bound(self.desk.playbooks.checklist_report, self.user, f)
        except DomainError:
            return  # the page's status line already says what is wrong with the filter
        if frame is None or self.client.is_deleted or mine != self.generation:
            return
        rows = rows_of(frame)
        self.table.rows = rows
        self.table.update()
        worst = max((r for r in frame.to_dict('records') if r['exits']), key=lambda r: (r['skip_rate'], r['exits']),
                    default=None)
        self.summary.set_text(t('playbook.report_summary', item=local(worst['text_en'], worst['text_zh']),
                                rate=pct(_rate(worst['skip_rate']))) if worst else t('playbook.report_empty'))
