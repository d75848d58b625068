"""The records behind a report figure (drill-down): the leads or deals a panel's number counts, at most
DRILL_LIMIT, in the viewer's scope."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from core.context import Context
from core.errors import ValidationFailed
from core.leads.fields import LEAD, OPPORTUNITY
from core.reports import departments as report_departments
from core.reports.custom_groups import is_custom
from store import report_drill, report_lists, reporting
from store.models import UserRef
from store.queries import departments as tree_rows
from store.report_custom import CustomMatch

if TYPE_CHECKING:
    from core.custom_fields.values import Definition
    from core.reports.report_filter import ReportFilter
    from store.queries import CustomTest

DRILL_LIMIT = 500
"""Records a click lists at most (the export has them all)."""


class ReportDrill:
    """Part of ReportService: see the module docstring."""

    ctx: Context
    """Given by the service this is mixed into."""

    if TYPE_CHECKING:  # given by ReportService (core/reports/panels.py) and its CustomGroups
        def check_filter(self, actor: UserRef, f: ReportFilter) -> ReportFilter: ...
        def scope(self, f: ReportFilter) -> reporting.Scope: ...
        def groupable_field(self, dimension: str) -> Definition: ...
        def custom_test(self, field: Definition, value: Any) -> CustomTest | None: ...

    def funnel_leads(self, actor: UserRef, f: ReportFilter, step: str) -> list[dict[str, Any]]:
        """The cohort leads that reached a funnel step (what clicking the step lists)."""
        if step not in reporting.FUNNEL_STEPS:
            raise ValidationFailed({'step': 'invalid'})
        s = self.scope(self.check_filter(actor, f))
        with self.ctx.read() as session:
            ids = report_drill.funnel_lead_ids(session, s, step, DRILL_LIMIT)
            return self._named(session, report_lists.lead_rows(session, columns=LEAD.export_columns, ids=ids))

    def cohort_leads(self, actor: UserRef, f: ReportFilter, dimension: str, value: Any, *,
                     converted: bool = False) -> list[dict[str, Any]]:
        """The cohort leads behind one conversion bar (a built-in dimension or `custom.<key>`)."""
        match = self._bar(dimension, value)
        s = self.scope(self.check_filter(actor, f))
        with self.ctx.read() as session:
            ids = report_drill.cohort_lead_ids(session, s, match, value, converted=converted, limit=DRILL_LIMIT)
            return self._named(session, report_lists.lead_rows(session, columns=LEAD.export_columns, ids=ids))

    def closed_opportunities(self, actor: UserRef, f: ReportFilter, dimension: str, value: Any, *,
                             kind: str | None = None) -> list[dict[str, Any]]:
        """The deals behind one win-rate bar (won, lost or both)."""
        if kind not in (None, 'won', 'lost'):
            raise ValidationFailed({'dimension': 'invalid'})
        match = self._bar(dimension, value)
        s = self.scope(self.check_filter(actor, f))
        with self.ctx.read() as session:
            ids = report_drill.closed_opportunity_ids(session, s, match, value, kind=kind, limit=DRILL_LIMIT)
            return self._named(session, report_lists.opportunity_rows(
                session, columns=OPPORTUNITY.export_columns, ids=ids))

    def _bar(self, dimension: str, value: Any) -> report_drill.Bar:
        """A checked dimension: a built-in one by name, a custom field's bar as its match, a department's
        bar as its members (the scope's filter still applies on top)."""
        if dimension == report_departments.DEPARTMENT:
            if value is None:
                return report_drill.OwnersMatch(None)
            try:
                department_id = int(value)
            except (TypeError, ValueError):
                raise ValidationFailed({'dimension': 'invalid'}) from None
            with self.ctx.read() as session:
                root = report_departments.root_id(tree_rows.tree(session))
                return report_drill.OwnersMatch(report_departments.members(
                    tree_rows.every_users_department(session), department_id, root))
        if is_custom(dimension):
            field = self.groupable_field(dimension)
            return CustomMatch(field.key, self.custom_test(field, value))
        if dimension not in reporting.LEAD_DIMENSIONS:
            raise ValidationFailed({'dimension': 'invalid'})
        return dimension

    def assigned_leads(self, actor: UserRef, f: ReportFilter, owner_id: int) -> list[dict[str, Any]]:
        """The leads assigned in the range to one rep (a row of the first-response ranking)."""
        f = self.check_filter(actor, f)
        s = self.scope(f)
        with self.ctx.read() as session:
            ids = report_drill.assigned_lead_ids(session, s, f.owner_id or owner_id, DRILL_LIMIT)
            return self._named(session, report_lists.lead_rows(session, columns=LEAD.export_columns, ids=ids))

    def lost_opportunities(self, actor: UserRef, f: ReportFilter, reason: str | None) -> list[dict[str, Any]]:
        """The deals lost in the range for one reason (a slice of the lost-reasons pie)."""
        s = self.scope(self.check_filter(actor, f))
        with self.ctx.read() as session:
            ids = report_drill.lost_opportunity_ids(session, s, reason or None, DRILL_LIMIT)
            return self._named(session, report_lists.opportunity_rows(
                session, columns=OPPORTUNITY.export_columns, ids=ids))

    def forecast_opportunities(self, actor: UserRef, f: ReportFilter, month: str) -> list[dict[str, Any]]:
        """The open and won deals expected to close in one month of the forecast ('YYYY-MM'), within the range."""
        f = self.check_filter(actor, f)
        try:
            first = date.fromisoformat(f'{month}-01')
        except ValueError:
            raise ValidationFailed({'month': 'invalid'}) from None
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        s = self.scope(f)
        with self.ctx.read() as session:
            ids = report_drill.forecast_opportunity_ids(session, s, max(first, f.start), min(last, f.end),
                                                        DRILL_LIMIT)
            return self._named(session, report_lists.opportunity_rows(
                session, columns=OPPORTUNITY.export_columns, ids=ids))

    @staticmethod
    def _named(session: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = report_lists.user_names(session)
        for row in rows:
            row['owner'] = names.get(row.get('owner_id') or 0, '')
        return rows
