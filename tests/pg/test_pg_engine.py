"""PostgreSQL as an engine: the migrations build exactly the models there too, start-up upgrades
in place, the demo seed runs, and every tests/unit module either runs again here or says why not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, col, select

from cli.demo import seed
from core.clock import FakeClock
from store import search_index
from store.engine import make_engine, read_session
from store.migrate import is_current, upgrade
from store.models import Lead, Opportunity, User
from tests import factories
from tests.pg.conftest import MIRRORED, NOT_MIRRORED
from tests.pg.server import Server, database_url, server_url


def test_every_unit_module_runs_here_or_says_why_not() -> None:
    unit = {p.stem.removeprefix('test_') for p in (Path(__file__).parents[1] / 'unit').glob('test_*.py')}
    assert unit == set(MIRRORED) | set(NOT_MIRRORED)
    assert not set(MIRRORED) & set(NOT_MIRRORED)
    for name in MIRRORED:
        assert (Path(__file__).parent / f'test_{name}.py').read_text().count(f'tests.unit.test_{name} import *') == 1


def test_migrations_from_empty_match_the_models() -> None:
    """0001 → head on an empty PostgreSQL database, then autogenerate finds no difference."""
    server = Server(server_url())
    try:
        engine = make_engine(database_url(server.name))
        upgrade(engine)
        assert is_current(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={'compare_type': True,
                                                            'include_name': search_index.modelled}),
                                    SQLModel.metadata)
        engine.dispose()
        assert diff == []
    finally:
        server.close()


def test_restart_keeps_data_and_schema_current(pg_url: str) -> None:
    desk = factories.make_desk(pg_url)
    desk.leads.capture_lead(factories.lead_data(name='Kept'), channel='manual', default_source='manual')
    desk.ctx.engine.dispose()
    again = factories.make_desk(pg_url)
    assert is_current(again.ctx.engine)
    with read_session(again.ctx.engine) as s:
        assert [lead.name for lead in s.exec(select(Lead))] == ['Kept']
    again.ctx.engine.dispose()


def test_timestamps_come_back_as_aware_utc(pg_url: str) -> None:
    clock = FakeClock()
    desk = factories.make_desk(pg_url, clock)
    result = desk.leads.capture_lead(factories.lead_data(), channel='manual', default_source='manual')
    with read_session(desk.ctx.engine) as s:
        lead = s.get(Lead, result.lead_id)
        assert lead is not None and lead.created_at == clock.now() and lead.created_at.tzinfo is UTC
        column = s.execute(sa.text("SELECT data_type FROM information_schema.columns "
                                   "WHERE table_name = 'leads' AND column_name = 'created_at'")).scalar()
    assert column == 'timestamp without time zone'  # naive UTC, as on SQLite: one representation
    desk.ctx.engine.dispose()


def test_demo_seed_runs_on_postgres(pg_url: str) -> None:
    desk = factories.make_desk(pg_url, FakeClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    summary = seed(desk, now=desk.ctx.now())
    with read_session(desk.ctx.engine) as s:
        leads = s.exec(select(sa.func.count()).select_from(Lead)).one()
        deals = s.exec(select(sa.func.count()).select_from(Opportunity)).one()
        reps = s.exec(select(User).where(User.role == 'rep')).all()
    assert leads > 100 and deals > 0 and summary
    for rep in reps:  # the kept counter agrees with the table on PostgreSQL too
        with read_session(desk.ctx.engine) as s:
            counted = s.exec(select(sa.func.count()).select_from(Lead).where(
                Lead.owner_id == rep.id, col(Lead.status).in_(('assigned', 'contacted', 'qualified')))).one()
        assert rep.open_leads == counted
    desk.ctx.engine.dispose()
