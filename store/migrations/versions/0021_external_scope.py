"""external ids scoped to their sender: `leads.external_id` was unique across the whole table, so
one API key's id could replay, reveal (a 422 `taken`) or be filled onto another key's lead. Now the
unique column is `external_key` = scope + U+001F + id (core/capture/intake.py `external_key`): the scope is
the API key that sent it (`key:<id>`), or `import` for the desk's own channels.

Cheap at 1M leads: 0001 made the old constraint a table-level UNIQUE, which SQLite cannot drop
without rebuilding `leads` (its autoindex cannot be dropped). So the column is renamed, not rebuilt
— the unique index goes with it and keeps working, now on the scoped key — a plain `external_id`
column is added (schema-only on both engines), and only leads that have an external id are
rewritten, in id order, a chunk per statement.

Which scope an existing id gets: the API key whose idempotency record (`external:<id>`) names the
lead — the key that created it first, else the first that joined it with that id. No record: the
`import` scope (imports and manual entries, and the rare API lead whose record is missing: it is no
longer replayed by id, and its next arrival still dedupes by phone, email or company).

Re-runnable: SQLite commits DDL at once, so an upgrade stopped halfway runs again (the rename only if
not done; rows already rewritten have `external_id` set and are skipped).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 07:30:00
"""
from __future__ import annotations

import hashlib

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

CHUNK = 5000
KEY_MAX = 200


def _key(scope: str, external_id: str) -> str:
    """core/capture/intake.py `external_key` as of this revision (a migration does not follow later code)."""
    key = f'{scope}\x1f{external_id}'
    if len(key) <= KEY_MAX:
        return key
    return f'{scope}\x1f#{hashlib.sha256(external_id.encode()).hexdigest()}'


def upgrade() -> None:
    connection = op.get_bind()
    columns = {c['name'] for c in sa.inspect(connection).get_columns('leads')}
    if 'external_key' not in columns:
        op.execute('ALTER TABLE leads RENAME COLUMN external_id TO external_key')
        if connection.dialect.name == 'postgresql':
            op.execute('ALTER TABLE leads RENAME CONSTRAINT leads_external_id_key TO leads_external_key_key')
        op.add_column('leads', sa.Column('external_id', sa.String(length=200), nullable=True))
    pending = sa.text('SELECT id, external_key FROM leads WHERE id > :after AND external_key IS NOT NULL '
                      'AND external_id IS NULL ORDER BY id LIMIT :n')
    # The key that sent it: the record that created the lead first, else the first that joined it.
    owners = sa.text("SELECT r.lead_id, r.api_key_id FROM idempotency_records r JOIN leads l ON l.id = r.lead_id "
                     "WHERE r.lead_id >= :low AND r.lead_id <= :high "
                     "AND r.key = substr('external:' || l.external_key, 1, 200) "
                     'ORDER BY r.lead_id, r.created DESC, r.id')
    rewrite = sa.text('UPDATE leads SET external_id = :ext, external_key = :key WHERE id = :id')
    # Only for this pass (captures need no such index): each chunk's records by lead id, not a scan of all.
    op.create_index('ix_0021_records_lead', 'idempotency_records', ['lead_id'], if_not_exists=True)
    after = 0
    while True:
        rows = connection.execute(pending, {'after': after, 'n': CHUNK}).all()
        if not rows:
            break
        senders: dict[int, int] = {}
        for lead_id, api_key_id in connection.execute(owners, {'low': rows[0][0], 'high': rows[-1][0]}):
            senders.setdefault(lead_id, api_key_id)
        connection.execute(rewrite, [
            {'id': lead_id, 'ext': ext,
             'key': _key(f'key:{senders[lead_id]}' if lead_id in senders else 'import', ext)}
            for lead_id, ext in rows])
        after = rows[-1][0]
    op.drop_index('ix_0021_records_lead', table_name='idempotency_records', if_exists=True)


def downgrade() -> None:
    """Back to one global id per lead: where several scopes hold one id, the oldest lead keeps it."""
    op.execute('UPDATE leads SET external_key = NULL')
    op.execute('UPDATE leads SET external_key = external_id WHERE external_id IS NOT NULL AND id IN '
               '(SELECT min(id) FROM leads WHERE external_id IS NOT NULL GROUP BY external_id)')
    op.drop_column('leads', 'external_id')
    op.execute('ALTER TABLE leads RENAME COLUMN external_key TO external_id')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE leads RENAME CONSTRAINT leads_external_key_key TO leads_external_id_key')
