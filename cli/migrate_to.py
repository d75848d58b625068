"""`python run.py migrate-to URL`: move this desk's database (usually the SQLite file) to another
server (usually PostgreSQL), then prove it: every table's row count and a spot check of its first,
middle and last rows. Run it with the app stopped; afterwards point LEADDESK_DATABASE_URL at URL."""

from __future__ import annotations

import sys

from sqlalchemy.exc import SQLAlchemyError

from core.settings import Settings
from store.engine import make_engine
from store.transfer import TargetNotEmpty, compare, copy_all


def run(settings: Settings, url: str) -> int:
    """Exit code 0 when every table matches; messages on stderr, the table report on stdout."""
    source_url = settings.resolved_database_url()
    if url == source_url:
        print('migrate-to: the target is the database in use', file=sys.stderr)
        return 2
    source, target = make_engine(source_url), make_engine(url)
    try:
        copy_all(source, target)
    except TargetNotEmpty:
        print('migrate-to: the target already holds users or leads; give an empty database', file=sys.stderr)
        return 1
    except SQLAlchemyError as e:
        print(f'migrate-to: failed, nothing was written: {e.__class__.__name__}: {e}', file=sys.stderr)
        return 1
    checks = compare(source, target)
    for check in checks:
        state = 'ok' if check.ok else 'MISMATCH ' + ', '.join(check.mismatches)
        print(f'{check.name:22} {check.source_rows:>9} → {check.target_rows:<9} '
              f'{check.spot_checked} spot-checked  {state}')
    bad = [c.name for c in checks if not c.ok]
    if bad:
        print(f'migrate-to: {len(bad)} tables differ: {", ".join(bad)}', file=sys.stderr)
        return 1
    print(f'migrate-to: {sum(c.target_rows for c in checks)} rows in {len(checks)} tables copied and checked; '
          'now set LEADDESK_DATABASE_URL to the new database', file=sys.stderr)
    source.dispose()
    target.dispose()
    return 0
