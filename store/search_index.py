"""`search_docs`: one searchable text per lead, opportunity and customer, kept in the transaction
that changes what it is made of (core/projections.py `apply`), and its index: SQLite's FTS5
`search_fts` (trigram tokenizer, external content = `search_docs`, rowid = the doc's id), written
here explicitly next to each doc row (no trigger); PostgreSQL's GIN `gin_trgm_ops` on `body`. Two
CJK characters have no trigram: `pairs` lists the document's CJK character pairs, indexed by SQLite's
FTS5 `search_pairs` (external content too) and PostgreSQL's GIN on `string_to_array(pairs, ' ')`
(migration 0048).

What a document holds (lower-cased, one value per line, so no trigram spans two values):
- a lead: name, company, email, the phone's digits (`+8613006219832` → `8613006219832`, so any
  spelling's digits and the last four are substrings) and its searchable custom values (an active
  field of type text, long text, phone — digits too —, email or URL; a retired field's are not);
- an opportunity: its name, its account's name, its contact's name, email and phone digits;
- a customer (an account that bought): its name and its contacts' names, emails and phone digits.
A deleted or merged-away record, or an account that is not a customer, has no document.

Writes outside the unit of work (migrations, bench raw inserts) call `rebuild`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

from .capture_writes import insert_rows
from .custom_indexes import is_custom_index
from .models import (
    SEARCH_KIND_BASE,
    Account,
    Contact,
    CustomEntity,
    CustomField,
    CustomFieldType,
    Lead,
    Opportunity,
    SearchDoc,
    SearchKind,
)

SEARCHABLE_TYPES = frozenset({CustomFieldType.TEXT, CustomFieldType.LONG_TEXT, CustomFieldType.PHONE,
                              CustomFieldType.EMAIL, CustomFieldType.URL})
UNMODELLED = ('search_fts', 'search_fts_data', 'search_fts_idx', 'search_fts_docsize', 'search_fts_config',
              'ix_search_docs_body_trgm',
              'search_pairs', 'search_pairs_data', 'search_pairs_idx', 'search_pairs_docsize', 'search_pairs_config',
              'ix_search_docs_pairs')
"""Made by migrations 0028 and 0048 and absent from the models (FTS5 and its shadow tables on SQLite,
the GIN indexes on PostgreSQL): the schema comparisons leave them out."""


def modelled(name: str | None, _type: str, _parent: Any) -> bool:
    """Alembic's `include_name` for schema comparisons: everything but `UNMODELLED` and the custom
    fields' expression indexes (store/custom_indexes.py: made from the definitions, not the models)."""
    return name not in UNMODELLED and not is_custom_index(name)


NAME_KEY_MAX = 200
CHUNK = 500

_DOCS = SQLModel.metadata.tables[SearchDoc.__tablename__]
_LEADS = SQLModel.metadata.tables[Lead.__tablename__]
_DIGITS = re.compile(r'\D+')
CJK = '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff'
"""The characters written without spaces between words (CJK ideographs): a two-character term of
these is a word (a given name, a surname and one character), so it is indexed as a pair."""
_CJK_RUNS = re.compile(f'[{CJK}]{{2,}}')

Doc = tuple[str, int, str, str]
"""(kind, record_id, body, name_key)."""


def doc_id(kind: str, record_id: int) -> int:
    return SEARCH_KIND_BASE[kind] + record_id


def digits(value: Any) -> str:
    return _DIGITS.sub('', str(value or ''))


def name_key(name: Any) -> str:
    return str(name or '').strip().lower()[:NAME_KEY_MAX]


def pairs(body: str) -> str:
    """Every two-character run of CJK characters in `body` once, space-separated: what a two-character
    CJK term is looked up by (`李娜娜` → `李娜 娜娜`; no pair spans two lines or a non-CJK character)."""
    found: dict[str, None] = {}
    for run in _CJK_RUNS.findall(body):
        found.update((run[i:i + 2], None) for i in range(len(run) - 1))
    return ' '.join(found)


def _body(values: Iterable[Any]) -> str:
    return '\n'.join(v for v in (str(x or '').strip().lower() for x in values) if v)


def lead_doc(lead: Any, fields: Sequence[tuple[str, str]]) -> Doc | None:
    """A lead's document (`lead`: its columns as attributes or a mapping), None if not searchable."""
    get: Any = lead.get if isinstance(lead, Mapping) else lambda k: getattr(lead, k, None)
    if get('is_deleted') or get('merged_into_id'):
        return None
    custom = get('custom') or {}
    values: list[Any] = [get('name'), get('company'), get('email'), digits(get('phone_norm'))]
    for key, type_ in fields:
        value = custom.get(key)
        if value is not None and not isinstance(value, (dict, list, bool)):
            values.append(value)
            if type_ == CustomFieldType.PHONE:
                values.append(digits(value))
    return SearchKind.LEAD, int(get('id')), _body(values), name_key(get('name'))


def searchable_fields(connection: sa.Connection) -> list[tuple[str, str]]:
    """(key, type) of the active lead custom fields whose values are searched."""
    return [(k, ty) for k, ty in connection.execute(_SEARCHABLE_FIELDS).all()]


_CUSTOM_FIELDS = SQLModel.metadata.tables[CustomField.__tablename__]
_SEARCHABLE_FIELDS = sa.select(_CUSTOM_FIELDS.c.key, _CUSTOM_FIELDS.c.type).where(
    _CUSTOM_FIELDS.c.entity == CustomEntity.LEAD, _CUSTOM_FIELDS.c.is_retired == sa.false(),
    _CUSTOM_FIELDS.c.type.in_(SEARCHABLE_TYPES)).order_by(_CUSTOM_FIELDS.c.key)
"""Built once: every transaction that writes a lead asks it (building the statement, its `IN`
list above all, cost ~1 ms a capture; its execution ~0.1 ms)."""


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(set(ids))
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


# ----- reading what a record's document is now --------------------------------------------------------

_LEAD_COLUMNS = ('id', 'name', 'company', 'email', 'phone_norm', 'custom', 'is_deleted', 'merged_into_id')


def lead_docs(connection: sa.Connection, ids: Iterable[int],
              fields: Sequence[tuple[str, str]] | None = None) -> dict[int, Doc | None]:
    fields = searchable_fields(connection) if fields is None else fields
    found: dict[int, Doc | None] = {}
    for chunk in _chunks(ids):
        found.update((i, None) for i in chunk)
        rows = connection.execute(sa.select(*(_LEADS.c[c] for c in _LEAD_COLUMNS)).where(_LEADS.c.id.in_(chunk)))
        for row in rows.mappings():
            found[row['id']] = lead_doc(row, fields)
    return {doc_id(SearchKind.LEAD, i): d for i, d in found.items()}


def _contacts_by(connection: sa.Connection, column: str, ids: Sequence[int]) -> dict[int, list[Any]]:
    c = SQLModel.metadata.tables[Contact.__tablename__]
    found: dict[int, list[Any]] = {}
    for row in connection.execute(sa.select(c.c[column], c.c.name, c.c.email, c.c.phone_norm)
                                  .where(c.c[column].in_(ids)).order_by(c.c.id)):
        found.setdefault(row[0], []).extend((row[1], row[2], digits(row[3])))
    return found


def opportunity_docs(connection: sa.Connection, ids: Iterable[int]) -> dict[int, Doc | None]:
    o = SQLModel.metadata.tables[Opportunity.__tablename__]
    a = SQLModel.metadata.tables[Account.__tablename__]
    found: dict[int, Doc | None] = {}
    for chunk in _chunks(ids):
        found.update((i, None) for i in chunk)
        rows = connection.execute(sa.select(o.c.id, o.c.name, o.c.is_deleted, o.c.contact_id, a.c.name)
                                  .select_from(o.join(a, a.c.id == o.c.account_id)).where(o.c.id.in_(chunk))).all()
        contacts = _contacts_by(connection, 'id', [r[3] for r in rows if r[3]])
        for deal_id, name, deleted, contact_id, account in rows:
            if not deleted:
                body = _body([name, account, *contacts.get(contact_id, [])])
                found[deal_id] = (SearchKind.OPPORTUNITY, deal_id, body, name_key(name))
    return {doc_id(SearchKind.OPPORTUNITY, i): d for i, d in found.items()}


def customer_docs(connection: sa.Connection, ids: Iterable[int]) -> dict[int, Doc | None]:
    a = SQLModel.metadata.tables[Account.__tablename__]
    found: dict[int, Doc | None] = {}
    for chunk in _chunks(ids):
        found.update((i, None) for i in chunk)
        rows = connection.execute(sa.select(a.c.id, a.c.name).where(
            a.c.id.in_(chunk), a.c.is_customer == sa.true(), a.c.is_deleted == sa.false())).all()
        contacts = _contacts_by(connection, 'account_id', [r[0] for r in rows])
        for account_id, name in rows:
            body = _body([name, *contacts.get(account_id, [])])
            found[account_id] = (SearchKind.CUSTOMER, account_id, body, name_key(name))
    return {doc_id(SearchKind.CUSTOMER, i): d for i, d in found.items()}


def deals_of_accounts(connection: sa.Connection, account_ids: Iterable[int]) -> set[int]:
    o = SQLModel.metadata.tables[Opportunity.__tablename__]
    found: set[int] = set()
    for chunk in _chunks(account_ids):
        found.update(connection.execute(sa.select(o.c.id).where(o.c.account_id.in_(chunk))).scalars())
    return found


def leads_holding(connection: sa.Connection, keys: Iterable[str]) -> set[int]:
    """Leads with a value under any of these custom keys (a field retired or restored)."""
    found: set[int] = set()
    for key in sorted(keys):
        if connection.dialect.name == 'postgresql':
            test = sa.cast(_LEADS.c.custom, JSONB).has_key(key)
        else:
            test = sa.func.json_extract(_LEADS.c.custom, sa.bindparam(None, f'$."{key}"', sa.String)).isnot(None)
        found.update(connection.execute(sa.select(_LEADS.c.id).where(test)).scalars())
    return found


# ----- writing --------------------------------------------------------------------------------------

def write(connection: sa.Connection, docs: Mapping[int, Doc | None], *, fresh: bool = False) -> None:
    """Make the stored documents (and SQLite's FTS rows) these: None removes one. Unchanged ones are
    not rewritten. `fresh`: none of these ids has a document yet (rows a bulk write just inserted)."""
    sqlite = connection.dialect.name == 'sqlite'
    old: dict[int, tuple[str, str]] = {}
    old_pairs: dict[int, str] = {}
    if not fresh:
        for chunk in _chunks(docs):
            for r in connection.execute(sa.select(_DOCS.c.id, _DOCS.c.body, _DOCS.c.name_key, _DOCS.c.pairs)
                                        .where(_DOCS.c.id.in_(chunk))):
                old[r[0]], old_pairs[r[0]] = (r[1], r[2]), r[3]
    changed = {i: d for i, d in docs.items() if (d[2:] if d else None) != old.get(i)}
    gone = [i for i in changed if i in old]
    if gone:
        if sqlite:
            connection.execute(sa.text("INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', :id, :body)"),
                               [{'id': i, 'body': old[i][0]} for i in gone])
            if unpaired := [{'id': i, 'pairs': old_pairs[i]} for i in gone if old_pairs[i]]:  # (none indexed)
                connection.execute(sa.text("INSERT INTO search_pairs(search_pairs, rowid, pairs) "
                                           "VALUES ('delete', :id, :pairs)"), unpaired)
        for chunk in _chunks(gone):
            connection.execute(sa.delete(_DOCS).where(_DOCS.c.id.in_(chunk)))
    rows = _rows(changed)
    if rows:  # (driver executemany: a batch takes 0.72x the time SQLAlchemy's per-row handling took)
        insert_rows(connection, _DOCS, rows)
        if sqlite:
            connection.exec_driver_sql('INSERT INTO search_fts(rowid, body) VALUES (?, ?)',
                                       [(r['id'], r['body']) for r in rows])
            if paired := [(r['id'], r['pairs']) for r in rows if r['pairs']]:  # (detail=none, columnsize=0:
                # an empty one would index nothing)
                connection.exec_driver_sql('INSERT INTO search_pairs(rowid, pairs) VALUES (?, ?)', paired)


def rebuild(connection: sa.Connection) -> None:
    """Every document from the records (after writes that bypassed the unit of work)."""
    connection.execute(sa.delete(_DOCS))
    fields = searchable_fields(connection)
    last = 0
    while ids := list(connection.execute(sa.select(_LEADS.c.id).where(_LEADS.c.id > last)
                                         .order_by(_LEADS.c.id).limit(20_000)).scalars()):
        _insert(connection, lead_docs(connection, ids, fields))
        last = ids[-1]
    o = SQLModel.metadata.tables[Opportunity.__tablename__]
    a = SQLModel.metadata.tables[Account.__tablename__]
    _insert(connection, opportunity_docs(connection, connection.execute(sa.select(o.c.id)).scalars()))
    _insert(connection, customer_docs(connection, connection.execute(sa.select(a.c.id)).scalars()))
    if connection.dialect.name == 'sqlite':
        connection.execute(sa.text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
        connection.execute(sa.text("INSERT INTO search_pairs(search_pairs) VALUES ('rebuild')"))


def _rows(docs: Mapping[int, Doc | None]) -> list[dict[str, Any]]:
    return [{'id': i, 'kind': d[0], 'record_id': d[1], 'body': d[2], 'name_key': d[3], 'pairs': pairs(d[2])}
            for i, d in docs.items() if d is not None]


def _insert(connection: sa.Connection, docs: Mapping[int, Doc | None]) -> None:
    insert_rows(connection, _DOCS, _rows(docs))
