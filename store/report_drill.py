"""The records behind a report bar or slice (drill-down), under the same filter as the panel:
ids only, newest first, at most `limit`; store.reporting turns them into rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from .models import Lead, Opportunity, Stage
from .reporting import Scope, _closed, _in_range, _lead_filters


def assigned_lead_ids(session: Session, s: Scope, owner_id: int, limit: int) -> list[int]:
    """Leads assigned in the range to one rep: a row of the first-response ranking."""
    query = (select(Lead.id).where(*_in_range(Lead.assigned_at, s), *_lead_filters(s), Lead.owner_id == owner_id)
             .order_by(col(Lead.assigned_at).desc(), col(Lead.id).desc()).limit(limit))
    return [i for i in session.exec(query) if i is not None]


def lost_opportunity_ids(session: Session, s: Scope, reason: str | None, limit: int) -> list[int]:
    """Deals lost in the range for one reason (None: no reason given): a slice of the lost-reasons pie."""
    where: Any = col(Opportunity.lost_reason).is_(None) if reason is None else Opportunity.lost_reason == reason
    query = (_closed(select(Opportunity.id), s).where(Stage.kind == 'lost', where)
             .order_by(col(Opportunity.closed_at).desc(), col(Opportunity.id).desc()).limit(limit))
    return [i for i in session.exec(query) if i is not None]


def forecast_opportunity_ids(session: Session, s: Scope, first: date, last: date, limit: int) -> list[int]:
    """Open and won deals expected to close between `first` and `last`: a month of the forecast."""
    query = (select(Opportunity.id).join(Lead, col(Lead.id) == Opportunity.lead_id)
             .join(Stage, col(Stage.id) == Opportunity.stage_id)
             .where(Opportunity.is_deleted == False, col(Stage.kind).in_(('open', 'won')),  # noqa: E712
                    col(Opportunity.expected_close) >= first, col(Opportunity.expected_close) <= last,
                    *_lead_filters(s, owner=Opportunity.owner_id))
             .order_by(col(Opportunity.expected_close), col(Opportunity.id)).limit(limit))
    return [i for i in session.exec(query) if i is not None]
