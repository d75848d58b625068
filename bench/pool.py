"""How fast does a page of the public pool open at scale? Server time of `PoolService.pool` (what the
pool page's `refresh()` asks the core for, claim verdicts included) for a rep: the first page in each
sort, a deep page, each filter and a search, with ~5% of the leads in the pool; and the plan SQLite
chose for each (every one should walk an `ix_leads_pool_*` index, never scan `leads`).

    python bench/pool.py --quick          # 10k leads (CI smoke)
    python bench/pool.py --size 100000    # one larger run (do not run 1M on a shared machine)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bench.dataset import build  # noqa: E402
from bench.tick import timed  # noqa: E402
from core.automation.pool import PoolQuery  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from store.engine import read_session  # noqa: E402
from store.models import Lead, UserRef  # noqa: E402
from store.queries import pool as pool_queries  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CASES: dict[str, tuple[PoolQuery, int]] = {
    'recent, page 1': (PoolQuery(), 1),
    'oldest, page 1': (PoolQuery(sort='oldest'), 1),
    'grade, page 1': (PoolQuery(sort='grade'), 1),
    'score, page 1': (PoolQuery(sort='score'), 1),
    'recent, page 100': (PoolQuery(), 100),
    'region': (PoolQuery(region='上海'), 1),
    'industry + grade A': (PoolQuery(industry='零售', grade='A'), 1),
    'recycled 0': (PoolQuery(recycled=0), 1),
    'search name': (PoolQuery(search='Lead 12'), 1),
    'search, no match': (PoolQuery(search='nobody-like-this'), 1),
}


def run(size: int, repeats: int) -> list[tuple[str, float, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, report_fields=True)
        with desk.ctx.engine.begin() as connection:  # raw inserts: stamp the pooled time as migration 0024 does
            connection.exec_driver_sql("UPDATE leads SET pooled_at = updated_at WHERE status IN ('pool', 'review')")
        desk.ctx.clock = FakeClock(NOW)
        rep = UserRef(id=1, name='Rep 0', email='rep0@bench.test', role='rep')
        out = []
        for name, (query, page) in CASES.items():
            median, _low, high = timed(lambda q=query, p=page: desk.pool.pool(rep, page=p, page_size=25, query=q),
                                       repeats)
            with read_session(desk.ctx.engine) as session:
                f = query.filter('pool')
                statement = (select(Lead).where(*pool_queries._where(f))
                             .order_by(*pool_queries._order(f.order, 'sqlite')).offset((page - 1) * 25).limit(25))
                sql = str(statement.compile(dialect=session.get_bind().dialect,
                                            compile_kwargs={'literal_binds': True}))
                plan = ' / '.join(row[3] for row in session.connection().exec_driver_sql(
                    f'EXPLAIN QUERY PLAN {sql}').all())
            out.append((name, median, f'{high:.1f}', plan))
        _rows, total = desk.pool.pool(rep)
        print(f'{size:,} leads, {total:,} in the pool')
        desk.ctx.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--size', type=int, default=10_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    results = run(10_000 if args.quick else args.size, 3 if args.quick else 5)
    print('| case | median ms | max ms | plan |')
    print('|---|---|---|---|')
    for name, median, high, plan in results:
        print(f'| {name} | {median:.1f} | {high} | {plan} |')
    print(f'({time.perf_counter() - t0:.0f} s)')


if __name__ == '__main__':
    main()
