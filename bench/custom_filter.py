"""What does filtering the inbox by a custom field cost on SQLite? Server time for a manager's first
page (25 rows and the total, as bench/inbox.py) filtered by a single select (a common option on 20%
of the leads, a rare one on 1%), a multi select (holds an option, 30%) and a yes/no field (50%),
against the same page unfiltered. No index serves these filters (docs/DESIGN.md, custom fields).

    python bench/custom_filter.py --leads 100000
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
OPTIONS = [{'key': k, 'label_zh': k, 'label_en': k} for k in ('common', 'rare', 'p2', 'p3', 'p4')]


def _custom(rng: random.Random) -> str:
    product = 'rare' if rng.random() < 0.01 else 'common' if rng.random() < 0.2 else rng.choice(['p2', 'p3', 'p4'])
    tags = [k for k in ('common', 'p2', 'p3') if rng.random() < 0.3]
    return json.dumps({'product': product, 'tags': tags, 'vip': rng.random() < 0.5})


def run(size: int, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        desk = build(Path(tmp) / 'bench.db', size, now=NOW, reps=REPS, open_days=30)
        desk.ctx.clock = FakeClock(NOW)
        for key, type in (('product', 'single_select'), ('tags', 'multi_select'), ('vip', 'yes_no')):
            desk.custom_fields.define_field(None, entity='lead', key=key, type=type, label_zh=key, label_en=key,
                                            options=OPTIONS if 'select' in type else [])
        rng = random.Random(7)
        with desk.ctx.engine.begin() as conn:
            conn.exec_driver_sql('UPDATE leads SET custom = ? WHERE id = ?',
                                 [(_custom(rng), i) for i in range(1, size + 1)])
        manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role='manager')
        figures: dict[str, object] = {}
        for name, custom in (('none', None), ('single_common', {'product': 'common'}),
                             ('single_rare', {'product': 'rare'}), ('multi', {'tags': 'p2'}),
                             ('yes_no', {'vip': True})):
            median, low, high = timed(lambda c=custom: desk.leads.inbox(manager, custom=c), repeats)
            _rows, total = desk.leads.inbox(manager, custom=custom)
            figures[name] = {'ms': round(median, 1), 'range': f'{low:.1f}–{high:.1f}', 'total': total}
        desk.ctx.engine.dispose()
    return {'leads': size, **figures}


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
