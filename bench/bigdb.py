"""A 1M-lead desk kept between runs (building one takes 10–15 minutes on this box): the server RSS
and inbox paint benchmarks open it read-mostly, so one build serves both.

    python bench/bigdb.py                      # build /tmp/leaddesk-bench-1000k.db if missing
    python bench/bigdb.py --leads 20000        # a smaller one (the quick modes build their own)
    python bench/bigdb.py --tree               # and a copy with a five-level department tree (dept_tree.py)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.dataset import build
from store import report_rollup

CACHE = Path(os.environ.get('LEADDESK_BENCH_CACHE', '/tmp'))


def path_for(leads: int) -> Path:
    return CACHE / f'leaddesk-bench-{leads // 1000}k.db'


def ensure(leads: int, path: Path | None = None) -> Path:
    """The database at `path` (default: the cache) with `leads` leads, built once: leads captured
    over the last year, only the last 30 days' still open, report fields filled and the report
    roll-up rebuilt (the raw inserts bypass the ORM's hooks). Written beside and renamed, so an
    interrupted build is not mistaken for a finished one."""
    path = path or path_for(leads)
    if path.exists():
        return path
    partial = path.with_suffix('.partial')
    for stale in partial.parent.glob(partial.name + '*'):
        stale.unlink()
    t0 = time.perf_counter()
    desk = build(partial, leads, now=datetime.now(UTC), open_days=30, report_fields=True)
    with desk.ctx.engine.begin() as connection:  # no ANALYZE: the app runs without statistics (BENCHMARKS.md)
        report_rollup.rebuild(connection, desk.ctx.settings.timezone)
    with desk.ctx.engine.connect() as connection:
        connection.exec_driver_sql('PRAGMA wal_checkpoint(TRUNCATE)')
    desk.ctx.engine.dispose()
    for suffix in ('-wal', '-shm'):  # the last close checkpointed; carry anything left with the file
        side = Path(str(partial) + suffix)
        if side.exists():
            side.rename(str(path) + suffix)
    partial.rename(path)
    print(f'built {path} ({leads:,} leads) in {time.perf_counter() - t0:.0f} s', file=sys.stderr)
    return path


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--leads', type=int, default=1_000_000)
    parser.add_argument('--tree', action='store_true', help='also a copy with a five-level department tree')
    args = parser.parse_args()
    built = ensure(args.leads)
    if args.tree:
        from bench.dept_tree import with_tree
        built = with_tree(built)
    print(built)
