"""Where one API capture's time goes, in-process (no HTTP): a desk with `--reps` reps and
`--leads` leads captured through the import path, then `--captures` captures through
`capture_via_api` timed without and then with cProfile (the profile's top functions printed).

    python bench/capture_profile.py                      # 20 reps, 3,000 leads, 300 captures
    python bench/capture_profile.py --captures 50        # quicker
    python bench/capture_profile.py --floor              # + the SQL floor: the same statements replayed raw
    python bench/capture_profile.py --statements         # + time inside the driver, by statement kind
    python bench/capture_profile.py --statements --database-url postgresql+psycopg://postgres@127.0.0.1/postgres
                                                         # the same on a fresh PostgreSQL database (dropped after)

`--floor` answers "how fast could a capture be if our Python cost nothing?": every statement and
commit the measured captures sent to the driver is recorded, then replayed with the same
parameters on a copy of the database as it was before them, through a bare `sqlite3` connection
(same pragmas, no SQLAlchemy, no Python between statements), and compared with the bench's bare
route's work (one INSERT, one commit) on the same copy.

Not a timed assertion: a tool for reading where the time goes (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import pstats
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--leads', type=int, default=3000)
    parser.add_argument('--captures', type=int, default=300)
    parser.add_argument('--top', type=int, default=40)
    parser.add_argument('--floor', action='store_true', help='also replay the captures\' SQL on a bare connection')
    parser.add_argument('--statements', action='store_true',
                        help='also time each statement inside the driver (round trip included), by kind')
    parser.add_argument('--database-url', default=None,
                        help='a PostgreSQL server: run on a fresh database there instead of a SQLite file')
    parser.add_argument('--no-profile', action='store_true', help='skip the cProfile pass')
    args = parser.parse_args()

    from core.capture.intake import capture_rows
    from core.clock import Clock
    from core.desk import Desk
    from core.settings import Settings
    from store.engine import make_engine
    from store.models import Role
    from tests import factories

    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database_url, Path(tmp)) as url:
        desk = Desk(make_engine(url), Settings(database_url=url, storage_secret='bench'), clock=Clock())
        desk.prepare()
        for i in range(args.reps):
            factories.user(desk, Role.REP, name=f'Rep {i}', capacity=10_000, daily_quota=10_000)
        key = desk.access.check_api_key(desk.access.create_api_key(None, name='profile'))
        assert key is not None
        now = desk.ctx.now()
        with desk.ctx.write() as session:
            capture_rows(session, [{'name': f'Seed {i}', 'phone': f'13{i % 10}{i:08d}', 'source': 'ads'}
                                   for i in range(args.leads)], default_source='import', region='CN',
                         config=desk.ctx.capture_config.load(session), now=now,
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
        if args.floor:
            sql_floor(desk, Path(tmp), args.captures, lambda n: one(3_000_000 + n))
        if args.statements:
            statement_times(desk.ctx.engine, args.captures, lambda n: one(4_000_000 + n))
        if args.no_profile:
            desk.ctx.engine.dispose()
            return
        profile = cProfile.Profile()
        profile.enable()
        for n in range(args.captures):
            one(2_000_000 + n)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats('cumulative').print_stats(str(ROOT), args.top)
        stats.sort_stats('tottime').print_stats(20)
        desk.ctx.engine.dispose()


@contextlib.contextmanager
def fresh_database(server: str | None, tmp: Path) -> Iterator[str]:
    """A SQLite file in `tmp`, or a database created on the PostgreSQL `server` and dropped after."""
    if server is None:
        yield f'sqlite:///{tmp}/profile.db'
        return
    import psycopg
    import sqlalchemy as sa

    from store.bus import conninfo

    name = f'leaddesk_profile_{secrets.token_hex(3)}'
    with psycopg.connect(conninfo(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def statement_times(engine: Engine, captures: int, one: Callable[[int], None]) -> None:
    """Per capture: the statements sent and the wall time spent inside the driver's execute (the
    server's work and the round trip) by statement kind, and inside its commit; the rest is Python."""
    from sqlalchemy import event

    spent: dict[str, list[float]] = {}
    began: list[float] = []
    commits: list[float] = []

    def kind(statement: str) -> str:
        words = statement.split()
        table = next((w for prev, w in itertools.pairwise(words) if prev.upper() in ('FROM', 'INTO', 'UPDATE')), '?')
        return f'{words[0].upper()} {table.strip(chr(34))}'

    def before(*_args: Any) -> None:
        began.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        spent.setdefault(kind(statement), []).append(time.perf_counter() - began.pop())

    do_commit = engine.dialect.do_commit

    def timed_commit(dbapi_connection: Any) -> None:
        t = time.perf_counter()
        do_commit(dbapi_connection)
        commits.append(time.perf_counter() - t)

    event.listen(engine, 'before_cursor_execute', before)
    event.listen(engine, 'after_cursor_execute', after)
    engine.dialect.do_commit = timed_commit  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        for n in range(captures):
            one(n)
    finally:
        total = (time.perf_counter() - started) / captures * 1000
        engine.dialect.do_commit = do_commit  # type: ignore[method-assign]
        event.remove(engine, 'before_cursor_execute', before)
        event.remove(engine, 'after_cursor_execute', after)
    in_driver = sum(sum(v) for v in spent.values()) / captures * 1000
    committing = sum(commits) / captures * 1000
    count = sum(len(v) for v in spent.values()) / captures
    print(f'{engine.dialect.name}: {total:.2f} ms per capture; {count:.1f} statements in {in_driver:.2f} ms '
          f'+ {len(commits) / captures:.1f} commits in {committing:.2f} ms inside the driver; '
          f'the rest {total - in_driver - committing:.2f} ms Python')
    for name, times in sorted(spent.items(), key=lambda kv: -sum(kv[1]))[:15]:
        print(f'  {sum(times) / captures * 1000:6.3f} ms  {len(times) / captures:4.1f}x  {name}')


Op = tuple[str, object, bool]  # (statement or 'COMMIT', parameters, executemany)


def sql_floor(desk: object, tmp: Path, captures: int, one: object) -> None:
    """Record `captures` captures' driver calls, then replay them raw on a copy taken before them."""
    from sqlalchemy import event

    engine = desk.ctx.engine  # type: ignore[attr-defined]
    engine.dispose()
    before = tmp / 'before.db'
    with sqlite3.connect(str(tmp / 'profile.db')) as live, sqlite3.connect(str(before)) as copy:
        live.backup(copy)
    ops: list[Op] = []
    marks: list[int] = []

    def sent(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        ops.append((statement, parameters, executemany))

    def committed(_conn) -> None:  # type: ignore[no-untyped-def]
        ops.append(('COMMIT', None, False))

    event.listen(engine, 'before_cursor_execute', sent)
    event.listen(engine, 'commit', committed)
    started = time.perf_counter()
    for n in range(captures):
        marks.append(len(ops))
        one(n)  # type: ignore[operator]
    app_ms = (time.perf_counter() - started) / captures * 1000
    event.remove(engine, 'before_cursor_execute', sent)
    event.remove(engine, 'commit', committed)
    marks.append(len(ops))
    # The captures' statements, replayed as sent (the app's reads included).
    raw = sqlite3.connect(str(before), check_same_thread=False)
    for pragma in ('journal_mode=WAL', 'synchronous=NORMAL', 'foreign_keys=ON', 'busy_timeout=30000'):
        raw.execute(f'PRAGMA {pragma}')
    per_capture: list[float] = []
    for start, end in itertools.pairwise(marks):
        began = time.perf_counter()
        for statement, parameters, many in ops[start:end]:
            if statement == 'COMMIT':
                raw.commit()
            elif many:
                raw.executemany(statement, parameters)  # type: ignore[arg-type]
            else:
                raw.execute(statement, parameters).fetchall()  # type: ignore[arg-type]
        per_capture.append((time.perf_counter() - began) * 1000)
    # The bare route's work on the same connection: one INSERT, one commit.
    raw.execute('CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY, body TEXT)')
    raw.commit()
    bare: list[float] = []
    for n in range(captures):
        began = time.perf_counter()
        raw.execute('INSERT INTO bench_bare (body) VALUES (?)', (f'{{"name": "Bare {n}"}}',))
        raw.commit()
        bare.append((time.perf_counter() - began) * 1000)
    raw.close()
    for statement, _parameters, many in ops[marks[-2]:marks[-1]]:  # the last capture's, for the reader
        print(f'  {"many " if many else ""}{" ".join(statement.split())[:110]}')
    statements = (marks[-1] - marks[0]) / captures
    commits = sum(1 for op in ops if op[0] == 'COMMIT') / captures
    floor, limit = statistics.median(per_capture), statistics.median(bare)
    print(f'SQL floor: {statements:.1f} statements and {commits:.1f} commits per capture; replayed raw '
          f'{floor:.3f} ms median ({min(per_capture):.3f}–{max(per_capture):.3f}) vs the app {app_ms:.2f} ms; '
          f'bare insert + commit raw {limit:.3f} ms; floor ÷ bare {floor / limit:.1f}×')


if __name__ == '__main__':
    main()
