"""How fast is an import end to end (read the file → map → capture path in batches → assign →
row outcomes committed with the job), against a raw `executemany` of the same rows into a bare
table on the same machine in the same run?

    python bench/import.py --quick                 # 2,000 rows (CI smoke)
    python bench/import.py --rows 100000 --runs 3  # the issue's size; median (min–max) of the runs

Each run reports wall-clock rows/s and CPU rows/s (the process's own CPU time: on a box shared
with other work the wall clock measures the neighbours too), the raw `executemany` of the same
rows in the same run, and the ratio of the two wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.clock import FakeClock  # noqa: E402
from core.imports.file import data_rows  # noqa: E402
from core.imports.mapping import row_data  # noqa: E402
from store.models import Role  # noqa: E402
from store.wal import WalCheckpointer  # noqa: E402
from tests import factories  # noqa: E402

SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'
GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英'
CITIES = ('北京', '上海', '广州', '深圳', '杭州', '成都', '武汉', '南京')
SOURCES = ('展会', '官网', '广告', '推荐', '', '电话')


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Realistic rows: 2% repeat an earlier phone (duplicates), 1% have no name (fail)."""
    rng = random.Random(seed)
    lines = ['姓名,手机,公司名称,邮箱,来源,城市']
    for i in range(rows):
        name = '' if rng.random() < 0.01 else rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f'1{3 + i % 7}{(i if rng.random() > 0.02 else rng.randrange(max(i, 1))):09d}'
        company = f'{rng.choice(CITIES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}科技有限公司'
        email = f'u{i}@example{i % 500}.cn' if rng.random() < 0.5 else ''
        lines.append(f'{name},{phone},{company},{email},{rng.choice(SOURCES)},{rng.choice(CITIES)}')
    path.write_text('\n'.join(lines), encoding='gb18030')


def raw_executemany(path: Path, database: Path) -> float:
    """The floor: parse, map, insert the mapped values with one executemany and one commit."""
    start = time.perf_counter()
    rows = data_rows(path)
    mapping = ['name', 'phone', 'company', 'email', 'source', 'city']
    values = [tuple(row_data(cells, mapping)[0].get(f) for f in mapping) for _, cells in rows]
    connection = sqlite3.connect(database)
    connection.execute('PRAGMA journal_mode=WAL')
    connection.execute('PRAGMA synchronous=NORMAL')
    connection.execute('CREATE TABLE leads (name, phone, company, email, source, city)')
    with connection:
        connection.executemany('INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?)', values)
    connection.close()
    return time.perf_counter() - start


def run(rows: int, reps: int, batch_rows: int | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / 'leads.csv'
        make_csv(source, rows)
        raw = raw_executemany(source, folder / 'raw.db')
        desk = factories.make_desk(folder / 'bench.db', FakeClock())
        desk.ctx.settings.data_dir = folder / 'data'
        for i in range(reps):
            factories.user(desk, Role.REP, name=f'Rep {i}', capacity=10_000, daily_quota=10_000)
        actor = factories.admin(desk)
        if batch_rows:
            desk.imports.batch_rows = batch_rows
        load = os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        draft = desk.imports.upload(actor, source.name, source.read_bytes())
        with WalCheckpointer(desk.ctx.engine):  # as the running app does (store/wal.py)
            desk.imports.start(actor, draft.job_id, draft.mapping, background=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        p = desk.imports.progress(actor, draft.job_id)
    return {'rows': rows, 'reps': reps, 'batch_rows': desk.imports.batch_rows, 'import_seconds': round(seconds, 2),
            'import_rows_per_s': round(rows / seconds), 'import_cpu_rows_per_s': round(rows / cpu),
            'raw_seconds': round(raw, 3), 'raw_rows_per_s': round(rows / raw), 'ratio': round(seconds / raw, 1),
            'created': p.created, 'joined': p.joined, 'failed': p.failed,
            'load_before': round(load, 1), 'load_after': round(os.getloadavg()[0], 1)}


def summary(runs: list[dict[str, object]]) -> dict[str, object]:
    """Median (min–max) of each figure over the runs."""
    keys = ('import_rows_per_s', 'import_cpu_rows_per_s', 'raw_rows_per_s', 'ratio')
    return {k: {'median': statistics.median(float(r[k]) for r in runs),  # type: ignore[arg-type]
                'min': min(float(r[k]) for r in runs), 'max': max(float(r[k]) for r in runs)}  # type: ignore[arg-type]
            for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--rows', type=int, default=100_000)
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--batch-rows', type=int, default=None, help='rows per transaction (default: the setting)')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    runs = [run(2_000 if args.quick else args.rows, args.reps, args.batch_rows) for _ in range(max(1, args.runs))]
    result: dict[str, object] = {**runs[0]} if len(runs) == 1 else {'runs': runs, **summary(runs)}
    result.update(python=platform.python_version(), sqlite=sqlite3.sqlite_version, cores=os.cpu_count(),
                  machine=platform.machine(), at=datetime.now(UTC).isoformat(timespec='seconds'))
    print(json.dumps(result, indent=1))
    if not args.quick:
        out = ROOT / 'bench' / 'results' / f'import-{datetime.now(UTC).date()}.json'
        out.write_text(json.dumps(result, indent=1) + '\n')


if __name__ == '__main__':
    main()
