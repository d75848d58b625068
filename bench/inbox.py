"""How fast does an inbox open at scale? Server time for the first page (what `refresh()` asks the
core for) of a rep with ~2,000 open leads and of a manager (everyone's leads), plain and with the
"my day" agenda, against a primary-key point query measured in the same run. Leads older than 30
days are closed or pooled (the default protection limit would have recycled them).

    python bench/inbox.py --quick          # 10k leads (CI smoke)
    python bench/inbox.py --full           # 100k and 1M leads, median of 5
    python bench/inbox.py --sorts          # each sort of the sort control at 100k leads, rep and manager

`--sorts` also defines a filterable number field (`stores`, an expression index; 70% of the leads
hold a value) and times its sort both ways; `--no-sort-indexes` drops migration 0034's sort indexes
first, to see what they buy.
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
SORT_INDEXES = ('ix_leads_sort_created', 'ix_leads_sort_score', 'ix_leads_sort_name', 'ix_leads_sort_follow_up')
"""Migration 0034's indexes for the built-in sorts (`--no-sort-indexes` drops them)."""


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


SORTS: tuple[tuple[str, dict[str, object]], ...] = (
    ('default', {}), ('newest', {'sort': 'newest'}), ('oldest', {'sort': 'oldest'}),
    ('score ↓', {'sort': 'score', 'sort_desc': True}), ('score ↑', {'sort': 'score'}),
    ('name ↑', {'sort': 'name'}), ('name ↓', {'sort': 'name', 'sort_desc': True}),
    ('follow-up ↑', {'sort': 'follow_up'}), ('follow-up ↓', {'sort': 'follow_up', 'sort_desc': True}),
    ('custom number ↑', {'sort': 'custom', 'sort_key': 'stores'}),
    ('custom number ↓', {'sort': 'custom', 'sort_key': 'stores', 'sort_desc': True}),
    ('page 40, custom number ↓', {'sort': 'custom', 'sort_key': 'stores', 'sort_desc': True, 'page': 40}))


def sorts(size: int, repeats: int, *, drop: tuple[str, ...] = ()) -> list[dict[str, object]]:
    """Server time of the first page (and the total) for each sort, a rep's and a manager's."""
    import random

    with tempfile.TemporaryDirectory() as tmp:
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, reps=REPS, open_days=30)
        desk.ctx.clock = FakeClock(NOW)
        rng = random.Random(11)
        with desk.ctx.engine.begin() as conn:
            conn.exec_driver_sql('UPDATE leads SET custom = ? WHERE id = ?', [
                (json.dumps({'stores': rng.randint(1, 5000)} if rng.random() < 0.7 else {}), i)
                for i in range(1, size + 1)])
            for name in drop:
                conn.exec_driver_sql(f'DROP INDEX {name}')
        desk.custom_fields.define_field(None, entity='lead', key='stores', type='number', label_zh='门店数',
                                        label_en='Stores', filterable=True)
        rep = UserRef(id=1, name='Rep 0', email='rep0@bench.test', role='rep')
        manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role='manager')
        out = []
        for name, args in SORTS:
            row: dict[str, object] = {'sort': name}
            for who, user in (('rep', rep), ('manager', manager)):
                median, low, high = timed(lambda u=user, a=args: desk.leads.inbox(u, **a), repeats)  # type: ignore[misc]
                row[f'{who}_ms'], row[f'{who}_range'] = round(median, 1), f'{low:.1f}–{high:.1f}'
            out.append(row)
        desk.ctx.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--full', action='store_true')
    parser.add_argument('--sorts', action='store_true')
    parser.add_argument('--leads', type=int, default=100_000)
    parser.add_argument('--no-sort-indexes', action='store_true')
    args = parser.parse_args()
    if args.sorts:
        drop = SORT_INDEXES if args.no_sort_indexes else ()
        rows = sorts(args.leads, 5, drop=drop)
        print(f'{args.leads:,} leads, {platform.platform()}, {os.cpu_count()} cores'
              + (' (without the 0034 sort indexes)' if drop else ''))
        print('| sort | rep ms (range) | manager ms (range) |')
        print('|---|---|---|')
        for r in rows:
            print(f"| {r['sort']} | {r['rep_ms']} ({r['rep_range']}) | {r['manager_ms']} ({r['manager_range']}) |")
        out = ROOT / 'bench' / 'results' / f'inbox-sorts-{datetime.now(UTC):%Y-%m-%d}{"-noidx" if drop else ""}.json'
        out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'leads': args.leads,
                                   'dropped': list(drop), 'results': rows}, indent=1))
        return
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
