"""How expensive is the timer as the database grows? tick() at 100k and 1M leads when nothing
is due and when 1% is due, against a primary-key point query measured in the same run.

    python bench/tick.py --quick          # 10k leads, a few repeats (CI smoke)
    python bench/tick.py --full           # 100k and 1M, median of 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import build  # noqa: E402
from store.engine import read_session  # noqa: E402
from store.models import Lead  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def timed(fn, repeats: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples), max(samples)


def run(size: int, due_share: float, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, due_share=due_share)
        built = time.perf_counter() - t0

        def point() -> None:
            with read_session(desk.ctx.engine) as s:
                s.get(Lead, size // 2)
                s.expunge_all()

        limit = timed(point, 50)
        handled: list[int] = []

        def tick() -> None:
            handled.append(desk.automation.tick(NOW).count())

        first_ms = timed(tick, 1)[0]  # with work due, the first tick does it (≤ 500 per step)
        idle = timed(tick, repeats)
        desk.ctx.engine.dispose()
    return {'leads': size, 'due_share': due_share, 'build_s': round(built, 1),
            'point_query_ms': round(limit[0], 3), 'first_tick_ms': round(first_ms, 1), 'first_tick_handled': handled[0],
            'tick_ms_median': round(idle[0], 1), 'tick_ms_min': round(idle[1], 1), 'tick_ms_max': round(idle[2], 1),
            'tick_vs_point_query': round(idle[0] / limit[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--full', action='store_true')
    args = parser.parse_args()
    cells = [(10_000, 0.0), (10_000, 0.01)] if not args.full else \
        [(100_000, 0.0), (100_000, 0.01), (1_000_000, 0.0), (1_000_000, 0.01)]
    repeats = 3 if not args.full else 5
    results = [run(size, share, repeats) for size, share in cells]
    print('| leads | due | first tick ms (handled) | idle tick ms median (min–max) | point query ms | ratio |')
    print('|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['leads']:,} | {r['due_share']:.0%} | {r['first_tick_ms']} ({r['first_tick_handled']}) | "
              f"{r['tick_ms_median']} ({r['tick_ms_min']}–{r['tick_ms_max']}) | {r['point_query_ms']} | "
              f"{r['tick_vs_point_query']}× |")
    if args.full:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
        out = ROOT / 'bench' / 'results' / f'tick-{datetime.now(UTC):%Y-%m-%d}.json'
        out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'commit': commit,
                                   'results': results}, indent=1))
        print(f'written {out}')


if __name__ == '__main__':
    main()
