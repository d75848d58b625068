"""How fast is the search (issue 21)? Server time of the header's search (`desk.search.search`) and of
the inbox's free-text filter (`desk.leads.inbox(search=…)`) at 10k and 1M leads, on SQLite (FTS5
trigram) and PostgreSQL (pg_trgm GIN), against the old full scan (`LIKE '%…%'` over name, company,
phone and email, the inbox's filter before the index) and a primary-key read in the same run.

    python bench/search.py --leads 10000                    # SQLite and PostgreSQL
    python bench/search.py --leads 1000000 --repeats 7      # the issue's size
    python bench/search.py --leads 1000000 --backends sqlite --keep /tmp/search-1m.db  # build once

Leads get Chinese names (a surname and one or two characters), company names (city + brand +
suffix: each brand ~1/300 of the leads) and emails; `bench.dataset` gives the statuses and owners.
The documents are built by `search_index.rebuild` (timed: what migration 0028 costs at that size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.dataset import build  # noqa: E402
from bench.tick import timed  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from core.desk import Desk  # noqa: E402
from core.settings import Settings  # noqa: E402
from store import search_index  # noqa: E402
from store.engine import make_engine, read_session  # noqa: E402
from store.models import Lead, UserRef  # noqa: E402
from store.queries.search import like_pattern  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REPS = 20
PG_SERVER = os.environ.get('LEADDESK_BENCH_PG', 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres')
SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈'
GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯'
CITIES = ('北京', '上海', '深圳', '广州', '杭州', '成都', '苏州', '南京', '武汉', '西安')
BRANDS = tuple(a + b for a in '华星宏远鑫达盛恒泰金' for b in '科通源信海力创博瑞祥迅德安隆康兴晨翔辰洲联益嘉荣邦拓')
SUFFIXES = ('科技有限公司', '贸易有限公司', '电子有限公司', '网络科技有限公司', '实业有限公司', 'Co., Ltd.')


def _people(size: int, rng: random.Random) -> list[tuple[str, str, str, int]]:
    rows = []
    for i in range(1, size + 1):
        name = rng.choice(SURNAMES) + ''.join(rng.choice(GIVEN) for _ in range(rng.choice((1, 1, 2))))
        company = rng.choice(CITIES) + rng.choice(BRANDS) + rng.choice(SUFFIXES)
        rows.append((name, company, f'contact{i}@{rng.choice(("qq.com", "163.com", "corp.cn"))}', i))
    return rows


def make_sqlite(path: Path, size: int) -> Desk:
    desk = build(path, size, now=NOW, reps=REPS, open_days=30)
    raw = desk.ctx.engine.raw_connection()
    try:
        raw.cursor().executemany('UPDATE leads SET name = ?, company = ?, email = ? WHERE id = ?',
                                 _people(size, random.Random(21)))
        raw.commit()
    finally:
        raw.close()
    return desk


def make_postgres(source: Desk, size: int) -> tuple[Desk, str]:
    """A fresh PostgreSQL database migrated to head, holding the SQLite database's users and leads."""
    name = f'leaddesk_bench_search_{os.getpid()}'
    admin = sa.create_engine(PG_SERVER, isolation_level='AUTOCOMMIT')
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS {name}')
        c.exec_driver_sql(f'CREATE DATABASE {name}')
    admin.dispose()
    url = PG_SERVER.rsplit('/', 1)[0] + '/' + name
    desk = Desk(make_engine(url), Settings(database_url=url, storage_secret='bench'))
    desk.prepare()
    users = ('id', 'email', 'name', 'password_hash', 'role', 'is_active', 'capacity', 'daily_quota', 'seniority',
             'regions', 'is_on_leave', 'failed_logins', 'session_version', 'open_leads')
    leads = ('id', 'name', 'phone', 'phone_norm', 'email', 'company', 'source', 'status', 'owner_id', 'score',
             'grade', 'temperature', 'touch_count', 'created_at', 'updated_at', 'assigned_at', 'sla_status',
             'protected_until', 'protection_max_at', 'previous_owner_id', 'version', 'is_deleted', 'recycle_count',
             'next_follow_up_at', 'last_activity_at', 'score_reasons')
    with source.ctx.engine.connect() as src, desk.ctx.engine.begin() as dst:
        cursor = dst.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for table, columns in (('users', users), ('leads', leads)):
            with cursor.copy(f'COPY {table} ({", ".join(columns)}) FROM STDIN') as copy:
                for row in src.exec_driver_sql(f'SELECT {", ".join(columns)} FROM {table} ORDER BY id'):
                    copy.write_row([bool(v) if c in ('is_active', 'is_on_leave', 'is_deleted') else v
                                    for c, v in zip(columns, row, strict=True)])
        for table in ('users', 'leads'):
            dst.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))")
    with desk.ctx.engine.connect().execution_options(isolation_level='AUTOCOMMIT') as c:
        c.exec_driver_sql('VACUUM ANALYZE leads')
    return desk, name


def drop_postgres(name: str) -> None:
    admin = sa.create_engine(PG_SERVER, isolation_level='AUTOCOMMIT')
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS {name}')
    admin.dispose()


def old_scan(desk: Desk, term: str) -> Callable[[], Any]:
    """The inbox's filter before the index: a manager's first page by LIKE over four columns."""
    like = like_pattern(term)
    columns = (Lead.name, Lead.company, Lead.phone_norm, Lead.email)  # type: ignore[var-annotated]
    query = (sa.select(Lead.id).where(sa.or_(*(sa.func.lower(c).like(like.lower(), escape='\\') for c in columns)))
             .order_by(Lead.grade, Lead.created_at.desc()).limit(25))  # type: ignore[union-attr]

    def run() -> None:
        with read_session(desk.ctx.engine) as s:
            s.execute(query).all()
    return run


def measure(desk: Desk, size: int, repeats: int) -> dict[str, Any]:
    desk.ctx.clock = FakeClock(NOW)
    rep = UserRef(id=1, name='Rep 0', email='rep0@bench.test', role='rep')
    manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role='manager')
    with read_session(desk.ctx.engine) as s:
        probe = s.get(Lead, size // 2)
        assert probe is not None and probe.phone_norm and probe.company
    phone = probe.phone_norm[3:]  # 139xxxxxxxx
    terms = {
        'phone, +86 spaced': f'+86 {phone[:3]} {phone[3:7]} {phone[7:]}',
        'phone, dashes': f'{phone[:3]}-{phone[3:7]}-{phone[7:]}',
        'phone, last 4': phone[-4:],
        'name, 2 characters': probe.name[:2],
        'brand, 2 characters inside a company': probe.company[2:4],
        'company brand, 3+ characters': probe.company[2:5],
        'email': probe.email.split('@')[0] if probe.email else '',
        'common, 有限公司': '有限公司',
        'no match': '不存在的公司',
    }

    def point() -> None:
        with read_session(desk.ctx.engine) as s:
            s.get(Lead, size // 3)
            s.expunge_all()

    found: dict[str, Any] = {'point_query_ms': round(timed(point, 50)[0], 3)}
    for label, term in terms.items():
        row: dict[str, Any] = {'term': term}
        for who, actor in (('manager', manager), ('rep', rep)):
            median, low, high = timed(lambda a=actor, x=term: desk.search.search(a, x), repeats)
            row[f'search_{who}_ms'] = [round(median, 2), round(low, 2), round(high, 2)]
            median, low, high = timed(lambda a=actor, x=term: desk.leads.inbox(a, search=x), repeats)
            row[f'inbox_{who}_ms'] = [round(median, 2), round(low, 2), round(high, 2)]
        hits = desk.search.search(manager, term)
        row['manager_hits'] = len(hits.leads) + len(hits.opportunities) + len(hits.customers)
        found[label] = row
    if size >= 100_000:
        median, low, high = timed(old_scan(desk, terms['company brand, 3+ characters']), 2)
        found['old_like_scan_ms'] = [round(median, 1), round(low, 1), round(high, 1)]
    else:
        median, low, high = timed(old_scan(desk, terms['company brand, 3+ characters']), repeats)
        found['old_like_scan_ms'] = [round(median, 2), round(low, 2), round(high, 2)]
    return found


def open_sqlite(path: Path) -> Desk:
    url = f'sqlite:///{path}'
    return Desk(make_engine(url), Settings(database_url=url, storage_secret='bench'))


def run(size: int, backends: list[str], repeats: int, keep: Path | None = None) -> list[dict[str, Any]]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = keep or Path(tmp) / 'bench.db'
        desk = open_sqlite(path) if path.exists() else make_sqlite(path, size)
        built = time.perf_counter() - t0
        for backend in backends:
            name = None
            target = desk
            if backend == 'postgresql':
                target, name = make_postgres(desk, size)
            t1 = time.perf_counter()
            with target.ctx.engine.begin() as connection:
                indexed = connection.exec_driver_sql('SELECT count(*) FROM search_docs').scalar()
                if not indexed:  # (a kept database is indexed already)
                    search_index.rebuild(connection)
            rebuilt = time.perf_counter() - t1
            if backend == 'postgresql':
                with target.ctx.engine.connect().execution_options(isolation_level='AUTOCOMMIT') as c:
                    c.exec_driver_sql('VACUUM ANALYZE search_docs')
            print(f'{backend} {size:,}: rebuilt the index in {rebuilt:.1f} s', file=sys.stderr)
            try:
                out.append({'backend': backend, 'leads': size, 'build_s': round(built, 1),
                            'index_rebuild_s': round(rebuilt, 1), **measure(target, size, repeats)})
            finally:
                if name is not None:
                    target.ctx.engine.dispose()
                    drop_postgres(name)
        desk.ctx.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--leads', type=int, default=10_000)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--backends', default='sqlite,postgresql')
    parser.add_argument('--out', default=None)
    parser.add_argument('--keep', default=None, help='build the SQLite database here once and reuse it')
    args = parser.parse_args()
    results = run(args.leads, args.backends.split(','), args.repeats, Path(args.keep) if args.keep else None)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    if args.out:
        Path(args.out).write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(),
                                              'commit': commit, 'at': datetime.now(UTC).isoformat(timespec='seconds'),
                                              'results': results}, indent=1, ensure_ascii=False))


if __name__ == '__main__':
    main()
