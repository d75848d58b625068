"""`users.open_leads`: each rep's count of open leads, kept in the same transaction as every
change of a lead's owner or status, so assignment never counts the leads table.

An ORM `after_flush` hook sees every such change (all writes go through the ORM) and adds
the difference with one atomic `UPDATE … SET open_leads = open_leads + d`. Bulk writes that
bypass the ORM (migrations, benchmark data) call `recount_open_leads` afterwards.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession

from .models import OPEN_STATUSES, Lead, User


def _open_owner(owner_id: Any, status: Any) -> int | None:
    return owner_id if owner_id and status in OPEN_STATUSES else None


def _before_after(lead: Lead, field: str) -> tuple[Any, Any]:
    history = inspect(lead).attrs[field].history
    now = getattr(lead, field)
    if history.deleted:
        return history.deleted[0], now
    return now, now


@event.listens_for(OrmSession, 'after_flush')
def _count_open_leads(session: OrmSession, _context: Any) -> None:
    deltas: Counter[int] = Counter()
    for obj in session.new:
        if isinstance(obj, Lead) and (owner := _open_owner(obj.owner_id, obj.status)):
            deltas[owner] += 1
    for obj in session.dirty:
        if not isinstance(obj, Lead):
            continue
        owner_before, owner_after = _before_after(obj, 'owner_id')
        status_before, status_after = _before_after(obj, 'status')
        if (before := _open_owner(owner_before, status_before)) is not None:
            deltas[before] -= 1
        if (after := _open_owner(owner_after, status_after)) is not None:
            deltas[after] += 1
    connection = session.connection()
    for user_id, delta in sorted(deltas.items()):  # id order: the lock order of store/locks.py
        if delta:
            connection.execute(sa.update(User).where(User.id == user_id)  # type: ignore[arg-type]
                               .values(open_leads=User.open_leads + delta))


def recount_open_leads(connection: sa.Connection) -> None:
    """Set every user's counter from the leads table (after bulk writes)."""
    leads, users = Lead.__table__, User.__table__  # type: ignore[attr-defined]
    counted = (sa.select(sa.func.count()).where(leads.c.owner_id == users.c.id,
                                                leads.c.status.in_(OPEN_STATUSES)).scalar_subquery())
    connection.execute(sa.update(users).values(open_leads=counted))
