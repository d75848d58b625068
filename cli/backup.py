"""`run.py backup` and `run.py restore`: what the operator types and reads.

Backup is online: it may run while the app serves and writes. Restore is not: it refuses
while a server holds the database (store.backup's lock), because the running process
would go on with counters, sessions and timers that belong to the replaced data. Stop
the server, restore, start it again (start-up upgrades an older backup's schema).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from core.settings import Settings
from store import backup as store_backup

PG_MESSAGE = ('This database is PostgreSQL: use its own tools, which copy it consistently while it runs:\n'
              '  pg_dump --format=custom --file=leaddesk.dump "$DATABASE_URL"\n'
              '  pg_restore --clean --if-exists --dbname="$DATABASE_URL" leaddesk.dump\n')


def _summary(report: store_backup.BackupReport) -> str:
    counts = report.tables
    return (f'{report.path} ({report.size:,} bytes): {counts.get("leads", 0)} leads, {counts.get("users", 0)} users, '
            f'{counts.get("opportunities", 0)} opportunities, {counts.get("activities", 0)} activities')


def run_backup(settings: Settings, output: str | None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Exit code 0 when the copy is written and checked; 1 on failure; 2 when not SQLite."""
    if not output:
        print('usage: run.py backup -o FILE', file=err)
        return 2
    try:
        source = store_backup.sqlite_path(settings.resolved_database_url())
        if source is None:
            print(PG_MESSAGE, file=err)
            return 2
        report = store_backup.backup(source, Path(output))
    except store_backup.BackupError as e:
        print(f'Backup failed: {e}', file=err)
        return 1
    print(f'Backup written and checked: {_summary(report)}', file=out)
    return 0


def run_restore(settings: Settings, backup_file: str, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Exit code 0 when restored; 1 when refused or failed; 2 when not SQLite."""
    try:
        target = store_backup.sqlite_path(settings.resolved_database_url())
        if target is None:
            print(PG_MESSAGE, file=err)
            return 2
        if store_backup.server_running(target):
            print(f'Refused: LeadDesk is running on {target}. Stop it, then restore.', file=err)
            return 1
        report, kept = store_backup.restore(Path(backup_file), target)
    except store_backup.BackupError as e:
        print(f'Restore failed: {e}', file=err)
        return 1
    print(f'Restored: {_summary(report)}', file=out)
    if kept is not None:
        print(f'The database it replaced is kept as {kept}', file=out)
    return 0


def hold_lock(settings: Settings) -> object | None:
    """For `serve`: the lock that makes `restore` refuse while this process runs (SQLite only).
    Returns the handle to keep alive; None when another server already holds it or not SQLite."""
    path = store_backup.sqlite_path(settings.resolved_database_url())
    return store_backup.hold_server_lock(path) if path is not None else None
