"""The reports page (`/reports`): managers, marketing and admins see the team, reps their own
numbers. The frame and empty panels render at once; the figures come from one background
computation (`run.io_bound`), so a 1M-lead report never blocks the page or the event loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import background_tasks, run, ui

from core import permissions
from core.desk import Desk
from core.errors import DomainError
from core.reports.custom_groups import PREFIX as CUSTOM_PREFIX
from core.reports.custom_groups import CustomBreakdown, is_custom
from core.reports.panels import PRESETS, Report, preset_range
from core.reports.report_filter import ReportFilter
from store.models import UserRef

from ..components import report_charts as charts
from ..components.care_report import CareReportPanels
from ..components.custom_fields import field_label
from ..components.goal_report import GoalAttainmentPanel
from ..components.playbook_report import ChecklistPanel
from ..components.report_panel import Panel, records_dialog
from ..errors import attempt, message
from ..format import label, money_short, when
from ..i18n import current_language, t
from ..marks import tid
from ..session import require_user
from ..theme import frame

DIMENSIONS = ('source', 'region', 'industry', 'owner_id', 'department')
TEAM_DIMENSIONS = ('owner_id', 'department')
"""Shown to readers of more than their own numbers only."""
PANELS = ('funnel', 'conversion', 'win', 'response', 'cycle', 'lost', 'forecast', 'roi', 'automation')
PANEL_EXPORT = {'funnel': 'funnel', 'conversion': 'conversion_by_{dim}', 'win': 'win_rate_by_{dim}',
                'response': 'first_response', 'cycle': 'sales_cycle', 'lost': 'lost_reasons',
                'forecast': 'forecast_by_month', 'roi': 'channel_roi', 'automation': 'automation'}


TILES = ('captured', 'qualified', 'win', 'response', 'pipeline')
"""Headline figures over the panels, read from the same computed `Report` the panels draw."""
NO_CAPTION = '\u00a0'
"""A tile without a caption keeps its line (a no-break space), so the tiles keep their height."""
SECTION_CSS = '''<style>
.ld-section { scroll-margin-top: 72px; }
.ld-tile { min-width: 0; }
</style>'''


def _duration(minutes: float | None) -> str:
    """A tile's time: minutes under an hour, hours (one decimal) beyond (2589 min reads badly)."""
    if minutes is None or minutes < 60:
        return charts.minutes(minutes)
    return t('report.hours', n=f'{minutes / 60:.1f}')


def tile_values(report: Report) -> dict[str, tuple[str, str]]:
    """Each tile's figure and its caption, from the figures the panels show (no second computation):
    the funnel's captured and qualified steps, the win panel's rate, the first-response median and
    the forecast's open pipeline expected to close in the range (weighted and won in the caption)."""
    steps = {r['step']: int(r['count']) for r in report.funnel.to_dict('records')}
    fm = report.forecast_month
    open_cents = int(fm['open_cents'].sum()) if len(fm) else 0
    weighted = int(fm['weighted_cents'].sum()) if len(fm) else 0
    won = int(fm['won_cents'].sum()) if len(fm) else 0
    s = report.response_summary
    return {
        'captured': (f'{steps.get("captured", 0):,}', t('report.tile.captured_caption')),
        'qualified': (f'{steps.get("qualified", 0):,}', t('report.tile.qualified_caption',
                                                          rate=charts.pct(report.conversion_rate))),
        'win': (charts.pct(report.win_rate), t('report.tile.win_caption')),
        'response': (_duration(s['median_minutes']), t('report.tile.response_caption',
                                                            sla=charts.pct(s['sla_share']))),
        'pipeline': (money_short(open_cents), t('report.tile.pipeline_caption', weighted=money_short(weighted),
                                                won=money_short(won))),
    }


class ReportsPage:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.team_view = permissions.can_read_team_reports(user)
        self.client = ui.context.client
        today = desk.reports.today()
        self.preset = 'last_30'
        self.start, self.end = preset_range(self.preset, today)
        self.filters: dict[str, Any] = {'source': None, 'region': None, 'industry': None, 'owner_id': None}
        self.dims = {'conversion': 'source', 'win': 'source', 'cycle': 'source'}
        self.groupable = desk.reports.groupable_fields()
        """Lead custom fields the conversion and win-rate panels may group by (`custom.<key>`)."""
        self.breakdowns: dict[str, CustomBreakdown] = {}
        """Those panels grouped by a custom field, for the current filter, by dimension."""
        self.report: Report | None = None
        self.generation = 0
        self.keys: dict[str, list[Any]] = {}
        self.reason_names: dict[str, str] = {}

    # ----- the filter bar ----------------------------------------------------------------------------

    def current_filter(self) -> ReportFilter:
        return ReportFilter(start=self.start, end=self.end, **self.filters)

    def build(self) -> None:
        ui.label(t('report.title') if self.team_view else t('report.title_mine')).classes('text-h5')
        with ui.row().classes('w-full items-end gap-3'):
            presets = {p: t(f'report.preset.{p}') for p in PRESETS}
            self.preset_select = tid(ui.select(presets, value=self.preset, label=t('report.range'),
                                               on_change=self._preset_changed).classes('w-40'), 'report-preset')
            self.start_input = tid(ui.input(t('report.start'), value=self.start.isoformat(),
                                            on_change=self._date_changed).props('type=date dense').classes('w-40'),
                                   'report-start')
            self.end_input = tid(ui.input(t('report.end'), value=self.end.isoformat(),
                                          on_change=self._date_changed).props('type=date dense').classes('w-40'),
                                 'report-end')
            sources = {'': t('report.all')} | {s: label('source', s) for s in
                                               ('website', 'trade_show', 'phone', 'ads', 'referral', 'social',
                                                'third_party', 'import', 'manual', 'api', 'demo')}
            tid(ui.select(sources, value='', label=t('field.source'),
                          on_change=lambda e: self._set('source', e.value)).classes('w-36'), 'report-source')
            self.region_select = tid(ui.select({'': t('report.all')}, value='', label=t('field.region'),
                                               on_change=lambda e: self._set('region', e.value)).classes('w-36'),
                                     'report-region')
            self.industry_select = tid(ui.select({'': t('report.all')}, value='', label=t('field.industry'),
                                                 on_change=lambda e: self._set('industry', e.value)).classes('w-36'),
                                       'report-industry')
            self.owner_select = tid(ui.select({'': t('report.all')}, value='', label=t('field.owner'),
                                              on_change=lambda e: self._set('owner_id', e.value)).classes('w-36'),
                                    'report-owner')
            self.owner_select.set_visibility(self.team_view)
            with tid(ui.button(t('report.export_lists'), icon='download').props('outline no-caps'), 'export-lists'):
                with ui.menu():
                    for kind in ('leads', 'opportunities', 'customers', 'activities'):
                        for fmt in ('csv', 'xlsx'):
                            tid(ui.menu_item(f'{t("report.list." + kind)} · {fmt.upper()}',
                                             on_click=lambda k=kind, f=fmt: self.export_list(k, f)),
                                f'export-list-{kind}-{fmt}')
            tid(ui.button(t('report.export_all'), icon='grid_on',
                          on_click=lambda: self.export_panel(None, 'xlsx')).props('outline no-caps'), 'export-all')
        # the status line and the tiles' captions hold their line from the start: filled in later, they
        # pushed the page down under the reader's pointer
        self.status = tid(ui.label(t('report.computing')).classes('text-caption text-grey-7'), 'report-status')
        ui.add_head_html(SECTION_CSS)
        self.tiles: dict[str, ui.label] = {}
        self.tile_captions: dict[str, ui.label] = {}
        with tid(ui.element('div').classes('w-full grid grid-cols-2 md:grid-cols-5 gap-3'), 'report-tiles'):
            for key in TILES:
                with tid(ui.card().classes('ld-tile q-pa-md gap-0'), f'tile-{key}'):
                    ui.label(t(f'report.tile.{key}')).classes('text-caption text-grey-8')
                    self.tiles[key] = tid(ui.label('—').classes('text-h5 text-weight-medium'), f'tile-value-{key}')
                    self.tile_captions[key] = tid(ui.label(NO_CAPTION).classes('text-caption text-grey-7'),
                                                  f'tile-caption-{key}')
        self.nav = tid(ui.row().classes('w-full items-center gap-x-3 gap-y-1 text-sm'), 'report-nav')
        self.panels: dict[str, Panel] = {}
        with ui.grid(columns=1).classes('w-full gap-4 lg:grid-cols-2'):
            self.panels['funnel'] = Panel(self, 'funnel', on_click=self._funnel_clicked)
            self.panels['conversion'] = Panel(self, 'conversion', on_click=self._conversion_clicked,
                                              columns=('key', 'captured', 'converted', 'rate'),
                                              extra=lambda: self._dimension_toggle('conversion'))
            self.panels['conversion'].add_second_chart('weekly')
            self.panels['win'] = Panel(self, 'win', on_click=self._win_clicked, columns=('key', 'won', 'lost', 'rate'),
                                       extra=lambda: self._dimension_toggle('win'))
            self.panels['response'] = Panel(self, 'response', on_click=self._response_clicked,
                                            columns=('rep', 'responses', 'median', 'p90', 'sla'))
            self.panels['cycle'] = Panel(self, 'cycle', on_click=self._cycle_clicked,
                                         extra=lambda: self._dimension_toggle('cycle'))
            self.panels['cycle'].add_second_chart('stages')
            self.panels['lost'] = Panel(self, 'lost', on_click=self._lost_clicked,
                                        columns=('reason', 'stage', 'count', 'share'))
            self.panels['forecast'] = Panel(self, 'forecast', on_click=self._forecast_clicked,
                                            columns=('rep', 'open', 'weighted', 'won'))
            if permissions.sees_all_leads(self.user):  # costs are the company's: company-wide scopes only
                self.panels['roi'] = Panel(self, 'roi', on_click=self._roi_clicked,
                                           columns=('source', 'cost', 'leads', 'won', 'per_lead',
                                                                 'per_won', 'return'),
                                           extra=self._cost_form if permissions.can_enter_costs(self.user) else None)
            self.panels['automation'] = Panel(self, 'automation')
            self.care = CareReportPanels(self.desk, self.user)  # customer care: NPS, overdue, repeat revenue
            self.care.build()
        self.checklist = ChecklistPanel(self.desk, self.user)  # playbooks (issue 11): computed on its own
        self.goals = GoalAttainmentPanel(self.desk, self.user)  # goals (issue 23): computed on its own
        with self.nav:  # section links: 13 panels are a long scroll
            ui.label(t('report.sections')).classes('text-grey-7')
            sections = [(t(f'report.panel.{key}'), panel.card, key) for key, panel in self.panels.items()]
            sections += [(t('care.panel.nps'), self.care.card, 'care'),
                         (t('care.panel.repeat'), self.care.repeat_card, 'repeat'),
                         (t('playbook.report_title'), self.checklist.card, 'checklist'),
                         (t('report.panel.goals'), self.goals.card, 'goals')]
            for text, card, key in sections:
                tid(ui.link(text, card).classes('text-primary'), f'section-{key}')
        ui.timer(0, self.load_options, once=True)
        ui.timer(0, self.refresh, once=True)

    def _dimension_toggle(self, panel: str) -> None:
        """What the panel groups by: a toggle of the built-in dimensions, or — once there are select
        or yes/no custom fields — one select holding those and the fields (a toggle of eight
        would not fit a phone). The sales cycle is by source or by a custom field: no switch until
        there is such a field."""
        built_in = ('source',) if panel == 'cycle' else DIMENSIONS
        options = {d: t(f'report.dim.{d}') for d in built_in if d not in TEAM_DIMENSIONS or self.team_view}

        async def changed(e: Any) -> None:
            self.dims[panel] = e.value
            if is_custom(e.value) and e.value not in self.breakdowns:
                await self._load_breakdowns(self.generation)
            if self.report is not None:
                self.show(self.report)

        if not self.groupable:
            if len(options) > 1:
                tid(ui.toggle(options, value='source', on_change=changed).props('dense no-caps'), f'dim-{panel}')
            return
        options |= {f'{CUSTOM_PREFIX}{d.key}': field_label(d) for d in self.groupable}
        tid(ui.select(options, value='source', label=t('report.group_by'), on_change=changed)
            .props('dense outlined options-dense').classes('w-40'), f'dim-{panel}')

    async def _load_breakdowns(self, generation: int) -> None:
        """The custom-field groupings the panels show, for the current filter (one read each)."""
        wanted = {d for d in self.dims.values() if is_custom(d)} - set(self.breakdowns)
        f, language = self.current_filter(), current_language()
        for dimension in wanted:
            try:
                found = await run.io_bound(self.desk.reports.by_custom_field, self.user, f, dimension, language)
            except DomainError as e:  # the field was retired meanwhile
                if not self.client.is_deleted:
                    ui.notify(message(e), type='warning')
                continue
            if generation == self.generation:
                self.breakdowns[dimension] = found

    def _cost_form(self) -> None:
        with ui.row().classes('items-end gap-2'):
            sources = {s: label('source', s) for s in ('website', 'trade_show', 'phone', 'ads', 'referral', 'social',
                                                       'third_party', 'import', 'manual', 'api', 'demo')}
            source = tid(ui.select(sources, value='website', label=t('field.source')).classes('w-32'), 'cost-source')
            month = tid(ui.input(t('report.cost_month'), value=f'{self.end:%Y-%m}').props('type=month dense')
                        .classes('w-36'), 'cost-month')
            amount = tid(ui.input(t('report.cost_amount')).props('dense').classes('w-32'), 'cost-amount')

            async def save() -> None:
                try:
                    first = date.fromisoformat(f'{month.value}-01')
                except ValueError:
                    month.error = t('err.field.invalid')
                    return
                done = await attempt(lambda: self.desk.reports.set_channel_cost(
                    self.user, source=source.value, month=first, amount=amount.value), {'amount': amount})
                if done:
                    ui.notify(t('common.saved'), type='positive')
                    await self.refresh()

            tid(ui.button(t('report.cost_save'), on_click=save).props('dense no-caps'), 'cost-save')

    async def load_options(self) -> None:
        options = await run.io_bound(self.desk.reports.filter_options, self.user)
        reasons = await run.io_bound(self.desk.pipeline.lost_reasons)
        zh = current_language() == 'zh-CN'
        self.reason_names = {key: zh_label if zh else en for key, en, zh_label in reasons}
        if self.client.is_deleted:
            return
        self.region_select.set_options({'': t('report.all')} | {r: r for r in options.regions}, value='')
        self.industry_select.set_options({'': t('report.all')} | {i: i for i in options.industries}, value='')
        self.owner_select.set_options({'': t('report.all')} | {str(i): n for i, n in options.reps}, value='')

    def _set(self, name: str, value: Any) -> None:
        value = value or None
        if name == 'owner_id' and value is not None:
            value = int(value)
        if self.filters.get(name) == value:
            return
        self.filters[name] = value
        ui.timer(0, self.refresh, once=True)

    def _preset_changed(self, e: Any) -> None:
        if e.value in ('custom', self.preset):
            self.preset = e.value
            return
        self.preset = e.value
        self.start, self.end = preset_range(e.value, self.desk.reports.today())
        self._quiet = True
        self.start_input.set_value(self.start.isoformat())
        self.end_input.set_value(self.end.isoformat())
        self._quiet = False
        ui.timer(0, self.refresh, once=True)

    def _date_changed(self, _: Any) -> None:
        if getattr(self, '_quiet', False):
            return
        try:
            start, end = date.fromisoformat(self.start_input.value), date.fromisoformat(self.end_input.value)
        except (TypeError, ValueError):
            return
        if (start, end) == (self.start, self.end):
            return
        self.start, self.end = start, end
        self.preset = 'custom'
        self.preset_select.set_value('custom')
        ui.timer(0, self.refresh, once=True)

    # ----- computing and showing ---------------------------------------------------------------------

    async def refresh(self) -> None:
        """Compute every panel off the event loop; a newer request wins over an older one."""
        self.generation += 1
        mine = self.generation
        self.status.set_text(t('report.computing'))
        # the checklist and care panels compute alongside the main ones (each checks the filter itself)
        background_tasks.create(self.checklist.refresh(self.current_filter()), name='checklist-report')
        background_tasks.create(self.care.refresh(self.current_filter()), name='care-report')
        background_tasks.create(self.goals.refresh(self.current_filter()), name='goals-report')
        try:
            report = await run.io_bound(self.desk.reports.report, self.user, self.current_filter())
        except DomainError as e:
            if not self.client.is_deleted:
                self.status.set_text(message(e))
            return
        if self.client.is_deleted or mine != self.generation:
            return
        self.breakdowns = {}
        await self._load_breakdowns(mine)
        if self.client.is_deleted or mine != self.generation:
            return
        self.report = report
        self.show(report)
        self.status.set_text(t('report.computed', start=report.filter.start.isoformat(),
                               end=report.filter.end.isoformat(), at=when(report.computed_at)))

    def show(self, report: Report) -> None:
        for key, (value, caption) in tile_values(report).items():
            self.tiles[key].set_text(value)
            self.tile_captions[key].set_text(caption or NO_CAPTION)
        options, self.keys['funnel'], lines = charts.funnel(report)
        self.panels['funnel'].show(options, t('report.conversion_summary', rate=charts.pct(report.conversion_rate)),
                                   lines=lines)
        dim = self.dims['conversion']
        custom = self.breakdowns.get(dim)
        options, self.keys['conversion'], rows = charts.by_dimension(
            custom.conversion if custom else report.conversion.get(dim, report.conversion['source']), dim,
            rate_name=t('report.conversion_rate'), count_columns=('captured', 'converted'))
        self.panels['conversion'].show(options, t('report.conversion_summary', rate=charts.pct(report.conversion_rate)),
                                       rows=rows, second=charts.weekly(report))
        dim = self.dims['win']
        custom = self.breakdowns.get(dim)
        options, self.keys['win'], rows = charts.by_dimension(
            custom.win if custom else report.win.get(dim, report.win['source']), dim,
            rate_name=t('report.win_rate'), count_columns=('won', 'lost'))
        self.panels['win'].show(options, t('report.win_summary', rate=charts.pct(report.win_rate)), rows=rows)
        options, rows = charts.response(report)
        s = report.response_summary
        self.panels['response'].show(options, t('report.response_summary', median=charts.minutes(s['median_minutes']),
                                                p90=charts.minutes(s['p90_minutes']), sla=charts.pct(s['sla_share'])),
                                     rows=rows)
        dim = self.dims['cycle']
        custom = self.breakdowns.get(dim)
        by_value, by_stage = charts.cycle(report, custom.cycle if custom else None, dim)
        cycle = custom.cycle if custom else report.cycle
        won = int(cycle['won'].sum()) if len(cycle) else 0
        self.panels['cycle'].show(by_value, t('report.cycle_summary', won=won), second=by_stage,
                                  lines=[f'{charts.cycle_label(dim, r)}: {charts.days(r["median_days"])}'
                                         for r in cycle.to_dict('records')])
        options, rows = charts.lost(report, self.reason_names)
        self.panels['lost'].show(options, t('report.lost_summary', count=int(report.lost['count'].sum())
                                            if len(report.lost) else 0), rows=rows)
        options, rows = charts.forecast(report)
        fm = report.forecast_month
        self.panels['forecast'].show(options, t('report.forecast_summary',
                                                weighted=money_short(int(fm['weighted_cents'].sum())),
                                                won=money_short(int(fm['won_cents'].sum()))), rows=rows)
        if 'roi' in self.panels:
            options, rows = charts.roi(report)
            self.panels['roi'].show(options, t('report.roi_summary'), rows=rows)
        options, rows = charts.automation(report)
        self.panels['automation'].show(options, t('report.automation_summary'),
                                       lines=[f'{t("report.auto." + r["metric"])}: {r["count"]}'
                                              for r in report.automation.to_dict('records')])

    # ----- drill-down --------------------------------------------------------------------------------

    async def _funnel_clicked(self, e: Any) -> None:
        step = self.keys.get('funnel', [])[e.data_index]
        rows = await run.io_bound(self.desk.reports.funnel_leads, self.user, self.current_filter(), step)
        self._records(t('report.drill_title', what=t(f'report.step.{step}')), rows, 'leads')

    async def _conversion_clicked(self, e: Any) -> None:
        dim, key = self.dims['conversion'], self.keys.get('conversion', [])[e.data_index]
        rows = await run.io_bound(lambda: self.desk.reports.cohort_leads(self.user, self.current_filter(), dim, key))
        self._records(t('report.drill_title', what=charts.dim_label(dim, key, e.name)), rows, 'leads')

    async def _win_clicked(self, e: Any) -> None:
        dim, key = self.dims['win'], self.keys.get('win', [])[e.data_index]
        rows = await run.io_bound(lambda: self.desk.reports.closed_opportunities(self.user, self.current_filter(),
                                                                                 dim, key))
        self._records(t('report.drill_title', what=charts.dim_label(dim, key, e.name)), rows, 'opportunities')

    def _row(self, frame_of: Callable[[Report], Any], index: int) -> dict[str, Any] | None:
        """The report row behind a clicked bar or slice (charts draw each frame's rows in order)."""
        if self.report is None:
            return None
        frame = frame_of(self.report)
        if frame is None or not 0 <= index < len(frame):
            return None
        return frame.iloc[index].to_dict()

    async def _response_clicked(self, e: Any) -> None:
        row = self._row(lambda r: r.response, e.data_index)
        if row is not None:
            rows = await run.io_bound(self.desk.reports.assigned_leads, self.user, self.current_filter(),
                                      int(row['owner_id']))
            self._records(t('report.drill_title', what=row['rep']), rows, 'leads')

    async def _cycle_clicked(self, e: Any) -> None:
        dim = self.dims['cycle']
        custom = self.breakdowns.get(dim)
        row = self._row(lambda r: custom.cycle if custom else r.cycle, e.data_index)
        if row is not None:
            value = row['key'] if custom else row['source']
            rows = await run.io_bound(lambda: self.desk.reports.closed_opportunities(
                self.user, self.current_filter(), dim, value, kind='won'))
            self._records(t('report.drill_title', what=charts.cycle_label(dim, row)), rows, 'opportunities')

    async def _lost_clicked(self, e: Any) -> None:
        row = self._row(lambda r: r.lost_totals, e.data_index)
        if row is not None:
            reason = row['reason'] or None
            rows = await run.io_bound(self.desk.reports.lost_opportunities, self.user, self.current_filter(), reason)
            self._records(t('report.drill_title', what=e.name), rows, 'opportunities')

    async def _forecast_clicked(self, e: Any) -> None:
        row = self._row(lambda r: r.forecast_month, e.data_index)
        if row is not None:
            rows = await run.io_bound(self.desk.reports.forecast_opportunities, self.user, self.current_filter(),
                                      row['month'])
            self._records(t('report.drill_title', what=row['month']), rows, 'opportunities')

    async def _roi_clicked(self, e: Any) -> None:
        row = self._row(lambda r: r.roi, e.data_index)
        if row is not None:
            rows = await run.io_bound(self.desk.reports.cohort_leads, self.user, self.current_filter(), 'source',
                                      row['source'])
            self._records(t('report.drill_title', what=charts.dim_label('source', row['source'])), rows, 'leads')

    def _records(self, title: str, rows: list[dict[str, Any]], kind: str) -> None:
        if not self.client.is_deleted:
            records_dialog(title, rows, kind)

    # ----- export ------------------------------------------------------------------------------------

    async def export_panel(self, panel: str | None, fmt: str) -> None:
        dim = self.dims.get(panel or '', 'source')
        name = None if panel is None else PANEL_EXPORT[panel].format(dim=dim)
        if panel == 'cycle' and is_custom(dim):  # the built-in cycle is by source only: its name says no `by`
            name = f'sales_cycle_by_{dim}'
        try:
            data = await run.io_bound(self.desk.export.export_report, self.user, self.current_filter(), fmt, name,
                                      current_language())
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        f = self.current_filter()
        ui.download.content(data, f'{name or "report"}-{f.start}-{f.end}.{fmt}')

    async def export_list(self, kind: str, fmt: str) -> None:
        try:
            data = await run.io_bound(self.desk.export.export_list, self.user, kind, fmt, self.current_filter(),
                                      current_language())
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        f = self.current_filter()
        ui.download.content(data, f'{kind}-{f.start}-{f.end}.{fmt}')


def register(desk: Desk) -> None:
    @ui.page('/reports')
    def reports_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('nav.reports'), user):
            ReportsPage(desk, user).build()
        return None
