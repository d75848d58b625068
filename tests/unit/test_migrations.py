"""Alembic owns the schema: the migrations build exactly the models, and start-up
upgrades an existing database in place without losing rows."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from store.engine import make_engine, read_session
from store.migrate import is_current, upgrade
from store.models import Lead
from tests import factories


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f'sqlite:///{tmp_path / "m.db"}')
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={'compare_type': True}),
                                SQLModel.metadata)
    assert diff == []


def test_restart_keeps_data_and_schema_current(tmp_path: Path) -> None:
    path = tmp_path / 'keep.db'
    desk = factories.make_desk(path)
    desk.leads.capture_lead(factories.lead_data(name='Kept'), channel='manual', default_source='manual')
    desk.ctx.engine.dispose()
    again = factories.make_desk(path)  # prepare() runs the upgrade again on the existing file
    assert is_current(again.ctx.engine)
    with read_session(again.ctx.engine) as s:
        assert [lead.name for lead in s.exec(select(Lead))] == ['Kept']


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f'sqlite:///{tmp_path / "p.db"}')
    with engine.connect() as c:
        assert c.exec_driver_sql('PRAGMA journal_mode').scalar() == 'wal'
        assert c.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1
        assert c.exec_driver_sql('PRAGMA busy_timeout').scalar() == 30000
