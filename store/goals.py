"""Monthly goals' rows (core/goals/board.py decides who may set which and reads the actuals)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col

from .models import Goal


def for_months(session: OrmSession, months: Sequence[date]) -> list[Goal]:
    return list(session.execute(sa.select(Goal).where(col(Goal.month).in_(list(months)))
                                .order_by(col(Goal.month), col(Goal.id))).scalars())


def put(session: OrmSession, *, month: date, user_id: int | None, metric: str, target: int | None,
        stretch: int | None, actor_id: int, now: datetime) -> Goal | None:
    """Set the goal for (month, who, metric); `target` None removes it. Returns the previous row's values
    as they were (None: there was none)."""
    who = col(Goal.user_id).is_(None) if user_id is None else col(Goal.user_id) == user_id
    row = session.execute(sa.select(Goal).where(col(Goal.month) == month, col(Goal.metric) == metric, who)).scalar()
    before = None if row is None else Goal(month=row.month, user_id=row.user_id, metric=row.metric,
                                           target=row.target, stretch=row.stretch)
    if target is None:
        if row is not None:
            session.delete(row)
        return before
    if row is None:
        row = Goal(month=month, user_id=user_id, metric=metric, target=target)
    row.target, row.stretch, row.updated_by, row.updated_at = target, stretch, actor_id, now
    session.add(row)
    return before
