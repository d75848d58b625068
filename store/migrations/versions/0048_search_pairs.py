"""search pairs: two-character CJK terms (李娜 inside 李娜娜, a surname and one character) found anywhere
in a search document, not only at a name's start. `search_docs.pairs` lists each document's CJK
character pairs (space-separated); SQLite indexes it with an FTS5 table (ascii tokenizer, so a pair is
one token; external content, rowid = the doc's id; `detail=none`: a one-token query needs no
positions), PostgreSQL with a GIN index on `string_to_array(pairs, ' ')`.

Existing documents get their pairs here, in batches of 20,000 (a frozen copy of
`store.search_index.pairs` as it stands at this revision).

Revision ID: 0048
Revises: 0045
Create Date: 2026-12-07 07:10:00
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0048'
down_revision = '0047'
branch_labels = None
depends_on = None

BATCH = 20_000
_CJK_RUNS = re.compile('[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}')


def _pairs(body: str) -> str:
    found: dict[str, None] = {}
    for run in _CJK_RUNS.findall(body or ''):
        found.update((run[i:i + 2], None) for i in range(len(run) - 1))
    return ' '.join(found)


def upgrade() -> None:
    connection = op.get_bind()
    pg = connection.dialect.name == 'postgresql'
    op.add_column('search_docs', sa.Column('pairs', sa.Text(), nullable=False, server_default=''))
    last = -1
    while rows := connection.execute(sa.text('SELECT id, body FROM search_docs WHERE id > :last ORDER BY id '
                                             'LIMIT :n'), {'last': last, 'n': BATCH}).all():
        changed = [{'id': i, 'pairs': p} for i, body in rows if (p := _pairs(body))]
        if changed:
            connection.execute(sa.text('UPDATE search_docs SET pairs = :pairs WHERE id = :id'), changed)
        last = rows[-1][0]
    if pg:
        op.execute("CREATE INDEX ix_search_docs_pairs ON search_docs USING gin (string_to_array(pairs, ' '))")
    else:
        op.execute("CREATE VIRTUAL TABLE search_pairs USING fts5(pairs, tokenize='ascii', content='search_docs', "
                   "content_rowid='id', detail='none', columnsize=0)")
        op.execute("INSERT INTO search_pairs(search_pairs) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_search_docs_pairs')
    else:
        op.execute('DROP TABLE IF EXISTS search_pairs')
    with op.batch_alter_table('search_docs') as batch:
        batch.drop_column('pairs')
