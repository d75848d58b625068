"""The conversion, win-rate and sales-cycle figures broken down by a lead's custom field (a single select or a
yes/no field) instead of a built-in dimension, and the records behind one of its bars.

The daily roll-up keeps the built-in dimensions only — a custom field is defined at any time, and
a roll-up per field would be rebuilt on every definition — so these are read from the rows, under
the same scope and counting rules as store/reporting.py's `cohort_figures`, `cohort_deals` and
`closed_figures` (tests/unit/test_report_custom.py checks that the breakdown's totals equal the
built-in panels'). The key comes from a definition core looked up and goes to the database as a
bound parameter, as in the inbox's custom filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func

from .models import Lead, Opportunity, Stage
from .queries.leads import CustomTest, custom_condition
from .report_figures import WON
from .reporting import Scope, _closed, _in_range, _lead_filters, seconds_between


def _value(key: str) -> sa.ColumnElement[Any]:
    """The field's stored value as text (SQLite's json_extract gives 1 / 0 for a yes/no field,
    PostgreSQL's ->> 'true' / 'false'; core reads either)."""
    return col(Lead.custom)[key].as_string()


def cohort_by_value(session: Session, s: Scope, key: str) -> list[tuple[Any, int, int]]:
    """(stored value, captured, converted) of the cohort per value of the field: leads captured in
    the range, and of those the ones with a deal created before the range ended."""
    value = _value(key)
    captured = session.execute(sa.select(value, func.count())
                               .where(*_in_range(Lead.created_at, s), *_lead_filters(s))
                               .group_by(value)).all()
    converted = dict(session.execute(
        sa.select(value, func.count()).select_from(Lead).join(Opportunity, col(Opportunity.lead_id) == Lead.id)
        .where(*_in_range(Lead.created_at, s), *_lead_filters(s), col(Opportunity.is_deleted) == False,  # noqa: E712
               col(Opportunity.created_at) < s.end)
        .group_by(value)).all())
    return [(v, int(n), int(converted.get(v, 0))) for v, n in captured]


def closed_by_value(session: Session, s: Scope, key: str) -> list[tuple[Any, int, int, int]]:
    """(stored value of the deal's lead, won, lost, won cents) of deals closed in the range."""
    value = _value(key)
    is_won = col(Stage.kind) == WON
    rows = session.execute(_closed(session, sa.select(value, func.sum(sa.case((is_won, 1), else_=0)),
                                                      func.sum(sa.case((is_won, 0), else_=1)),
                                                      func.sum(sa.case((is_won, Opportunity.amount_cents), else_=0))),
                                   s, join_lead=True).group_by(value)).all()
    return [(r[0], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows]


def won_cycles_by_value(session: Session, s: Scope, key: str) -> list[tuple[Any, float]]:
    """(stored value of the deal's lead, seconds from capture to win) of deals won in the range: the
    sales-cycle panel's rows, as store/reporting.py `won_cycles` reads them per source."""
    seconds = seconds_between(session, Lead.created_at, Opportunity.closed_at)
    query = _closed(session, sa.select(_value(key), seconds), s, join_lead=True).where(col(Stage.kind) == WON)
    return [(r[0], float(r[1])) for r in session.execute(query).all()]


@dataclass(frozen=True, slots=True)
class CustomMatch:
    """A bar of a panel grouped by a custom field, as the drill-down selects it: the leads whose
    field passes `test`, or (None) holds no value."""

    key: str
    test: CustomTest | None

    def condition(self, dialect: str) -> sa.ColumnElement[bool]:
        return _value(self.key).is_(None) if self.test is None else custom_condition(self.test, dialect)
