"""What the reports list rather than sum: the records behind a click and the export's rows, the
names report rows show, the filter choices, and the channel costs marketing enters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from .models import Account, Activity, ChannelCost, Lead, Opportunity, Reach, RecordKind, Stage, User
from .queries.reach_filter import visible
from .reporting import Scope, _in_range, _lead_filters

# ----- channel costs ---------------------------------------------------------------------------------

def channel_costs(session: Session, first_month: date, last_month: date) -> Sequence[ChannelCost]:
    return session.exec(select(ChannelCost).where(col(ChannelCost.month) >= first_month,
                                                  col(ChannelCost.month) <= last_month)
                        .order_by(col(ChannelCost.month), col(ChannelCost.source))).all()


def channel_cost(session: Session, source: str, month: date) -> ChannelCost | None:
    return session.exec(select(ChannelCost).where(ChannelCost.source == source, ChannelCost.month == month)).first()


# ----- names and record lists --------------------------------------------------------------------------

def user_names(session: Session) -> dict[int, str]:
    """Every user's name (the users table is small): report rows name reps, departed ones too."""
    return {i: n for i, n in session.exec(select(User.id, User.name)).all() if i is not None}


def stage_names(session: Session) -> dict[int, tuple[str, str, int, str]]:
    """Every stage, archived ones too: (English name, Chinese name, position, kind)."""
    return {st.id or 0: (st.name_en, st.name_zh, st.position, st.kind) for st in session.exec(select(Stage)).all()}


# The columns each list reads are the caller's: core/leads/fields.py declares them (`export_columns`).

def lead_rows(session: Session, *, columns: Sequence[str], ids: Sequence[int] | None = None,
              s: Scope | None = None, limit: int | None = None, raw_times: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Leads as plain rows of `columns`: by ids (drill-down) or captured in the scope (export), oldest
    first. The `raw_times` columns come as the driver returns them (SQLite: UTC text) for the caller to
    parse in bulk: turning 300,000 of them into datetimes one by one was ~1 s of a 100k-lead export
    (bench/export.py)."""
    query = select(*(sa.type_coerce(getattr(Lead, c), sa.String) if c in raw_times
                     else getattr(Lead, c) for c in columns)).where(Lead.is_deleted == False)  # noqa: E712
    if ids is not None:
        query = query.where(col(Lead.id).in_(list(ids)))
    if s is not None:
        query = query.where(*_in_range(Lead.created_at, s), *_lead_filters(s))
    query = query.order_by(col(Lead.id))
    if limit is not None:
        query = query.limit(limit)
    return [dict(zip(columns, row, strict=True)) for row in session.exec(query).all()]


OPPORTUNITY_JOINED: dict[str, Any] = {'account': Account.name, 'source': Lead.source, 'region': Lead.region,
                                      'industry': Lead.industry}
"""An opportunity's list columns read from its customer and its lead; the rest are its own."""


def opportunity_rows(session: Session, *, columns: Sequence[str], ids: Sequence[int] | None = None,
                     s: Scope | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Deals as plain rows of `columns`: by ids, or created in the scope (the owner filter is the
    deal's owner)."""
    query = (select(*(OPPORTUNITY_JOINED[c] if c in OPPORTUNITY_JOINED else getattr(Opportunity, c)
                      for c in columns))
             .join(Lead, col(Lead.id) == Opportunity.lead_id).join(Account, col(Account.id) == Opportunity.account_id)
             .where(Opportunity.is_deleted == False))  # noqa: E712
    if ids is not None:
        query = query.where(col(Opportunity.id).in_(list(ids)))
    if s is not None:
        query = query.where(*_in_range(Opportunity.created_at, s), *_lead_filters(s, owner=Opportunity.owner_id))
    query = query.order_by(Opportunity.id)
    if limit is not None:
        query = query.limit(limit)
    return [dict(zip(columns, row, strict=True)) for row in session.exec(query).all()]


def customer_rows(session: Session, *, columns: Sequence[str], owner_id: int | None,
                  since: datetime | None, reach: Reach | None = None) -> list[dict[str, Any]]:
    """Customers as plain rows of `columns`, within `reach` (None: everyone's)."""
    query = select(*(getattr(Account, c) for c in columns)).where(
        Account.is_customer == True, Account.is_deleted == False)  # noqa: E712
    if owner_id is not None:
        query = query.where(Account.owner_id == owner_id)
    if reach is not None and (seen := visible(reach, col(Account.owner_id), RecordKind.CUSTOMER,
                                               col(Account.id))) is not None:
        query = query.where(seen)
    if since is not None:
        query = query.where(col(Account.created_at) >= since)
    return [dict(zip(columns, row, strict=True)) for row in session.exec(query.order_by(Account.id)).all()]


ACTIVITY_COLUMNS = ('id', 'lead_id', 'opportunity_id', 'user_id', 'kind', 'outcome', 'note', 'created_at')


def activity_rows(session: Session, *, owner_id: int | None, since: datetime | None,
                  reach: Reach | None = None) -> list[dict[str, Any]]:
    """Activities on the leads `owner_id` owns (None: all) within `reach` (None: everyone's), oldest first."""
    query = select(*(getattr(Activity, c) for c in ACTIVITY_COLUMNS))
    seen = visible(reach, col(Lead.owner_id), RecordKind.LEAD, col(Lead.id)) if reach is not None else None
    if owner_id is not None or seen is not None:
        query = query.join(Lead, col(Lead.id) == Activity.lead_id)
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    if seen is not None:
        query = query.where(seen)
    if since is not None:
        query = query.where(col(Activity.created_at) >= since)
    return [dict(zip(ACTIVITY_COLUMNS, row, strict=True)) for row in session.exec(query.order_by(Activity.id)).all()]


def distinct_values(session: Session, column: str, limit: int = 200) -> list[str]:
    """The filter choices for a free-text lead column (region, industry), most common first."""
    key = getattr(Lead, column)
    rows = session.exec(select(key).where(col(key).is_not(None), key != '', Lead.is_deleted == False)  # noqa: E712
                        .group_by(key).order_by(func.count().desc(), key).limit(limit)).all()
    return [r for r in rows if r]


def rep_names(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every rep, departed ones too (their past numbers still count), by name."""
    rows = session.exec(select(User.id, User.name).where(User.role == 'rep')
                        .order_by(col(User.name), col(User.id))).all()
    return [(i, n) for i, n in rows if i is not None]
