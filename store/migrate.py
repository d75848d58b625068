"""Bring a database to the newest schema: Alembic owns the schema, start-up calls this."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / 'migrations'

_heads: dict[str, str | None] = {}
"""Script folder → its head revision: reading the folder imports every revision file (tens of ms),
and the files do not change while the process runs."""


def alembic_config(script_location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option('script_location', str(script_location))
    return config


def head(script_location: Path = MIGRATIONS) -> str | None:
    key = str(script_location)
    if key not in _heads:
        _heads[key] = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()
    return _heads[key]


@contextmanager
def sqlite_transactional_ddl(connection: Connection) -> Iterator[None]:
    """Let `connection` run DDL inside its transactions (SQLite only).

    pysqlite's legacy transaction mode opens a transaction only before INSERT/UPDATE/DELETE, so
    CREATE/ALTER/DROP run in autocommit and a migration stopped halfway leaves part of its DDL
    behind. SQLAlchemy's recipe: the driver stops managing transactions (isolation_level None) and
    each transaction SQLAlchemy begins on this connection sends BEGIN itself. Only this connection,
    only while the migration runs: the app's own sessions keep the driver's mode. Enter it outside
    a transaction."""
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:  # only once invalidated: a connection in use always holds one
        raise RuntimeError('sqlite_transactional_ddl: the connection is closed or invalidated')
    before = dbapi_connection.isolation_level

    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql('BEGIN')

    dbapi_connection.isolation_level = None
    event.listen(connection, 'begin', _begin)
    try:
        yield
    finally:
        event.remove(connection, 'begin', _begin)
        if connection.in_transaction():
            connection.rollback()
        dbapi_connection.isolation_level = before


def upgrade(engine: Engine, script_location: Path = MIGRATIONS) -> None:
    """Upgrade in place; a database already at head is left untouched (one read of its version).

    Every pending revision runs in one transaction, DDL included (on SQLite see
    `sqlite_transactional_ddl`): an upgrade that fails or is stopped leaves the schema as it was.

    On SQLite, Alembic's batch mode rebuilds a table (copy, DROP, rename); with foreign keys
    enforced, dropping `leads` while `activities` point at it fails and no database holding
    data could be upgraded. So enforcement is off for the migration (the pragma only takes
    effect outside a transaction), every reference is checked before the commit, and it is
    back on before the connection returns to the pool."""
    if is_current(engine, script_location):
        return
    config = alembic_config(script_location)
    sqlite = engine.dialect.name == 'sqlite'
    with engine.connect() as connection:
        if not sqlite:
            with connection.begin():
                config.attributes['connection'] = connection
                command.upgrade(config, 'head')
            return
        connection.exec_driver_sql('PRAGMA foreign_keys=OFF')
        connection.commit()  # ends SQLAlchemy's autobegun transaction (sqlite3 sent no BEGIN for a pragma)
        try:
            with sqlite_transactional_ddl(connection), connection.begin():
                config.attributes['connection'] = connection
                command.upgrade(config, 'head')
                broken = connection.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                if broken:
                    raise RuntimeError(f'migration left broken references: {broken[:5]}')
        finally:
            connection.rollback()
            connection.exec_driver_sql('PRAGMA foreign_keys=ON')
            connection.commit()


def is_current(engine: Engine, script_location: Path = MIGRATIONS) -> bool:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head(script_location)
