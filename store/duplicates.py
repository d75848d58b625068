"""Reads and row moves for near-duplicate suggestions and merges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .models import Activity, AuditEntry, Contact, IdempotencyRecord, Lead, LeadMerge, Notification

MOVABLE: dict[str, Any] = {'activities': Activity, 'audit': AuditEntry, 'contacts': Contact,
                           'notifications': Notification, 'idempotency': IdempotencyRecord}
"""Rows that belong to a lead and follow it into a merge (and back on undo)."""


def candidates(session: Session, limit: int) -> Sequence[tuple[Any, ...]]:
    """The most recent live leads, only the columns matching needs: (id, name, email, phone,
    phone_norm, company_norm)."""
    return session.exec(
        select(Lead.id, Lead.name, Lead.email, Lead.phone, Lead.phone_norm, Lead.company_norm)
        .where(Lead.is_deleted == False)  # noqa: E712
        .order_by(col(Lead.id).desc()).limit(limit)
    ).all()  # type: ignore[return-value]


def live_leads(session: Session, ids: Sequence[int], *, lock: bool = False) -> Sequence[Lead]:
    """`lock` (a merge): row-locked in id order until commit, so two merges of one lead serialise."""
    query = select(Lead).where(col(Lead.id).in_(ids), Lead.is_deleted == False)  # noqa: E712
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query.order_by(col(Lead.id))).all()


def row_ids(session: Session, table: str, lead_ids: Sequence[int]) -> dict[int, list[int]]:
    """For each lead, the ids of its rows in one movable table."""
    model = MOVABLE[table]
    found: dict[int, list[int]] = {}
    for row_id, lead_id in session.exec(select(model.id, model.lead_id).where(col(model.lead_id).in_(lead_ids))):
        found.setdefault(lead_id, []).append(row_id)
    return found


def move_rows(session: Session, table: str, ids: Sequence[int], lead_id: int) -> None:
    if ids:
        model = MOVABLE[table]
        session.execute(sa.update(model).where(col(model.id).in_(ids)).values(lead_id=lead_id))


def merges_since(session: Session, since: datetime, limit: int = 50) -> Sequence[LeadMerge]:
    return session.exec(select(LeadMerge).where(col(LeadMerge.created_at) >= since)
                        .order_by(col(LeadMerge.id).desc()).limit(limit)).all()


def lead_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    return dict(session.exec(select(Lead.id, Lead.name).where(col(Lead.id).in_(ids))).all())  # type: ignore[arg-type]


PAIRS_PER_QUERY = 1000
"""Company + name pairs per query (two bound values each; SQLite allows 32,766)."""


def twins_of_many(session: Session, *, phones: Sequence[str], emails: Sequence[str],
                  company_names: Sequence[tuple[str, str]]) -> Sequence[Lead]:
    """Every live lead a batch of arrivals could be a duplicate of (the keys of `find_duplicate`,
    for many arrivals: one query per key, each on its index). Company and name pairs are joined from
    a `VALUES` list, which SQLite walks probing the index once per pair: a row-value
    `(company_norm, name) IN (VALUES …)` scans the whole table instead (each import batch was slower
    than the last), and an `OR` of 1,000 SQLAlchemy clauses costs more to build than to run."""
    conditions: list[tuple[Any, Sequence[Any]]] = []
    if phones:
        conditions.append((_LIVE_BY['phone_norm'], phones))
    if emails:
        conditions.append((_LIVE_BY['email'], emails))
    pairs = list(company_names)
    for start in range(0, len(pairs), PAIRS_PER_QUERY):
        chunk = pairs[start:start + PAIRS_PER_QUERY]
        # the driver's own placeholders: SQLAlchemy's `text()` finds 2,000 named binds with a regex
        # on every batch (the statement's length varies, so nothing is cached) — ~50 ms a batch
        connection = session.connection()
        mark = '?' if connection.dialect.paramstyle == 'qmark' else '%s'
        values = ', '.join([f'({mark}, {mark})'] * len(chunk))
        params = tuple(value for pair in chunk for value in pair)
        ids = [row[0] for row in connection.exec_driver_sql(
            f'WITH pairs(company, name) AS (VALUES {values}) SELECT leads.id FROM pairs '  # placeholders only
            'JOIN leads ON leads.company_norm = pairs.company AND leads.name = pairs.name', params)]
        if ids:
            conditions.append((_LIVE_BY['id'], ids))
    found: dict[int, Lead] = {}
    for statement, values in conditions:
        for lead in session.exec(statement, params={'values': list(values)}):
            found[lead.id or 0] = lead
    return list(found.values())


_LIVE_BY = {name: select(Lead).where(getattr(Lead, name).in_(sa.bindparam('values', expanding=True)),
                                     Lead.is_deleted == False)  # noqa: E712
            for name in ('phone_norm', 'email', 'id')}
"""Live leads by one key, each statement built once (a single capture builds them for one value;
building them cost more than running them)."""
