"""The records behind a report bar or slice (drill-down), under the same filter as the panel:
ids only, newest first, at most `limit`; store.reporting turns them into rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .models import Lead, Opportunity, Stage
from .report_custom import CustomMatch
from .report_figures import CONTACTED_STATUSES, LOST, WON
from .reporting import Scope, _closed, _cohort, _cohort_steps, _in_range, _lead_filters


@dataclass(frozen=True, slots=True)
class OwnersMatch:
    """A bar of a panel grouped by department: the records owned by one of `owners` (None: unowned)."""

    owners: frozenset[int] | None

    def condition(self, owner: Any) -> sa.ColumnElement[bool]:
        return col(owner).is_(None) if self.owners is None else col(owner).in_(sorted(self.owners))


Bar = str | CustomMatch | OwnersMatch


def assigned_lead_ids(session: Session, s: Scope, owner_id: int, limit: int) -> list[int]:
    """Leads assigned in the range to one rep: a row of the first-response ranking."""
    query = (select(Lead.id).where(*_in_range(Lead.assigned_at, s), *_lead_filters(s), Lead.owner_id == owner_id)
             .order_by(col(Lead.assigned_at).desc(), col(Lead.id).desc()).limit(limit))
    return [i for i in session.exec(query) if i is not None]


def lost_opportunity_ids(session: Session, s: Scope, reason: str | None, limit: int) -> list[int]:
    """Deals lost in the range for one reason (None: no reason given): a slice of the lost-reasons pie."""
    where: Any = col(Opportunity.lost_reason).is_(None) if reason is None else Opportunity.lost_reason == reason
    query = (_closed(session, select(Opportunity.id), s).where(Stage.kind == LOST, where)
             .order_by(col(Opportunity.closed_at).desc(), col(Opportunity.id).desc()).limit(limit))
    return [i for i in session.exec(query) if i is not None]


def forecast_opportunity_ids(session: Session, s: Scope, first: date, last: date, limit: int) -> list[int]:
    """Open and won deals expected to close between `first` and `last`: a month of the forecast."""
    query = (select(Opportunity.id).join(Lead, col(Lead.id) == Opportunity.lead_id)
             .join(Stage, col(Stage.id) == Opportunity.stage_id)
             .where(Opportunity.is_deleted == False, col(Stage.kind).in_(('open', WON)),  # noqa: E712
                    col(Opportunity.expected_close) >= first, col(Opportunity.expected_close) <= last,
                    *_lead_filters(s, owner=Opportunity.owner_id))
             .order_by(col(Opportunity.expected_close), col(Opportunity.id)).limit(limit))
    return [i for i in session.exec(query) if i is not None]


def funnel_lead_ids(session: Session, s: Scope, step: str, limit: int) -> list[int]:
    """The cohort leads that reached `step` (newest first): what clicking a funnel step lists."""
    cond = _cohort_steps(s)[step]
    rows = session.exec(_cohort(select(Lead.id), s).where(cond).order_by(col(Lead.created_at).desc(),
                                                                          col(Lead.id).desc()).limit(limit))
    return [r for r in rows if r is not None]


def _matches(session: Session, dimension: Bar, value: Any, key: Any) -> sa.ColumnElement[bool]:
    """The bar's condition: the column `key` equals `value`, a custom field's match, or a department's owners."""
    if isinstance(dimension, OwnersMatch):
        return dimension.condition(key)
    if isinstance(dimension, CustomMatch):
        return dimension.condition(session.get_bind().dialect.name)
    return col(key).is_(None) if value is None else key == value


def cohort_lead_ids(session: Session, s: Scope, dimension: Bar, value: Any, *, converted: bool,
                    limit: int) -> list[int]:
    """Cohort leads with this dimension value (optionally only converted ones): a bar's records.
    A custom field's bar comes as its `CustomMatch` (`value` unused)."""
    key = (None if isinstance(dimension, CustomMatch) else
           Lead.owner_id if isinstance(dimension, OwnersMatch) else getattr(Lead, dimension))
    query = _cohort(select(Lead.id), s).where(_matches(session, dimension, value, key))
    if converted:
        query = query.where(_cohort_steps(s)['opportunity'])
    return [r for r in session.exec(query.order_by(col(Lead.id).desc()).limit(limit)) if r is not None]


def closed_opportunity_ids(session: Session, s: Scope, dimension: Bar, value: Any, *,
                           kind: str | None, limit: int) -> list[int]:
    """Deals closed in the range with this dimension value: a win-rate bar's records."""
    by_owner = isinstance(dimension, OwnersMatch) or dimension == 'owner_id'
    key = (None if isinstance(dimension, CustomMatch) else Opportunity.owner_id if by_owner
           else getattr(Lead, str(dimension)))
    query = (_closed(session, select(Opportunity.id), s, join_lead=not by_owner)
             .where(_matches(session, dimension, value, key)))
    if kind:
        query = query.where(Stage.kind == kind)
    return [r for r in session.exec(query.order_by(col(Opportunity.closed_at).desc()).limit(limit)) if r]


def goal_lead_ids(session: Session, start: Any, end: Any, owners: frozenset[int] | None, *, step: str,
                  limit: int) -> list[int]:
    """Leads captured between `start` and `end` (UTC, end exclusive) owned by `owners` (None: anyone's)
    that reached `step` (contacted | opportunity) by now: the records behind a goal's actual, counted
    as the roll-up counts the cohort (store/report_rollup.py `contributions`), not by the range's end."""
    live_deal = sa.exists().where(col(Opportunity.lead_id) == Lead.id, col(Opportunity.is_deleted) == False)  # noqa: E712
    reached = live_deal if step == 'opportunity' else sa.or_(col(Lead.first_contact_at).is_not(None),
                                                             col(Lead.status).in_(CONTACTED_STATUSES))
    query = select(Lead.id).where(col(Lead.created_at) >= start, col(Lead.created_at) < end,
                                  col(Lead.is_deleted) == False, reached)  # noqa: E712
    if owners is not None:
        query = query.where(col(Lead.owner_id).in_(sorted(owners)))
    return [r for r in session.exec(query.order_by(col(Lead.created_at).desc(), col(Lead.id).desc()).limit(limit))
            if r is not None]


def goal_deal_ids(session: Session, start: Any, end: Any, owners: frozenset[int] | None, *, limit: int) -> list[int]:
    """Deals won between `start` and `end` (UTC, end exclusive) owned by `owners` (None: anyone's), of
    live leads: the records behind a won-amount goal's actual (the roll-up's `closed` family)."""
    query = (select(Opportunity.id).join(Lead, col(Lead.id) == Opportunity.lead_id)
             .join(Stage, col(Stage.id) == Opportunity.stage_id)
             .where(col(Opportunity.is_deleted) == False, col(Lead.is_deleted) == False,  # noqa: E712
                    col(Stage.kind) == WON, col(Opportunity.closed_at) >= start, col(Opportunity.closed_at) < end))
    if owners is not None:
        query = query.where(col(Opportunity.owner_id).in_(sorted(owners)))
    return [r for r in session.exec(query.order_by(col(Opportunity.closed_at).desc()).limit(limit)) if r]
