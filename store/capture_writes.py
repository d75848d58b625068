"""The capture path's writes, as Core multi-row statements: new leads, their audit lines and touch
activities, notifications.

Why not the ORM: building a SQLModel object runs pydantic validation, and flushing it runs the
unit of work — together ~1 ms a row, 20× the insert itself. A capture batch (an import's 200 rows,
or one API lead) plans its leads in memory and writes them here in a handful of statements.
The caller (core/capture/pending.py) registers what it wrote with the transaction's change set, so the
projections (counters, roll-up, webhook events) see these rows as they see ORM writes."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic_core import PydanticUndefined
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from .models import Activity, AuditEntry, IdempotencyRecord, Lead, Notification, User
from .types import UTCDateTime

# each model's `.__table__` (undeclared in SQLModel's types)
_LEADS = SQLModel.metadata.tables[Lead.__tablename__]
_AUDIT = SQLModel.metadata.tables[AuditEntry.__tablename__]
_ACTIVITIES = SQLModel.metadata.tables[Activity.__tablename__]
_USERS = SQLModel.metadata.tables[User.__tablename__]
_NOTIFICATIONS = SQLModel.metadata.tables[Notification.__tablename__]
_IDEMPOTENCY = SQLModel.metadata.tables[IdempotencyRecord.__tablename__]


def _defaults(model: Any) -> dict[str, Any]:
    """Each column's default (factories called: their values are copied per row by the caller)."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            values[name] = field.default_factory()
        elif field.default is not PydanticUndefined:
            values[name] = field.default
        else:
            values[name] = None
    return values


LEAD_DEFAULTS: Mapping[str, Any] = _defaults(Lead)
"""A new lead's column values before capture fills them (mutable defaults: copy per row)."""
ACTIVITY_DEFAULTS: Mapping[str, Any] = {k: v for k, v in _defaults(Activity).items() if k != 'id'}
"""A touch activity's column values before the caller's (no id: the database numbers them)."""


def reserve_lead_ids(session: Session, count: int, *, after: int = 0) -> list[int]:
    """`count` ids for leads this transaction will insert, so their audit lines, activities and
    results can name them before the one insert. SQLite: the next rowids, read after taking the
    database's write lock (a no-op UPDATE does), so a writer in another process (the server while
    `run.py import` runs beside it) waits for this transaction instead of taking those ids; `after`:
    the last id this transaction reserved and has not inserted yet. PostgreSQL: from the sequence."""
    if count <= 0:
        return []
    if session.bind is not None and session.bind.dialect.name == 'postgresql':
        rows = session.execute(sa.text("SELECT nextval(pg_get_serial_sequence('leads', 'id')) "
                                       'FROM generate_series(1, :n)'), {'n': count}).scalars().all()
        return [int(r) for r in rows]
    session.execute(_LOCK)  # SQLite's write lock, held to commit
    top = max(session.execute(_TOP_ID).scalar() or 0, after)
    return list(range(top + 1, top + 1 + count))


_LOCK = sa.text('UPDATE leads SET id = id WHERE 0')
_TOP_ID = sa.select(sa.func.max(_LEADS.c.id))


def bulk_insert(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """`INSERT` many rows (every row with the same keys) in one driver `executemany`.

    What `session.execute(sa.insert(table), rows)` does, minus its per-value overhead: each
    column's bind processor (our UTC datetimes, JSON) is looked up once, and a datetime column's
    values — mostly the batch's one `now` — are converted once each. ~40% of a capture batch's
    CPU went to SQLAlchemy's per-row parameter handling before. The statement's SQL and its
    processors are compiled once per (table, columns, dialect) and kept (`_plan`): compiling
    the leads' 60-column INSERT took ~2 ms, a fifth of a single API capture."""
    insert_rows(session.connection(), table, rows)


def insert_rows(connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """`bulk_insert` on a connection (the projections' writes, store/search_index.py, hold one)."""
    if not rows:
        return
    sql, positional, order, changed = _plan(table, tuple(rows[0]), connection.dialect)
    take = operator.itemgetter(*order)
    params: list[Any] = []
    seen: dict[tuple[int, Any], Any] = {}  # datetimes and booleans converted in this call (mostly the batch's
    # one `now`; True / False)
    for row in rows:
        values = list(take(row)) if len(order) > 1 else [take(row)]
        for i, process, remember in changed:
            value = values[i]
            if remember:
                key = (i, value)
                if key not in seen:
                    seen[key] = process(value)
                values[i] = seen[key]
            else:
                values[i] = process(value)
        params.append(tuple(values) if positional else dict(zip(order, values, strict=True)))
    connection.exec_driver_sql(sql, params)


_Plan = tuple[str, bool, list[str], list[tuple[int, Any, bool]]]
_plans: dict[tuple[sa.Table, tuple[str, ...], type, str], _Plan] = {}


def _plan(table: sa.Table, keys: tuple[str, ...], dialect: sa.Dialect) -> _Plan:
    """The INSERT's SQL, whether its parameters are positional, their order, and the columns whose
    values need a bind processor (index, processor, whether to remember converted values: a datetime
    column holds mostly one value a batch, a boolean two)."""
    cache_key = (table, keys, type(dialect), dialect.paramstyle)
    plan = _plans.get(cache_key)
    if plan is None:
        compiled = sa.insert(table).values({k: sa.bindparam(k) for k in keys}).compile(dialect=dialect)
        order = list(compiled.positiontup or ()) if compiled.positional else list(keys)
        changed = [(i, p, isinstance(table.c[k].type, sa.DateTime | UTCDateTime | sa.Boolean))
                   for i, k in enumerate(order) if (p := _processor(table.c[k].type, dialect)) is not None]
        plan = _plans[cache_key] = (str(compiled), bool(compiled.positional), order, changed)
    return plan


def _processor(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> Any:
    """The column's bind processor (None: values pass as they are; None converted once)."""
    if isinstance(type_, sa.JSON):
        return _json_text
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    if not isinstance(type_, sa.DateTime | UTCDateTime):
        null = process(None)  # (JSON stores None as 'null': still one call per column, not per row)
        return lambda value: null if value is None else process(value)
    return process


def _json_text(value: Any) -> str:
    """A JSON column's text, as SQLAlchemy's JSON type would store it ('null' for None), written by
    orjson: ~5× faster than `json.dumps`, and a batch has three JSON values per lead."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def insert_leads(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """New leads, ids included, in one executemany (every row has every column)."""
    bulk_insert(session, _LEADS, rows)


def insert_audit(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(session, _AUDIT, rows)


def insert_activities(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(session, _ACTIVITIES, rows)


def insert_notifications(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(session, _NOTIFICATIONS, rows)


def insert_idempotency_records(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """The first answers of API requests that carried an Idempotency-Key or an external_id, in one
    statement. `ON CONFLICT DO NOTHING`: a record some other transaction (a concurrent retry in
    another process) wrote first stands, and both answers name the same lead anyway — a unique
    violation here would roll back a whole group of captures for a record nobody needs twice."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement = _idempotency_inserts.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == 'postgresql' else sqlite.insert
        statement = _idempotency_inserts[dialect] = insert(_IDEMPOTENCY).on_conflict_do_nothing(
            index_elements=['api_key_id', 'key'])
    session.execute(statement, list(rows))


_idempotency_inserts: dict[str, Any] = {}
