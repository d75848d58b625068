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
    """Upgrade in place; a database already at head is left untouched."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, 'head')


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
