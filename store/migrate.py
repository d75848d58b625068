"""Bring a database to the newest schema: Alembic owns the schema, start-up calls this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / 'migrations'


def alembic_config() -> Config:
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Upgrade in place; a database already at head is left untouched.

    On SQLite, Alembic's batch mode rebuilds a table (copy, DROP, rename); with foreign keys
    enforced, dropping `leads` while `activities` point at it fails and no database holding
    data could be upgraded. So enforcement is off for the migration (the pragma only takes
    effect outside a transaction), every reference is checked before the commit, and it is
    back on before the connection returns to the pool."""
    config = alembic_config()
    sqlite = engine.dialect.name == 'sqlite'
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql('PRAGMA foreign_keys=OFF')
            connection.commit()  # ends SQLAlchemy's autobegun transaction (sqlite3 sent no BEGIN for a pragma)
        try:
            with connection.begin():
                config.attributes['connection'] = connection
                command.upgrade(config, 'head')
                if sqlite:
                    broken = connection.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                    if broken:
                        raise RuntimeError(f'migration left broken references: {broken[:5]}')
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql('PRAGMA foreign_keys=ON')
                connection.commit()


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
