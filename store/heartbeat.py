"""The readiness probe's write: one `app_settings` row rewritten with the time, so `/ready` knows
the database takes a write now (not just a read: a read-only file or mount, a PostgreSQL standby,
a full disk or a writer holding the lock past the probe's patience all fail here).

A Core upsert, not the ORM: an ORM write to `app_settings` bumps the configuration token
(store/config_version.py), and a probe every few seconds must not make every capture read the
rules again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from .models import AppSetting

KEY = 'ready_heartbeat'
_SETTINGS = SQLModel.metadata.tables[AppSetting.__tablename__]  # = `.__table__` (undeclared in SQLModel)
SQLITE_BUSY_MS = 30000
"""The busy timeout every SQLite connection has (store/engine.py), put back after the probe."""


def beat(session: Session, now: datetime, *, timeout: float) -> None:
    """Rewrite the heartbeat row in the caller's transaction, waiting at most `timeout` seconds for
    the database's write lock (SQLite: the busy timeout; PostgreSQL: lock and statement timeouts,
    local to this transaction)."""
    connection = session.connection()
    on_sqlite = connection.dialect.name == 'sqlite'
    insert = sqlite.insert if on_sqlite else postgresql.insert
    if on_sqlite:
        connection.exec_driver_sql(f'PRAGMA busy_timeout={int(timeout * 1000)}')
    else:
        ms = int(timeout * 1000)
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{ms}ms'")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = '{ms}ms'")
    statement = insert(_SETTINGS).values(key=KEY, value=now.isoformat())
    try:
        connection.execute(statement.on_conflict_do_update(index_elements=['key'],
                                                           set_={'value': statement.excluded.value}))
    finally:
        if on_sqlite:
            connection.exec_driver_sql(f'PRAGMA busy_timeout={SQLITE_BUSY_MS}')
