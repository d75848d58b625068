"""Migration 0030 up and down on an empty PostgreSQL database (tests/unit/test_migration_0030.py's check)."""

from __future__ import annotations

from store.engine import make_engine
from tests.pg.server import Server, database_url, server_url
from tests.unit.test_migration_0030 import check_0030


def test_0030_adds_the_columns_keeps_the_rows_and_goes_back_down_on_postgres() -> None:
    server = Server(server_url())
    try:
        engine = make_engine(database_url(server.name))
        check_0030(engine)
        engine.dispose()
    finally:
        server.close()
