"""Reads and row moves for near-duplicate suggestions and merges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from .identity import PARTS, Part
from .models import Activity, AuditEntry, Contact, IdempotencyRecord, Lead, LeadMerge, Notification

MOVABLE: dict[str, Any] = {'activities': Activity, 'audit': AuditEntry, 'contacts': Contact,
                           'notifications': Notification, 'idempotency': IdempotencyRecord}
"""Rows that belong to a lead and follow it into a merge (and back on undo)."""


def candidates(session: Session, limit: int) -> Sequence[tuple[Any, ...]]:
    """The most recent live leads, only the columns matching needs: (id, name, email, phone,
    phone_norm, company_norm)."""
    # sqlmodel's `select` is typed for at most 4 columns: a wider row goes in as a tuple (rows are Any)
    columns: tuple[Any, ...] = (Lead.id, Lead.name, Lead.email, Lead.phone, Lead.phone_norm, Lead.company_norm)
    return session.exec(
        select(*columns)
        .where(Lead.is_deleted == False)  # noqa: E712
        .order_by(col(Lead.id).desc()).limit(limit)
    ).all()


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
    rows = session.exec(select(Lead.id, Lead.name).where(col(Lead.id).in_(ids))).all()
    return {lead_id: name for lead_id, name in rows if lead_id is not None}  # (a primary key: never None)


PAIRS_PER_QUERY = 1000
"""Company + name pairs (a part's value tuples) per query (two bound values each; SQLite allows 32,766)."""


def twins_of_many(session: Session, wanted: Mapping[Part, Sequence[tuple[str, ...]]]) -> Sequence[Lead]:
    """Every live lead a batch of arrivals could be a duplicate of: the leads holding any of the
    `wanted` identity keys (store/identity.py `wanted`), one query per part, each on its index. A
    part of several columns (company + name) is joined from a `VALUES` list, which SQLite walks
    probing the index once per pair: a row-value `(company_norm, name) IN (VALUES …)` scans the
    whole table instead (each import batch was slower than the last), and an `OR` of 1,000
    SQLAlchemy clauses costs more to build than to run."""
    conditions: list[tuple[Any, Sequence[Any]]] = []
    for part, keys in wanted.items():
        if len(part.columns) == 1:
            conditions.append((_LIVE_BY[part.columns[0]], [values[0] for values in keys]))
            continue
        for start in range(0, len(keys), PAIRS_PER_QUERY):
            ids = _ids_by_values(session, part.columns, keys[start:start + PAIRS_PER_QUERY])
            if ids:
                conditions.append((_LIVE_BY['id'], ids))
    found: dict[int, Lead] = {}
    for statement, values in conditions:
        for lead in session.exec(statement, params={'values': list(values)}):
            found[lead.id or 0] = lead
    return list(found.values())


def _ids_by_values(session: Session, columns: Sequence[str], chunk: Sequence[tuple[str, ...]]) -> list[int]:
    """The ids of leads whose `columns` hold one of the `chunk`'s value tuples (deleted ones too)."""
    # the driver's own placeholders: SQLAlchemy's `text()` finds 2,000 named binds with a regex
    # on every batch (the statement's length varies, so nothing is cached) — ~50 ms a batch
    connection = session.connection()
    mark = '?' if connection.dialect.paramstyle == 'qmark' else '%s'
    row = '(' + ', '.join([mark] * len(columns)) + ')'
    values = ', '.join([row] * len(chunk))
    params = tuple(value for key in chunk for value in key)
    names = ', '.join(f'v{i}' for i in range(len(columns)))
    joined = ' AND '.join(f'leads.{c} = wanted.v{i}' for i, c in enumerate(columns))  # declared names only
    return [r[0] for r in connection.exec_driver_sql(
        f'WITH wanted({names}) AS (VALUES {values}) SELECT leads.id FROM wanted '  # placeholders only
        f'JOIN leads ON {joined}', params)]


_LIVE_BY = {name: select(Lead).where(getattr(Lead, name).in_(sa.bindparam('values', expanding=True)),
                                     Lead.is_deleted == False)  # noqa: E712
            for name in (*(p.columns[0] for p in PARTS if len(p.columns) == 1), 'id')}
"""Live leads by one key, each statement built once (a single capture builds them for one value;
building them cost more than running them)."""
