"""Monthly goals' rows (core/goals/board.py decides who may set which and reads the actuals)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col

from .models import Goal


def for_months(session: OrmSession, months: Sequence[date]) -> list[Goal]:
    return list(session.execute(sa.select(Goal).where(col(Goal.month).in_(list(months)))
                                .order_by(col(Goal.month), col(Goal.id))).scalars())


def _is(column: Any, value: int | None) -> Any:
    return col(column).is_(None) if value is None else col(column) == value


def put(session: OrmSession, *, month: date, user_id: int | None, metric: str, target: int | None,
        stretch: int | None, actor_id: int, now: datetime, department_id: int | None = None) -> Goal | None:
    """Set the goal for (month, who, metric) — who: a rep, a department or (both None) the team;
    `target` None removes it. Returns the previous row's values as they were (None: there was none)."""
    row = session.execute(sa.select(Goal).where(col(Goal.month) == month, col(Goal.metric) == metric,
                                                _is(Goal.user_id, user_id),
                                                _is(Goal.department_id, department_id))).scalar()
    before = None if row is None else Goal(month=row.month, user_id=row.user_id, department_id=row.department_id,
                                           metric=row.metric, target=row.target, stretch=row.stretch)
    if target is None:
        if row is not None:
            session.delete(row)
        return before
    if row is None:
        row = Goal(month=month, user_id=user_id, department_id=department_id, metric=metric, target=target)
    row.target, row.stretch, row.updated_by, row.updated_at = target, stretch, actor_id, now
    session.add(row)
    return before
