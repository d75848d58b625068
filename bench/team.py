"""How fast is the team page at scale? The figures (`workload.team`), one rep's drill-down and a
rebalance plan, for 50 reps, against a primary-key point query measured in the same run. Leads
older than 30 days are closed or pooled (the default protection limit would have recycled them).

    python bench/team.py --quick          # 10k leads (CI smoke)
    python bench/team.py --full           # 100k and 1M leads, median of 5
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
from store.models import Lead, Role, User, UserRef  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REPS = 50


def run(size: int, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, reps=REPS, open_days=30)
        built = time.perf_counter() - t0
        desk.ctx.clock = FakeClock(NOW)
        with read_session(desk.ctx.engine) as s:
            boss = s.exec(User.__table__.select().where(User.role == Role.MANAGER)).first()  # type: ignore[attr-defined]
            manager = UserRef(id=boss.id, name=boss.name, email=boss.email, role=boss.role)

        def point() -> None:
            with read_session(desk.ctx.engine) as s:
                s.get(Lead, size // 2)
                s.expunge_all()

        limit = timed(point, 50)
        figures = timed(lambda: desk.workload.team(manager, NOW), repeats)
        drill = timed(lambda: desk.steering.rep_leads(manager, 1), repeats)
        plan = timed(lambda: desk.steering.plan_rebalance(manager), repeats)
        view = desk.workload.team(manager, NOW)
        desk.ctx.engine.dispose()
    return {'leads': size, 'reps': REPS, 'open_leads': view.open_leads, 'build_s': round(built, 1),
            'point_query_ms': round(limit[0], 3),
            'team_ms_median': round(figures[0], 1), 'team_ms_min': round(figures[1], 1),
            'team_ms_max': round(figures[2], 1), 'drill_ms_median': round(drill[0], 1),
            'plan_ms_median': round(plan[0], 1), 'team_vs_point_query': round(figures[0] / limit[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--full', action='store_true')
    args = parser.parse_args()
    sizes = [10_000] if not args.full else [100_000, 1_000_000]
    repeats = 3 if not args.full else 5
    results = [run(size, repeats) for size in sizes]
    print('| leads | reps | team figures ms median (min–max) | drill-down ms | rebalance plan ms | point query ms |')
    print('|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['leads']:,} | {r['reps']} | {r['team_ms_median']} ({r['team_ms_min']}–{r['team_ms_max']}) | "
              f"{r['drill_ms_median']} | {r['plan_ms_median']} | {r['point_query_ms']} |")
    if args.full:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
        out = ROOT / 'bench' / 'results' / f'team-{datetime.now(UTC):%Y-%m-%d}.json'
        out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'commit': commit,
                                   'results': results}, indent=1))
        print(f'written {out}')


if __name__ == '__main__':
    main()
