"""`stage_changes.left_at`: when the stay a move began ended — the time of the deal's next move,
None while the deal is still in that stage.

Why stored: the time-in-stage report needs every stay that ended in the range. Worked out at read
time, that is a window function (`lead()` over each deal's moves) over every move ever made — a
year at 100k deals took ~1.2 s of the year's report. Stored, it is a range scan of one index.

It is kept in the same transaction as every move by core's unit of work (core/projections.py): the
deals that got a new move have all their moves' `left_at` worked out again (a deal has a handful),
so a move written out of order (tests and imports give explicit times) is still right. Rows written
around it (the benchmarks' raw inserts) call `recompute()` afterwards, as migration 0012 does once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from .models import StageChange

_CHANGES = SQLModel.metadata.tables[StageChange.__tablename__]  # = `.__table__` (undeclared in SQLModel)


def _next_move() -> sa.ScalarSelect[Any]:
    """The time of the same deal's next move, in the order the report always used: (time, id)."""
    later = _CHANGES.alias('later')
    this = _CHANGES
    return (sa.select(later.c.created_at)
            .where(later.c.opportunity_id == this.c.opportunity_id,
                   sa.or_(later.c.created_at > this.c.created_at,
                          sa.and_(later.c.created_at == this.c.created_at, later.c.id > this.c.id)))
            .order_by(later.c.created_at, later.c.id).limit(1).scalar_subquery())


def recompute(connection: sa.Connection, opportunity_ids: Iterable[int] | None = None) -> None:
    """Work out `left_at` again for these deals' moves (None: every deal's)."""
    statement = sa.update(_CHANGES).values(left_at=_next_move())
    if opportunity_ids is not None:
        ids = sorted(set(opportunity_ids))
        if not ids:
            return
        statement = statement.where(_CHANGES.c.opportunity_id.in_(ids))
    connection.execute(statement)
