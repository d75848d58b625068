"""Copying a whole database to another engine (SQLite → PostgreSQL), table by table.

The target is migrated to head first and must hold no team yet (no users, no leads): the rows
the migrations and a first start seed (stages, rules, settings) are replaced by the source's.
Everything is one transaction on the target, so a failure leaves it as it was. Rows go in
foreign-key order in chunks; a column that points into its own table (`leads.merged_into_id`)
is filled in a second pass, since a survivor may have a higher id than the lead merged into
it. PostgreSQL's id sequences are then moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from . import models  # noqa: F401  (every table on the metadata)
from .custom_indexes import ensure_custom_indexes
from .migrate import upgrade

CHUNK = 1000


class TargetNotEmpty(Exception):
    """The target already holds a team; copying over it would mix two databases."""


@dataclass
class TableCheck:
    name: str
    source_rows: int
    target_rows: int
    spot_checked: int = 0
    """Rows compared column by column (first, middle, last by primary key)."""
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and not self.mismatches


def tables() -> list[sa.Table]:
    return list(SQLModel.metadata.sorted_tables)


def _self_refs(table: sa.Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _count(connection: Connection, table: sa.Table) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def target_is_empty(connection: Connection) -> bool:
    users, leads = SQLModel.metadata.tables['users'], SQLModel.metadata.tables['leads']
    return _count(connection, users) == 0 and _count(connection, leads) == 0


def copy_all(source: Engine, target: Engine, progress: Callable[[str, int], None] | None = None) -> None:
    """Migrate `target` to head and copy every row of `source` into it, in one transaction."""
    upgrade(target)
    with source.connect() as src, target.begin() as dst:
        if not target_is_empty(dst):
            raise TargetNotEmpty()
        for table in reversed(tables()):  # seeded defaults go; the source's rows replace them
            dst.execute(table.delete())
        for table in tables():
            refs = _self_refs(table)
            pk = list(table.primary_key.columns)
            later: list[dict[str, Any]] = []
            done = 0
            result = src.execution_options(stream_results=True).execute(sa.select(table).order_by(*pk))
            for chunk in result.mappings().partitions(CHUNK):
                rows = [dict(row) for row in chunk]
                for row in rows:
                    if any(row.get(ref) is not None for ref in refs):
                        later.append({**{c.name: row[c.name] for c in pk}, **{ref: row[ref] for ref in refs}})
                        row.update(dict.fromkeys(refs))
                dst.execute(table.insert(), rows)
                done += len(rows)
                if progress:
                    progress(table.name, done)
            for row in later:
                dst.execute(table.update().where(*(c == row[c.name] for c in pk))
                            .values({ref: row[ref] for ref in refs}))
        if target.dialect.name == 'postgresql':
            _advance_sequences(dst)
        ensure_custom_indexes(dst)  # the filterable fields' expression indexes, in the target's dialect


def _advance_sequences(connection: Connection) -> None:
    for table in tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        sequence = connection.execute(sa.text('SELECT pg_get_serial_sequence(:t, :c)'),
                                      {'t': table.name, 'c': pk[0].name}).scalar()
        if sequence:
            top = connection.execute(sa.select(sa.func.max(pk[0]))).scalar()
            connection.execute(sa.text('SELECT setval(CAST(:s AS regclass), :v, :called)'),
                               {'s': sequence, 'v': top or 1, 'called': top is not None})


def compare(source: Engine, target: Engine) -> list[TableCheck]:
    """Row counts of every table, and its first, middle and last rows compared column by column."""
    checks = []
    with source.connect() as src, target.connect() as dst:
        for table in tables():
            check = TableCheck(table.name, _count(src, table), _count(dst, table))
            pk = list(table.primary_key.columns)
            if check.source_rows:
                for offset in sorted({0, check.source_rows // 2, check.source_rows - 1}):
                    query = sa.select(table).order_by(*pk).offset(offset).limit(1)
                    want = src.execute(query).mappings().first()
                    key = [want[c.name] for c in pk] if want else []
                    got = dst.execute(sa.select(table).where(*(c == k for c, k in zip(pk, key, strict=True))))\
                        .mappings().first()
                    check.spot_checked += 1
                    if want is None or got is None or dict(want) != dict(got):
                        check.mismatches.append(f'{table.name} {key}')
            checks.append(check)
    return checks
