"""`users.open_leads`: each rep's count of open leads, kept in the same transaction as every
change of a lead's owner or status, so assignment never counts the leads table.

Core's unit of work (core/projections.py) works out, per transaction, how each rep's count
changed (the touched leads' owner and status when first touched and at the end, plus the leads a
bulk write inserted) and `add`s the difference with one atomic `UPDATE … SET open_leads =
open_leads + d` per rep. Bulk writes that bypass it (migrations, benchmark data) call
`recount_open_leads` afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from .models import OPEN_STATUSES, Lead, User

_USERS = SQLModel.metadata.tables[User.__tablename__]  # = `.__table__` (undeclared in SQLModel)


def add(connection: sa.Connection, open_deltas: Mapping[int, int], last_assigned: Mapping[int, Any]) -> None:
    """`users.open_leads += d`, and `last_assigned_at` of the reps a bulk write assigned leads to
    (in the same statement): one UPDATE per rep, in id order (the lock order of store/locks.py)."""
    for user_id in sorted(set(open_deltas) | set(last_assigned)):
        delta = open_deltas.get(user_id, 0)
        if user_id in last_assigned:
            connection.execute(_REP_ASSIGNED, {'rep': user_id, 'delta': delta, 'at': last_assigned[user_id]})
        elif delta:
            connection.execute(_REP_OPEN, {'rep': user_id, 'delta': delta})


_REP_OPEN = (sa.update(_USERS).where(_USERS.c.id == sa.bindparam('rep'))
             .values(open_leads=_USERS.c.open_leads + sa.bindparam('delta')))
_REP_ASSIGNED = _REP_OPEN.values(last_assigned_at=sa.bindparam('at', type_=_USERS.c.last_assigned_at.type))
"""Built once (a capture runs one of them; building cost more than running)."""


def recount_open_leads(connection: sa.Connection) -> None:
    """Set every user's counter from the leads table (after bulk writes)."""
    leads, users = SQLModel.metadata.tables[Lead.__tablename__], _USERS
    counted = (sa.select(sa.func.count()).where(leads.c.owner_id == users.c.id,
                                                leads.c.status.in_(OPEN_STATUSES)).scalar_subquery())
    connection.execute(sa.update(users).values(open_leads=counted))
