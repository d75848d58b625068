"""search: `search_docs`, one searchable text per lead, opportunity and customer (store/search_index.py
keeps them in the unit of work), indexed for substring search — SQLite: an FTS5 table with the
trigram tokenizer over `body` as external content (rowid = the doc's id); PostgreSQL: pg_trgm's GIN
index on `body`. `name_key` (the lower-cased name) serves one- and two-character queries by prefix.
Existing records get their documents here.

The documents' build is a frozen copy of `store.search_index.rebuild` as it stood at this revision
(plain tables, no models): a migration keeps doing what it did when the app's code moves on.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 21:00:00
"""
import json
import re
from collections.abc import Iterable
from typing import Any

from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

LEAD, OPPORTUNITY, CUSTOMER = 'lead', 'opportunity', 'customer'
BASE = {LEAD: 0, OPPORTUNITY: 1 << 40, CUSTOMER: 2 << 40}
SEARCHABLE_TYPES = ('text', 'long_text', 'phone', 'email', 'url')
_DIGITS = re.compile(r'\D+')


def upgrade() -> None:
    connection = op.get_bind()
    pg = connection.dialect.name == 'postgresql'
    op.create_table(
        'search_docs',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    if not pg:
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize='trigram', "
                   "content='search_docs', content_rowid='id')")
    _build(connection)
    op.create_index('ix_search_docs_name_key', 'search_docs', ['name_key', 'kind'],
                    postgresql_ops={'name_key': 'varchar_pattern_ops'})
    if pg:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_search_docs_body_trgm ON search_docs USING gin (body gin_trgm_ops)')
    else:
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        op.execute('DROP TABLE IF EXISTS search_fts')
    op.drop_index('ix_search_docs_name_key', table_name='search_docs')
    op.drop_table('search_docs')  # (PostgreSQL drops the GIN index with it; pg_trgm stays installed)


# ----- the documents' build at this revision (frozen) -----------------------------------------------------

def _digits(value: Any) -> str:
    return _DIGITS.sub('', str(value or ''))


def _body(values: Iterable[Any]) -> str:
    return '\n'.join(v for v in (str(x or '').strip().lower() for x in values) if v)


def _row(kind: str, record_id: int, body: str, name: Any) -> dict[str, Any]:
    return {'id': BASE[kind] + record_id, 'kind': kind, 'record_id': record_id, 'body': body,
            'name_key': str(name or '').strip().lower()[:200]}


def _insert(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(sa.text('INSERT INTO search_docs (id, kind, record_id, body, name_key) '
                                   'VALUES (:id, :kind, :record_id, :body, :name_key)'), rows)


def _contacts(connection: sa.Connection, column: str) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for key, name, email, phone in connection.execute(sa.text(
            f'SELECT {column}, name, email, phone_norm FROM contacts WHERE {column} IS NOT NULL ORDER BY id')):
        found.setdefault(key, []).extend((name, email, _digits(phone)))
    return found


def _build(connection: sa.Connection) -> None:
    fields = [tuple(r) for r in connection.execute(sa.text(
        "SELECT key, type FROM custom_fields WHERE entity = 'lead' AND is_retired = :no ORDER BY key"),
        {'no': False}) if r[1] in SEARCHABLE_TYPES]
    last = 0
    while True:
        rows = connection.execute(sa.text(
            'SELECT id, name, company, email, phone_norm, custom FROM leads WHERE id > :last '
            'AND is_deleted = :no AND merged_into_id IS NULL ORDER BY id LIMIT 20000'),
            {'last': last, 'no': False}).all()
        if not rows:
            break
        docs = []
        for lead_id, name, company, email, phone, stored in rows:
            custom = json.loads(stored) if isinstance(stored, str) else (stored or {})
            values: list[Any] = [name, company, email, _digits(phone)]
            for key, type_ in fields:
                value = custom.get(key)
                if value is not None and not isinstance(value, (dict, list, bool)):
                    values.append(value)
                    if type_ == 'phone':
                        values.append(_digits(value))
            docs.append(_row(LEAD, lead_id, _body(values), name))
        _insert(connection, docs)
        last = rows[-1][0]
    by_id = _contacts(connection, 'id')
    _insert(connection, [_row(OPPORTUNITY, deal_id, _body([name, account, *by_id.get(contact_id, [])]), name)
                         for deal_id, name, account, contact_id in connection.execute(sa.text(
                             'SELECT o.id, o.name, a.name, o.contact_id FROM opportunities o '
                             'JOIN accounts a ON a.id = o.account_id WHERE o.is_deleted = :no ORDER BY o.id'),
                             {'no': False})])
    by_account = _contacts(connection, 'account_id')
    _insert(connection, [_row(CUSTOMER, account_id, _body([name, *by_account.get(account_id, [])]), name)
                         for account_id, name in connection.execute(sa.text(
                             'SELECT id, name FROM accounts WHERE is_customer = :yes AND is_deleted = :no '
                             'ORDER BY id'), {'yes': True, 'no': False})])
