"""A migration runs in one transaction, DDL included (on SQLite too): one that fails halfway leaves
the schema and the rows exactly as they were, and batch mode (a table rebuilt) still works."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from store.migrate import MIGRATIONS, alembic_config, head, is_current, upgrade
from tests import factories

REVISION = '''"""throwaway revision (tests/unit/test_migration_transactions.py)"""
from alembic import op
import sqlalchemy as sa

revision = '0999'
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scratch', sa.Column('id', sa.Integer(), primary_key=True))
    op.create_index('ix_scratch_id', 'scratch', ['id'])
    with op.batch_alter_table('leads') as batch_op:  # a table rebuilt: copy, DROP, rename
        batch_op.add_column(sa.Column('scratch_note', sa.String(), nullable=True))
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('capacity')
    op.execute("UPDATE leads SET scratch_note = 'half' ")
    op.execute("UPDATE users SET name = 'changed'")
    {end}


def downgrade() -> None:
    pass
'''


def _scripts(tmp_path: Path, *, fail: bool) -> Path:
    """The app's migrations plus one more revision on top, in a folder of its own."""
    folder = tmp_path / 'migrations'
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns('__pycache__'))
    end = "raise RuntimeError('stopped halfway')" if fail else 'pass'
    (folder / 'versions' / '0999_throwaway.py').write_text(REVISION.format(down=head(), end=end))
    return folder


def _state(engine: Engine) -> tuple[list[tuple[object, ...]], ...]:
    with engine.connect() as c:
        return (c.exec_driver_sql('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
                c.exec_driver_sql('SELECT version_num FROM alembic_version').all(),
                c.exec_driver_sql('SELECT * FROM leads ORDER BY id').all(),
                c.exec_driver_sql('SELECT * FROM users ORDER BY id').all())


def _desk_with_rows(tmp_path: Path) -> Engine:
    desk = factories.make_desk(tmp_path / 'desk.db')
    rep = factories.user(desk)
    desk.leads.capture_lead(factories.lead_data(owner_id=rep.id), channel='manual', default_source='manual')
    desk.ctx.engine.dispose()
    return desk.ctx.engine


@pytest.mark.parametrize('runner', ['app', 'alembic command line'])
def test_a_migration_failing_halfway_leaves_the_schema_as_it_was(tmp_path: Path, runner: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _desk_with_rows(tmp_path)
    before = _state(engine)
    scripts = _scripts(tmp_path, fail=True)
    with pytest.raises(RuntimeError, match='stopped halfway'):
        if runner == 'app':
            upgrade(engine, scripts)
        else:
            monkeypatch.setenv('LEADDESK_DATABASE_URL', str(engine.url))
            command.upgrade(alembic_config(scripts), 'head')
    engine.dispose()
    assert _state(engine) == before
    assert is_current(engine)  # still at the app's head, and no _alembic_tmp_ table left over
    with engine.connect() as c:
        assert c.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1
        assert c.exec_driver_sql('PRAGMA integrity_check').scalar() == 'ok'


def test_a_batch_migration_still_applies(tmp_path: Path) -> None:
    engine = _desk_with_rows(tmp_path)
    users_before = len(_state(engine)[3])
    scripts = _scripts(tmp_path, fail=False)
    upgrade(engine, scripts)
    assert is_current(engine, scripts)
    with engine.connect() as c:
        assert c.exec_driver_sql('SELECT DISTINCT scratch_note FROM leads').all() == [('half',)]
        assert 'capacity' not in {r[1] for r in c.exec_driver_sql("PRAGMA table_info('users')")}
        assert c.exec_driver_sql('SELECT count(*) FROM users').scalar() == users_before
        assert c.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'scratch'").scalar() == 'scratch'
        assert c.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1
    assert not is_current(engine)  # (ahead of the app's head: the throwaway revision is not the app's)


def test_a_database_at_head_costs_one_read(tmp_path: Path) -> None:
    """Start-up on a database already at head (every restart, every test's copied template) only
    reads its version: no DDL, no write, no foreign-key scan."""
    engine = _desk_with_rows(tmp_path)
    before = _state(engine)
    statements: list[str] = []
    sa.event.listen(engine, 'before_cursor_execute', lambda _c, _cur, statement, *_a: statements.append(statement))
    upgrade(engine)
    assert _state(engine) == before
    assert statements and all(s.lstrip().upper().startswith(('SELECT', 'PRAGMA')) for s in statements), statements
    assert not any('foreign_key_check' in s for s in statements)
