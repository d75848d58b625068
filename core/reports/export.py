"""Export: every report panel and every list (leads, opportunities, customers, activities) to CSV
(UTF-8 with a BOM, so Excel reads Chinese right) or XLSX, with the reader's visibility and the
report filter applied, and no cell that a spreadsheet would run as a formula.

The page's download buttons and `python run.py export …` both come here.

A lead, opportunity or customer list ends with one column per custom field of its record type
(core/custom_fields/text.py writes the values readably), headed by its label in the reader's
language: every active field, and a retired one only when an exported record holds a value for it
(its data is kept, so it is not lost from view).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from core import permissions
from core.capture.clean import TAGS
from core.context import Context
from core.custom_fields import text as custom_text
from core.custom_fields.values import Definition, definition
from core.errors import ValidationFailed
from core.leads.fields import CUSTOMER, LEAD, OPPORTUNITY
from core.reports import xlsx
from core.reports.custom_groups import is_custom
from core.reports.panels import ReportService
from core.reports.report_filter import ReportFilter
from store import queries, report_lists
from store.models import CustomEntity, TagEntity, UserRef

LISTS = ('leads', 'opportunities', 'customers', 'activities')
TAGGED = {'leads': TagEntity.LEAD, 'opportunities': TagEntity.OPPORTUNITY, 'customers': TagEntity.CUSTOMER}
"""The lists that end with a `tags` column."""
FORMATS = ('csv', 'xlsx')
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
"""A cell starting with one of these is a formula (or DDE) to Excel, LibreOffice and Sheets."""
EVER = date(1970, 1, 1)
LANGUAGES = ('zh-CN', 'en')
"""What a custom column's header and values are written in (the UI's languages); zh-CN by default."""


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would evaluate gets a leading apostrophe; everything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any, zone: ZoneInfo) -> Any:
    if value is None or (not isinstance(value, str | Decimal) and bool(pd.isna(value))):
        return None  # NaT is a datetime too: missing first
    if isinstance(value, datetime):
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        return local.strftime('%Y-%m-%d %H:%M:%S')
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def _column(values: pd.Series, zone: ZoneInfo) -> pd.Series:
    """One column's cells, vectorised where the column has one kind of value (exports run to
    hundreds of thousands of rows)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dt.tz_localize('UTC') if values.dt.tz is None else values
        text = stamps.dt.tz_convert(zone).dt.strftime('%Y-%m-%d %H:%M:%S')
        return text.astype(object).where(values.notna(), None)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values if not values.hasnans else values.astype(object).where(values.notna(), None)
    if pd.api.types.infer_dtype(values, skipna=True) == 'string':  # pandas 3's str, or objects all text
        risky = values.str.startswith(FORMULA_STARTS, na=False)
        return values.where(~risky, "'" + values.astype(str)).astype(object).where(values.notna(), None)
    return pd.Series([_cell(v, zone) for v in values.tolist()], index=values.index, dtype=object)


def _cells(frame: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
    """What a spreadsheet should hold: team-local times without zone, money in yuan (exact
    Decimal, `amount_cents` becomes `amount` — `won_cents` beside a `won` count becomes
    `won_amount`), missing values empty, text neutralised."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        header = str(name)
        if header.endswith('_cents'):
            money = header[:-6] if header[:-6] not in frame.columns else f'{header[:-6]}_amount'
            out[money] = pd.Series([None if v is None or pd.isna(v) else Decimal(int(v)).scaleb(-2)
                                          for v in frame[name].tolist()], index=frame.index, dtype=object)
        else:
            out[header] = _column(frame[name], zone)
    return out


def to_csv(frame: pd.DataFrame, zone: ZoneInfo) -> bytes:
    return _cells(frame, zone).to_csv(index=False).encode('utf-8-sig')


def to_xlsx(frames: Mapping[str, pd.DataFrame], zone: ZoneInfo) -> bytes:
    """One sheet per frame (names cut to Excel's 31 characters), through core/reports/xlsx.py: pandas'
    `to_excel` (openpyxl cell objects) took 2.2× openpyxl's write-only mode alone, which itself
    takes 2.5× this at 100k leads (bench/export.py)."""
    return xlsx.write({name[:31]: _cells(frame, zone) for name, frame in frames.items()})


def encode(frames: Mapping[str, pd.DataFrame], fmt: str, zone: ZoneInfo) -> bytes:
    """CSV holds one table (the first); XLSX holds each as a sheet."""
    if fmt not in FORMATS:
        raise ValidationFailed({'format': 'invalid'})
    if fmt == 'csv':
        return to_csv(next(iter(frames.values())), zone)
    return to_xlsx(frames, zone)


class ExportService:
    def __init__(self, ctx: Context, reports: ReportService) -> None:
        self.ctx = ctx
        self.reports = reports

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.ctx.settings.timezone)

    def encode(self, frames: Mapping[str, pd.DataFrame], fmt: str) -> bytes:
        return encode(frames, fmt, self.zone)

    def list_frame(self, actor: UserRef | None, kind: str, f: ReportFilter | None = None,
                   language: str | None = None) -> pd.DataFrame:
        """A list as the actor may see it (`actor` None: the command line, everything). Leads and
        deals follow the whole filter (created in the range); customers and activities its start
        and owner. `language`: of the custom columns (default: the actor's, else zh-CN)."""
        if kind not in LISTS:
            raise ValidationFailed({'list': 'invalid'})
        language = language or (actor.language if actor is not None else None)
        language = language if language in LANGUAGES else LANGUAGES[0]
        fields: list[Definition] = []
        today = self.reports.today()
        f = f or ReportFilter(start=EVER, end=today)
        reach = permissions.reach(actor) if actor is not None else None
        if reach is not None and reach.everyone:
            reach = None
        if reach is not None:  # the reader's scope, shared records included; an owner outside it: none
            f = replace(f, owner_id=f.owner_id if f.owner_id is None or reach.covers(f.owner_id) else -1, owners=None)
        s = replace(self.reports.scope(f), reach=reach)
        since = s.start if f.start > EVER else None
        with self.ctx.read() as session:
            names = report_lists.user_names(session)
            if kind == 'leads':
                fields = [definition(r) for r in queries.custom_fields(session, CustomEntity.LEAD)]
                rows = report_lists.lead_rows(session, columns=(*LEAD.export_columns, *(['custom'] if fields else [])),
                                              s=s, raw_times=LEAD.export_times)
            elif kind == 'opportunities':
                fields = [definition(r) for r in queries.custom_fields(session, CustomEntity.OPPORTUNITY)]
                rows = report_lists.opportunity_rows(
                    session, columns=(*OPPORTUNITY.export_columns, *(['custom'] if fields else [])), s=s)
                stages = report_lists.stage_names(session)
                for row in rows:
                    row['stage'] = stages.get(row['stage_id'], ('',))[0]
            elif kind == 'customers':
                fields = [definition(r) for r in queries.custom_fields(session, CustomEntity.CUSTOMER)]
                rows = report_lists.customer_rows(session, columns=(*CUSTOMER.export_columns,
                                                                    *(['custom'] if fields else [])),
                                                  owner_id=f.owner_id, since=since, reach=reach)
            else:
                rows = report_lists.activity_rows(session, owner_id=f.owner_id, since=since, reach=reach)
            entity = TAGGED.get(kind)
            held = queries.entity_tag_ids(session, entity) if entity else {}
            tags = self.ctx.capture_config.load(session).tags
        columns = {'leads': LEAD.export_columns, 'opportunities': (*OPPORTUNITY.export_columns, 'stage'),
                   'customers': CUSTOMER.export_columns, 'activities': report_lists.ACTIVITY_COLUMNS}[kind]
        frame = pd.DataFrame(rows, columns=list(columns))
        if kind == 'leads':  # UTC text (SQLite) or aware datetimes (PostgreSQL), parsed in one pass each
            for name in LEAD.export_times:
                frame[name] = pd.to_datetime(frame[name], utc=True, format='ISO8601')
        owner_column = 'user_id' if kind == 'activities' else 'owner_id'
        frame.insert(frame.columns.get_loc(owner_column) + 1, 'user' if kind == 'activities' else 'owner',
                     [names.get(o, '') if o is not None and not pd.isna(o) else '' for o in frame[owner_column]])
        if kind in TAGGED:  # the tags' names in the reader's language, as an import reads them back
            frame[TAGS] = [tags.cell(held.get(int(i), ()), language) for i in frame['id']]
        if fields:
            frame = _with_custom(frame, [r['custom'] for r in rows], fields, language)
        return frame

    def export_list(self, actor: UserRef | None, kind: str, fmt: str, f: ReportFilter | None = None,
                    language: str | None = None) -> bytes:
        return self.encode({kind: self.list_frame(actor, kind, f, language)}, fmt)

    def export_report(self, actor: UserRef, f: ReportFilter, fmt: str, panel: str | None = None,
                      language: str | None = None) -> bytes:
        """One panel's table (CSV or XLSX), or every panel as sheets of one workbook (XLSX).
        `language`: of a custom field's values (default: the actor's)."""
        if panel is not None and (custom := _custom_panel(panel)) is not None:
            breakdown = self.reports.by_custom_field(actor, f, custom[1], language)
            frame = {'conversion': breakdown.conversion, 'win': breakdown.win, 'cycle': breakdown.cycle}[custom[0]]
            return self.encode({panel: frame}, fmt)
        frames = self.reports.report(actor, f).frames()
        if panel is not None:
            if panel not in frames:
                raise ValidationFailed({'panel': 'invalid'})
            frames = {panel: frames[panel]}
        return self.encode(frames, fmt)



def _with_custom(frame: pd.DataFrame, customs: list[Any], fields: list[Definition], language: str) -> pd.DataFrame:
    """The lead list with a column per custom field to show (see the module docstring), values
    readable, headed by the field's label (its key added when the label is another column's name)."""
    held = {k for c in customs if isinstance(c, Mapping) for k, v in c.items() if v not in (None, '', [])}
    shown = [d for d in fields if not d.is_retired or d.key in held]
    columns: dict[str, list[Any]] = {}
    for d in shown:
        header = custom_text.label(d, language)
        if header in frame.columns or header in columns:
            header = f'{header} ({d.key})'
        columns[header] = [custom_text.readable(d, c.get(d.key), language) if isinstance(c, Mapping) else None
                           for c in customs]
    extra = pd.DataFrame({h: pd.Series(v, index=frame.index, dtype=object) for h, v in columns.items()},
                         index=frame.index)
    return pd.concat([frame, extra], axis=1) if columns else frame


def _custom_panel(panel: str) -> tuple[str, str] | None:
    """('conversion', 'win' or 'cycle', 'custom.<key>') for a panel grouped by a custom field (the
    export names it as the built-in ones: `conversion_by_custom.<key>`, `win_rate_by_custom.<key>`,
    `sales_cycle_by_custom.<key>`)."""
    for prefix, kind in (('conversion_by_', 'conversion'), ('win_rate_by_', 'win'), ('sales_cycle_by_', 'cycle')):
        if panel.startswith(prefix) and is_custom(panel.removeprefix(prefix)):
            return kind, panel.removeprefix(prefix)
    return None
