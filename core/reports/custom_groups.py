"""The conversion, win-rate and sales-cycle panels grouped by a lead's custom field instead of source, region,
industry or owner: a single select (by option) or a yes/no field (yes / no), plus "(none)" for
leads without a value. A dimension is named `custom.<key>` wherever a built-in one is named by
its column (the page's switch, the drill-down, the export's panel name)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.context import Context
from core.custom_fields.text import readable
from core.custom_fields.values import FIELD as CUSTOM
from core.custom_fields.values import Definition, definition
from core.errors import ValidationFailed
from core.reports import metrics as m
from store import queries, report_custom, reporting
from store.models import CustomEntity, CustomFieldType, UserRef

if TYPE_CHECKING:
    from core.reports.report_filter import ReportFilter

GROUPABLE = (CustomFieldType.SINGLE_SELECT, CustomFieldType.YES_NO)
"""Field types a panel can group by: one value per lead (a multi select would count a lead twice)."""
PREFIX = f'{CUSTOM}.'


def is_custom(dimension: str) -> bool:
    return dimension.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class CustomBreakdown:
    """The panels grouped by one field: `key` is the option key, True / False, or None."""

    field: Definition
    conversion: pd.DataFrame
    win: pd.DataFrame
    cycle: pd.DataFrame
    """Median days from capture to win per value (the sales-cycle panel's `source` becomes `key`)."""


def _value(field: Definition, stored: Any) -> Any:
    """A stored value as the panel's key: the option key, or a yes/no field's True / False
    (SQLite reads 1 / 0, PostgreSQL 'true' / 'false')."""
    if stored is None:
        return None
    if field.type == CustomFieldType.YES_NO:
        return str(stored).lower() in ('1', 'true')
    return str(stored)


def _merge(field: Definition, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows summed per panel key (1 and '1', say, are one key)."""
    sums: dict[Any, list[int]] = {}
    for stored, *counts in rows:
        total = sums.setdefault(_value(field, stored), [0] * len(counts))
        for i, n in enumerate(counts):
            total[i] += int(n)
    return [(k, *v) for k, v in sums.items()]


class CustomGroups:
    """Part of ReportService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    if TYPE_CHECKING:  # given by ReportService (core/reports/panels.py)
        def check_filter(self, actor: UserRef, f: ReportFilter) -> ReportFilter: ...
        def scope(self, f: ReportFilter) -> reporting.Scope: ...

    def groupable_fields(self) -> list[Definition]:
        """The active lead fields a panel can be grouped by, in their order (anyone who sees the
        reports sees these labels: they are the lead page's too)."""
        with self.ctx.read() as session:
            rows = queries.custom_fields(session, CustomEntity.LEAD)
        return [d for d in map(definition, rows) if not d.is_retired and d.type in GROUPABLE]

    def groupable_field(self, dimension: str) -> Definition:
        """The field a `custom.<key>` dimension names, or ValidationFailed (unknown, retired, or a
        type that cannot group)."""
        key = dimension.removeprefix(PREFIX)
        field = next((d for d in self.groupable_fields() if d.key == key), None)
        if not is_custom(dimension) or field is None:
            raise ValidationFailed({'dimension': 'invalid'})
        return field

    def by_custom_field(self, actor: UserRef, f: ReportFilter, dimension: str,
                        language: str | None = None) -> CustomBreakdown:
        """Lead conversion and win rate per value of one field, under the report's filter; each
        row's label is the value as the lead page shows it in `language` (default: the actor's)."""
        field = self.groupable_field(dimension)
        s = self.scope(self.check_filter(actor, f))
        with self.ctx.read() as session:
            cohort = report_custom.cohort_by_value(session, s, field.key)
            closed = report_custom.closed_by_value(session, s, field.key)
            cycles = report_custom.won_cycles_by_value(session, s, field.key)
        language = language or actor.language or 'zh-CN'
        frames = (m.conversion(_merge(field, cohort), dimension, {}), m.win_rate(_merge(field, closed), dimension, {}),
                  m.sales_cycle([(_value(field, v), sec) for v, sec in cycles], by='key'))
        for frame in frames:
            frame['label'] = [readable(field, k, language) or '' for k in frame['key']]
        return CustomBreakdown(field=field, conversion=frames[0], win=frames[1], cycle=frames[2])

    def custom_test(self, field: Definition, value: Any) -> queries.CustomTest | None:
        """A bar's key as the store's test of the field (None: the bar of leads without a value)."""
        if value is None:
            return None
        if field.type == CustomFieldType.YES_NO:
            if not isinstance(value, bool):
                raise ValidationFailed({'value': 'invalid'})
            return queries.CustomTest(field.key, queries.CustomTestKind.YES_NO, value)
        if value not in {o.key for o in field.options}:
            raise ValidationFailed({'value': 'invalid'})
        return queries.CustomTest(field.key, queries.CustomTestKind.EQUALS, value)
