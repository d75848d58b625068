"""Run every benchmark: `--quick` (small sizes, a smoke that keeps the suite from rotting; it
asserts nothing about time) or `--full` (full sizes; each script writes bench/results/*.json).

    python bench/run.py --quick          # part of ./test.sh
    python bench/run.py --full           # an hour or more; read docs/BENCHMARKS.md first

Each benchmark runs in its own process (a fresh interpreter and database), one after another so
they do not compete for the machine's two cores. A benchmark that fails fails the run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QUICK: list[tuple[str, list[str]]] = [
    ('tick', ['bench/tick.py', '--quick']),
    ('team', ['bench/team.py', '--quick']),
    ('inbox', ['bench/inbox.py', '--quick']),
    ('board', ['bench/board.py', '--quick']),
    ('bulk', ['bench/bulk.py', '--quick']),
    ('import', ['bench/import.py', '--quick']),
    ('reports', ['bench/reports.py', '--quick']),
    ('load smoke', ['bench/load_smoke.py', '--rate', '10', '--seconds', '5']),
    ('api routes', ['bench/api_routes.py', '--quick']),
    ('export', ['bench/export.py', '--quick']),
    ('server rss', ['bench/server_rss.py', '--quick']),
    ('upload rss', ['bench/upload_rss.py', '--quick']),
    ('inbox paint', ['bench/inbox_paint.py', '--quick']),
    ('idle pages', ['bench/idle_pages.py', '--quick']),
]
FULL: list[tuple[str, list[str]]] = [
    ('tick', ['bench/tick.py', '--full']),
    ('team', ['bench/team.py', '--full']),
    ('inbox', ['bench/inbox.py', '--full']),
    ('board', ['bench/board.py']),
    ('import', ['bench/import.py', '--rows', '100000']),
    ('reports', ['bench/reports.py']),
    ('load smoke', ['bench/load_smoke.py', '--rate', '50', '--seconds', '30']),
    ('api routes', ['bench/api_routes.py', '--seconds', '8', '--runs', '3']),
    ('export', ['bench/export.py']),
    ('server rss', ['bench/server_rss.py']),
    ('upload rss', ['bench/upload_rss.py']),
    ('inbox paint', ['bench/inbox_paint.py']),
    ('idle pages', ['bench/idle_pages.py']),
]
NEEDS = {'api routes': 'wrk'}
"""Benchmarks that drive a command-line load generator (installed by ./test.sh)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument('--quick', action='store_true')
    mode.add_argument('--full', action='store_true')
    parser.add_argument('--only', nargs='*', default=None, help='run only these (by name)')
    args = parser.parse_args()
    failed: list[str] = []
    started = time.perf_counter()
    for name, command in FULL if args.full else QUICK:
        if args.only and name not in args.only:
            continue
        tool = NEEDS.get(name)
        if tool and shutil.which(tool) is None:
            print(f'== {name}: FAILED — `{tool}` is not installed (apt-get install {tool})', flush=True)
            failed.append(name)
            continue
        print(f'== {name}: {" ".join(command)}', flush=True)
        t0 = time.perf_counter()
        code = subprocess.run([sys.executable, *command], cwd=ROOT, check=False).returncode
        print(f'== {name}: {"ok" if code == 0 else f"FAILED (exit {code})"} in {time.perf_counter() - t0:.0f} s',
              flush=True)
        if code:
            failed.append(name)
    print(f'== all benchmarks: {time.perf_counter() - started:.0f} s' + (f'; failed: {", ".join(failed)}' if failed
                                                                          else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
