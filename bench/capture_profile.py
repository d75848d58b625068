"""Where one API capture's time goes, in-process (no HTTP): a desk with `--reps` reps and
`--leads` leads captured through the import path, then `--captures` captures through
`capture_via_api` timed without and then with cProfile (the profile's top functions printed).

    python bench/capture_profile.py                      # 20 reps, 3,000 leads, 300 captures
    python bench/capture_profile.py --captures 50        # quicker

Not a timed assertion: a tool for reading where the time goes (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--leads', type=int, default=3000)
    parser.add_argument('--captures', type=int, default=300)
    parser.add_argument('--top', type=int, default=40)
    args = parser.parse_args()

    from core.capture import capture_rows
    from core.clock import Clock
    from core.desk import Desk
    from core.settings import Settings
    from store.engine import make_engine
    from store.models import Role
    from tests import factories

    with tempfile.TemporaryDirectory() as tmp:
        url = f'sqlite:///{tmp}/profile.db'
        desk = Desk(make_engine(url), Settings(database_url=url, storage_secret='bench'), clock=Clock())
        desk.prepare()
        for i in range(args.reps):
            factories.user(desk, Role.REP, name=f'Rep {i}', capacity=10_000, daily_quota=10_000)
        key = desk.access.check_api_key(desk.access.create_api_key(None, name='profile'))
        assert key is not None
        now = desk.ctx.now()
        with desk.ctx.write() as session:
            capture_rows(session, [{'name': f'Seed {i}', 'phone': f'13{i % 10}{i:08d}', 'source': 'ads'}
                                   for i in range(args.leads)], default_source='import', region='CN', now=now,
                         day_start=desk.ctx.day_start(now), actor_id=None, channel='import')
        rnd = random.Random(1)

        def one(n: int) -> None:
            data = {'name': f'Bench {n}', 'phone': f'13{rnd.randint(0, 9)}{rnd.randint(0, 99_999_999):08d}',
                    'source': 'ads', 'budget': '10万'}
            desk.access.capture_via_api(key, data, None)

        for n in range(20):  # warm: caches, compiled statements
            one(n)
        started = time.perf_counter()
        for n in range(args.captures):
            one(1_000_000 + n)
        print(f'{(time.perf_counter() - started) / args.captures * 1000:.2f} ms per capture (not profiled)')
        profile = cProfile.Profile()
        profile.enable()
        for n in range(args.captures):
            one(2_000_000 + n)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats('cumulative').print_stats(str(ROOT), args.top)
        stats.sort_stats('tottime').print_stats(20)
        desk.ctx.engine.dispose()


if __name__ == '__main__':
    main()
