"""The unit/core suite again, on a real PostgreSQL server.

Every module listed in `MIRRORED` has a twin here (`tests/pg/test_<name>.py`) that star-imports
the unit module's tests, so pytest collects them a second time under this folder, where the
`desk` fixture below wins over tests/unit's: the same assertions run against PostgreSQL.

The server comes from `LEADDESK_TEST_PG_URL` (default: the local trust-auth server). A run
creates one fresh database, migrates it once, and before each test puts it back to what a new
desk's database holds (`Baseline`); the database is dropped at the end. An unreachable server is an error, never a
skip: `./test.sh` starts one first (scripts/ensure-postgres.sh).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from core.clock import FakeClock
from core.desk import Desk
from tests.factories import make_desk
from tests.pg.server import Server, database_url, server_url

# tests/unit modules whose tests run again here (each has a tests/pg/test_<name>.py twin).
MIRRORED = (
    'access', 'automation', 'automation_preview', 'bulk', 'bulk_customers', 'bulk_deals', 'capture', 'capture_queue',
    'care',
    'checklist_rollup',
    'conversion', 'counters', 'custom_fields', 'custom_fields_io', 'custom_sort', 'custom_filters', 'custom_objects',
    'collaborators', 'customers', 'department_rules', 'departments', 'departure', 'digest_schedule', 'digests',
    'email',
    'events',
    'exposure', 'goal_leaderboard', 'goals', 'import',
    'inbox_order', 'leads', 'list_sorts', 'merge',
    'notify_prefs', 'passwords', 'pipeline', 'playbooks', 'policy', 'pool', 'pools', 'projections', 'races',
    'recycle_rules', 'report_custom', 'report_rollup', 'reports', 'rule_custom', 'rules', 'saved_views',
    'scoped_reads', 'scoring_rules', 'search',
    'sessions',
    'shifts_and_rule_conditions',
    'steering', 'team',
    'tags', 'tags_io', 'webforms', 'webhooks', 'workload',
)
# …and why the others do not: they never touch a database, or test SQLite itself.
NOT_MIRRORED = {
    'api_fuzz': 'drives a live server on its own SQLite file (HTTP surface, not the engine)',
    'architecture': 'reads source files only',
    'assignment': 'pure functions, no database',
    'backup': 'SQLite online backup/restore and its lock file; PostgreSQL backs up with pg_dump',
    'banner': "run.sh's start-up lines: pure text, no database",
    'cli': 'run.py subprocesses on a SQLite file in a temp folder',
    'crash': 'SIGKILL of a server on a SQLite file; tests/browser/test_multiprocess.py kills PostgreSQL processes',
    'demo': 'builds its own SQLite desks (module-scoped seed); the seed runs on PostgreSQL in test_pg_engine.py',
    'export': 'file output; the export reads run on PostgreSQL through test_reports',
    'format': 'display formatting (phones, money): pure functions, no database',
    'gc_tuning': "the process's garbage-collector thresholds: no database",
    'wal': "SQLite's write-ahead-log checkpoint thread (a no-op on PostgreSQL, tested there too)",
    'i18n': 'catalogues only',
    'import_cli': 'run.py subprocesses on a SQLite file',
    'migrations': 'SQLite paths and pragmas; tests/pg/test_pg_engine.py compares models and migrations on PG',
    'migration_transactions': "SQLite's DDL made transactional for migrations; PostgreSQL's DDL is transactional",
    'migration_0030': 'a SQLite file; its check runs on an empty PostgreSQL database in test_migration_0030_pg.py',
    'normalize': 'pure functions, no database',
    'normalize_properties': 'pure functions, no database',
    'permissions_matrix': 'copies a SQLite template file per case; permission checks are engine-independent',
    'rebalance': 'pure planners, no database',
    'scoring': 'pure functions, no database',
    'workhours': 'pure calendar arithmetic, no database',
    'goal_pacing': 'pure calendar arithmetic (the pace of a month), no database',
    'crash_import': 'SIGKILLs run.py processes on their own SQLite files (like crash)',
    'webhooks_restart': 'SIGKILLs run.py on its own SQLite file (like crash); the outbox runs on PG in test_webhooks',
    'import_limits': 'reads hostile files and runs run.py on SQLite files; the import itself runs on PG in test_import',
    'proxies': 'pure address arithmetic and an ASGI layer, no database',
    'fields': 'the field declaration and what derives from it: no database',
    'report_figures': 'hypothesis examples on SQLite files; the figures\' SQL runs on PG in report_rollup and reports',
}


class Baseline:
    """What a new desk's database holds (the migrations' and `prepare()`'s rows, the sequences),
    put back before each test: deleting a few dozen rows and re-inserting the defaults takes
    milliseconds, where cloning a database per test took seconds of server I/O on a busy box."""

    def __init__(self, engine: sa.Engine) -> None:
        self.tables = [t for t in SQLModel.metadata.sorted_tables]
        with engine.connect() as c:
            self.rows = {t.name: [dict(r._mapping) for r in c.execute(sa.select(t))] for t in self.tables}
            self.sequences = c.execute(sa.text(
                "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences")).all()

    def restore(self, engine: sa.Engine) -> None:
        with engine.begin() as c:
            for table in reversed(self.tables):
                c.execute(table.delete())
            for table in self.tables:
                if self.rows[table.name]:
                    c.execute(table.insert(), self.rows[table.name])
            for sequence, last in self.sequences:
                c.execute(sa.text('SELECT setval(CAST(:s AS regclass), :v, :called)'),
                          {'s': sequence, 'v': last or 1, 'called': last is not None})


@pytest.fixture(scope='session')
def pg_server() -> Iterator[Server]:
    server = Server(server_url())
    yield server
    server.close()


@pytest.fixture(scope='session')
def pg_baseline(pg_server: Server) -> tuple[str, Baseline]:
    """This run's database migrated to head with the defaults a new desk seeds, and those rows."""
    url = database_url(pg_server.name)
    desk = make_desk(url, FakeClock())
    baseline = Baseline(desk.ctx.engine)
    desk.ctx.engine.dispose()
    return url, baseline


@pytest.fixture
def pg_url(pg_baseline: tuple[str, Baseline]) -> Iterator[str]:
    """The run's database as a new desk finds it (every row of earlier tests gone)."""
    url, baseline = pg_baseline
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    baseline.restore(engine)
    yield url
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(pg_url: str, clock: FakeClock) -> Iterator[Desk]:
    desk = make_desk(pg_url, clock)
    assert desk.ctx.engine.dialect.name == 'postgresql'
    yield desk
    desk.ctx.engine.dispose()


@pytest.hookimpl(tryfirst=True)  # before `-m` selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/pg is marked `pg`, so ./test.sh runs it as its own invocation."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.pg)
