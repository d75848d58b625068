"""How fast does an inbox open at scale? Server time for the first page (what `refresh()` asks the
core for) of a rep with ~2,000 open leads and of a manager (everyone's leads), plain and with the
"my day" agenda, against a primary-key point query measured in the same run. Leads older than 30
days are closed or pooled (the default protection limit would have recycled them).

    python bench/inbox.py --quick          # 10k leads (CI smoke)
    python bench/inbox.py --full           # 100k and 1M leads, median of 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import build  # noqa: E402
from bench.tick import timed  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from store.engine import read_session  # noqa: E402
from store.models import Lead, UserRef  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REPS = 25


def run(size: int, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, reps=REPS, open_days=30)
        built = time.perf_counter() - t0
        desk.ctx.clock = FakeClock(NOW)
        rep = UserRef(id=1, name='Rep 0', email='rep0@bench.test', role='rep')
        manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role='manager')

        def point() -> None:
            with read_session(desk.ctx.engine) as s:
                s.get(Lead, size // 2)
                s.expunge_all()

        limit = timed(point, 50)
        figures: dict[str, object] = {}
        for name, who, agenda in (('rep', rep, None), ('rep_my_day', rep, 'my_day'),
                                  ('manager', manager, None), ('manager_my_day', manager, 'my_day')):
            median, low, high = timed(lambda w=who, a=agenda: desk.leads.inbox(w, agenda=a), repeats)
            figures[f'{name}_ms'] = round(median, 1)
            figures[f'{name}_range'] = f'{low:.1f}–{high:.1f}'
        _rows, rep_total = desk.leads.inbox(rep)
        desk.ctx.engine.dispose()
    return {'leads': size, 'rep_open': rep_total, 'build_s': round(built, 1), 'point_query_ms': round(limit[0], 3),
            **figures, 'manager_vs_point_query': round(float(figures['manager_ms']) / limit[0], 1)}  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--full', action='store_true')
    args = parser.parse_args()
    sizes = [10_000] if not args.full else [100_000, 1_000_000]
    repeats = 3 if not args.full else 5
    results = [run(size, repeats) for size in sizes]
    print('| leads | rep open | rep ms | rep my day ms | manager ms | manager my day ms | point query ms |')
    print('|---|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['leads']:,} | {r['rep_open']:,} | {r['rep_ms']} ({r['rep_range']}) | {r['rep_my_day_ms']} | "
              f"{r['manager_ms']} ({r['manager_range']}) | {r['manager_my_day_ms']} | {r['point_query_ms']} |")
    if args.full:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
        out = ROOT / 'bench' / 'results' / f'inbox-{datetime.now(UTC):%Y-%m-%d}.json'
        out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'commit': commit,
                                   'results': results}, indent=1))
        print(f'written {out}')


if __name__ == '__main__':
    main()
