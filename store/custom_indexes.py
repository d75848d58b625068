"""Expression indexes on custom fields marked filterable (`CustomField.is_filterable`).

A custom value lives in the record's `custom` JSON; a filter or a sort on it reads
`json_extract(custom, '$."key"')` on SQLite and `(custom ->> 'key')` on PostgreSQL (for a number or
money field `CAST(custom ->> 'key' AS NUMERIC)`, so it sorts as a number). The planner only uses an
expression index whose expression is the query's own, text for text: `custom_value` is the one place
both are built, and the key goes in as a SQL literal (not a bound parameter, which neither planner
matches against an index's constant). Keys match `[a-z][a-z0-9_]{0,39}` (checked again here) and are
quoted besides.

`ensure_custom_indexes` makes the database hold exactly the indexes its definitions ask for: core
calls it when a flag changes, `Desk.prepare` at every start and `transfer.copy_all` after a copy, so a
restored backup or a migrated database converges on its own."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import select

from .models import CustomEntity, CustomField, CustomFieldType

KEY = re.compile(r'[a-z][a-z0-9_]{0,39}')
TABLES: dict[str, str] = {CustomEntity.LEAD: 'leads', CustomEntity.OPPORTUNITY: 'opportunities',
                          CustomEntity.CUSTOMER: 'accounts'}
"""Each record type's table (its `custom` column)."""
INDEXABLE = frozenset({CustomFieldType.TEXT, CustomFieldType.NUMBER, CustomFieldType.MONEY, CustomFieldType.DATE,
                       CustomFieldType.SINGLE_SELECT, CustomFieldType.YES_NO, CustomFieldType.PHONE,
                       CustomFieldType.EMAIL, CustomFieldType.URL})
"""Types one expression index serves (a multi select's list is searched with json_each, a long text
is not compared whole): only these may be marked filterable."""
NUMERIC = frozenset({CustomFieldType.NUMBER, CustomFieldType.MONEY})
PREFIX = '_cf_'
"""Index names are `ix_<table>_cf_<key>`: derived from the key, so each is found again by name."""


def index_name(table: str, key: str) -> str:
    return f'ix_{table}{PREFIX}{_checked(key)}'


def is_custom_index(name: str | None) -> bool:
    """Whether an index name is one of these (the schema comparisons leave them out: no model has them)."""
    return bool(name) and any(str(name).startswith(f'ix_{t}{PREFIX}') for t in TABLES.values())


def _checked(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f'not a custom field key: {key!r}')
    return key


def custom_value(column: Any, key: str, dialect: str, *, numeric: bool = False) -> sa.ColumnElement[Any]:
    """The value under `key` in a `custom` column, as filters, sorts and the index all read it."""
    key = _checked(key).replace("'", "''")  # the pattern allows no quote; quoted all the same
    if dialect == 'postgresql':
        text = column.op('->>', return_type=sa.Text())(sa.literal_column(f"'{key}'"))
        return sa.cast(text, sa.Numeric()) if numeric else text
    return sa.func.json_extract(column, sa.literal_column(f"""'$."{key}"'"""))


def wanted(connection: Connection) -> dict[str, dict[str, tuple[str, bool]]]:
    """Per table, the indexes the definitions ask for: name → (key, numeric)."""
    rows = connection.execute(select(CustomField.entity, CustomField.key, CustomField.type).where(
        CustomField.is_filterable == True, CustomField.is_retired == False)).all()  # noqa: E712
    out: dict[str, dict[str, tuple[str, bool]]] = {t: {} for t in TABLES.values()}
    for entity, key, type_ in rows:
        if entity in TABLES and type_ in INDEXABLE and KEY.fullmatch(key):
            out[TABLES[entity]][index_name(TABLES[entity], key)] = (key, type_ in NUMERIC)
    return out


def existing(connection: Connection, table: str) -> set[str]:
    """The custom indexes `table` has now, from the catalogue (SQLAlchemy's reflection skips
    expression indexes on SQLite)."""
    if connection.dialect.name == 'postgresql':
        query = sa.text('SELECT indexname FROM pg_indexes WHERE tablename = :t AND schemaname = current_schema()')
    else:
        query = sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t")
    return {name for (name,) in connection.execute(query, {'t': table}) if is_custom_index(name)}


def ensure_custom_indexes(connection: Connection) -> tuple[list[str], list[str]]:
    """Create the missing indexes and drop those no filterable field asks for any more (cleared,
    retired). Returns (created, dropped) names. Runs in the caller's transaction."""
    dialect = connection.dialect.name
    created: list[str] = []
    dropped: list[str] = []
    for table_name, want in wanted(connection).items():
        # a detached copy of the table: an Index on the models' own table would join their metadata
        table = sa.Table(table_name, sa.MetaData(), sa.Column('id', sa.Integer, primary_key=True),
                         sa.Column('custom', sa.JSON))
        have = existing(connection, table_name)
        for name in sorted(have - set(want)):
            sa.Index(name, table.c.id).drop(connection)
            dropped.append(name)
        for name in sorted(set(want) - have):
            key, numeric = want[name]
            sa.Index(name, custom_value(table.c.custom, key, dialect, numeric=numeric)).create(connection)
            created.append(name)
    return created, dropped
