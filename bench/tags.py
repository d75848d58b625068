"""What does filtering the lists by tag cost on SQLite? Server time for a manager's and a rep's first
inbox page (25 rows and the total, as bench/inbox.py) filtered by a common tag (on 20% of the leads),
a rare one (1%), and either of two (any-of), against the same page unfiltered; plus the query plan
SQLite picks. Tags live in `record_tags` (entity, record_id, tag_id) with `ix_record_tags_tag`
(tag_id, entity, record_id); the filter is `leads.id IN (SELECT record_id … WHERE tag_id IN …)`.

    python bench/tags.py --leads 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import build  # noqa: E402
from bench.tick import timed  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from store.models import UserRef  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REPS = 25
SHARES = {'common': 0.20, 'rare': 0.01, 'other': 0.30}


def run(size: int, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, reps=REPS, open_days=30)
        desk.ctx.clock = FakeClock(NOW)
        ids = {key: desk.tags.define_tag(None, name_zh=key, name_en=key, key=key).id for key in SHARES}
        rng = random.Random(7)
        rows = [('lead', lead_id, ids[key], NOW.isoformat()) for lead_id in range(1, size + 1)
                for key, share in SHARES.items() if rng.random() < share]
        with desk.ctx.engine.begin() as conn:
            conn.exec_driver_sql('INSERT INTO record_tags (entity, record_id, tag_id, created_at) VALUES (?, ?, ?, ?)',
                                 rows)
            conn.exec_driver_sql('ANALYZE record_tags')
        manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role='manager')
        rep = UserRef(id=1, name='Rep', email='rep1@bench.test', role='rep')
        figures: dict[str, object] = {'record_tags': len(rows)}
        for who, actor in (('manager', manager), ('rep', rep)):
            for name, tags in (('none', []), ('common', [ids['common']]), ('rare', [ids['rare']]),
                               ('any_of_two', [ids['common'], ids['rare']])):
                median, low, high = timed(lambda a=actor, t=tags: desk.leads.inbox(a, tags=t), repeats)
                _rows, total = desk.leads.inbox(actor, tags=tags)
                figures[f'{who}_{name}'] = {'ms': round(median, 1), 'range': f'{low:.1f}–{high:.1f}', 'total': total}
        figures['plan_few'] = plan(desk, [ids['rare']], dense=False)
        figures['plan_many'] = plan(desk, [ids['common']], dense=True)
        desk.ctx.engine.dispose()
    return {'leads': size, **figures}


def plan(desk: object, tags: list[int], *, dense: bool) -> list[str]:
    """SQLite's plan for the manager's filtered page (the rows' statement), tags few or many."""
    from sqlalchemy.dialects import sqlite
    from sqlmodel import col, select

    from store import queries
    from store.models import Lead
    f = queries.InboxFilter(statuses=('new', 'assigned', 'contacted', 'qualified', 'pool', 'review'), tags=tuple(tags),
                            tags_dense=dense)
    statement = select(Lead.id).where(*queries._inbox_where(f)).order_by(col(Lead.grade), col(Lead.created_at).desc(),
                                                                          col(Lead.id).desc()).limit(25)
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={'literal_binds': True}))
    with desk.ctx.engine.connect() as conn:  # type: ignore[attr-defined]
        return [row[-1] for row in conn.exec_driver_sql(f'EXPLAIN QUERY PLAN {sql}')]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--leads', type=int, default=100_000)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    print(json.dumps({'machine': f'{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, '
                                 f'Python {platform.python_version()}',
                      **run(args.leads, args.repeats)}, ensure_ascii=False, indent=1))


if __name__ == '__main__':
    main()
