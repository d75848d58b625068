"""Online backup and restore of the SQLite database, and the lock that tells a restore the
server is running.

The copy goes through SQLite's backup API in one step: one read transaction, so the
copy is the database as of one instant even while the app keeps writing (WAL readers
never block the writer, nor the writer them). A restore writes through the same API
into the live file, so the WAL and shared-memory files stay consistent with it.
PostgreSQL has its own tools (`pg_dump`, `pg_restore`); nothing here tries to replace them.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import sqlalchemy as sa


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    size: int
    tables: dict[str, int]


def sqlite_path(url: str) -> Path | None:
    """The database file behind a SQLite URL; None for any other database."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != 'sqlite':
        return None
    if not parsed.database or parsed.database == ':memory:':
        raise BackupError('an in-memory database has nothing to back up')
    return Path(parsed.database)


def _row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def check_database(path: Path) -> dict[str, int]:
    """Row counts per table of a database file that passes SQLite's integrity check and
    carries a LeadDesk schema; BackupError otherwise."""
    if not path.is_file():
        raise BackupError(f'{path} does not exist')
    with path.open('rb') as f:
        if f.read(16) != b'SQLite format 3\x00':
            raise BackupError(f'{path} is not a SQLite database')
    connection = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
    try:
        verdict = connection.execute('PRAGMA integrity_check').fetchone()[0]
        if verdict != 'ok':
            raise BackupError(f'{path} is damaged: {verdict}')
        counts = _row_counts(connection)
        if 'alembic_version' not in counts or 'leads' not in counts:
            raise BackupError(f'{path} is not a LeadDesk database')
        return counts
    except sqlite3.DatabaseError as e:
        raise BackupError(f'{path} cannot be read: {e}') from None
    finally:
        connection.close()


def backup(source: Path, target: Path) -> BackupReport:
    """Copy the live database at `source` to `target` (written beside it, then renamed, so a
    half-written file never carries the target's name). The copy is one self-contained file."""
    if not source.is_file():
        raise BackupError(f'no database at {source}')
    target = target.resolve()
    if target == source.resolve():
        raise BackupError('the backup must not overwrite the database itself')
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + '.partial')
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.execute('PRAGMA busy_timeout=30000')
        src.backup(dst)  # pages=-1: all pages under one read lock, a single consistent snapshot
        dst.execute('PRAGMA journal_mode=DELETE')  # no -wal beside the copy: one file holds it all
        dst.commit()
    finally:
        dst.close()
        src.close()
    counts = check_database(partial)
    os.replace(partial, target)
    return BackupReport(path=target, size=target.stat().st_size, tables=counts)


def restore(backup_file: Path, target: Path) -> tuple[BackupReport, Path | None]:
    """Write the checked backup into the database at `target`; the database it replaces is
    first kept as `<target>.before-restore-<UTC time>`. Returns (report, that safety copy)."""
    counts = check_database(backup_file)
    kept = None
    if target.is_file():
        stamp = datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')
        kept = backup(target, target.with_name(f'{target.name}.before-restore-{stamp}')).path
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f'file:{backup_file}?mode=ro', uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        dst.execute('PRAGMA journal_mode=WAL')
        dst.commit()
    finally:
        dst.close()
        src.close()
    check_database(target)
    return BackupReport(path=target, size=target.stat().st_size, tables=counts), kept


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + '.lock')


def hold_server_lock(database: Path) -> IO[str] | None:
    """Taken by a serving process for its whole life (the OS drops it when the process ends,
    killed or not). Returns the open lock file to keep referenced; None when another process
    holds it."""
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path(database).open('a+')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def server_running(database: Path) -> bool:
    """Whether a LeadDesk server holds this database's lock right now."""
    if not lock_path(database).exists():
        return False
    handle = hold_server_lock(database)
    if handle is None:
        return True
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
    return False
