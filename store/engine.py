"""Engine construction and sessions.

SQLite gets WAL (readers never block the writer), foreign keys, a busy timeout and a page
cache sized for the leads' indexes on every connection; PostgreSQL needs nothing special here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == 'sqlite'


CACHE_KIB = 16_384
"""Each SQLite connection's page cache (SQLite's default is 2 MiB). A new lead goes into ~25 index
B-trees; with 2 MiB their pages kept leaving the cache, and a 100k import ran 4 % slower (64 MiB
gained nothing more). Filled only as pages are read: idle connections stay small."""

WAL_AUTOCHECKPOINT_PAGES = 16_000
"""The log length (pages of 4 KiB: 64 MiB) at which a commit copies it into the file itself. The
running app checkpoints from a thread of its own (store/wal.py) long before; this is the backstop."""


def make_engine(url: str) -> Engine:
    """Build the engine for `url`, creating the SQLite file's folder if needed."""
    if url.startswith('sqlite'):
        database = sa.engine.make_url(url).database
        if database and database != ':memory:':
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30})

        @event.listens_for(engine, 'connect')
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute('PRAGMA journal_mode=WAL')
            cursor.execute('PRAGMA synchronous=NORMAL')
            cursor.execute('PRAGMA foreign_keys=ON')
            cursor.execute('PRAGMA busy_timeout=30000')
            cursor.execute(f'PRAGMA cache_size=-{CACHE_KIB}')
            cursor.execute(f'PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}')
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


CONFLICT_SQLSTATES = ('40P01', '40001')
"""PostgreSQL's deadlock_detected and serialization_failure: the server aborted the whole transaction
to break a lock cycle (or a snapshot conflict); running it again from the start is the documented cure."""


def is_conflict(error: BaseException) -> bool:
    """Whether `error` is PostgreSQL aborting a transaction that may simply be run again (never on
    SQLite, whose errors carry no SQLSTATE)."""
    return isinstance(error, sa.exc.DBAPIError) and getattr(error.orig, 'sqlstate', None) in CONFLICT_SQLSTATES


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Nothing derived is kept here:
    writes to leads, deals, the audit trail or the configuration go through core's unit of work
    (`Context.write`, core/projections.py)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads only; nothing it does is committed."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
