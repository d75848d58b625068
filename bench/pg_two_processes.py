"""Two app processes on one PostgreSQL database against one, and two checkouts side by side (issue 24).

    python bench/pg_two_processes.py --trees base=/tmp/base,branch=. --rounds 5 --seconds 10

Per checkout ("tree"): a fresh database (created on `LEADDESK_TEST_PG_URL`'s server, dropped after)
seeded by that tree's code with an admin, 10 reps of ample capacity (10⁶) and an API key, and two
`bench/api_server.py --mode nicegui` processes of that tree on it (the production server shape).
Then rounds, interleaved so the box's load falls on every cell alike: in each round, for each tree
and each concurrency, wrk posts fresh leads (bench/capture.lua) for `--seconds` to one process
with all the connections, then to both at once with half each (balanced by port, as a proxy
would). Each cell is the median over rounds. After the rounds each database is checked: leads
stored + duplicates touched = captures answered (plus the requests in flight when each wrk
stopped, one per connection, which the servers still store; bench/pg_capture.py checks sent = stored
exactly), and no lead assigned twice. Each wrk gets its own seed (`BENCH_SEED`) and a 60 s timeout.

Not a timed assertion: read the ratios within one run (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_DEFAULT = 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres'
SEED = '''
import sys
from core.clock import Clock
from store.models import Role
from tests import factories
desk = factories.make_desk(sys.argv[1], clock=Clock())
factories.admin(desk)
for i in range(10):
    factories.user(desk, Role.REP, name=f'Bench Rep {i}', capacity=10_000, daily_quota=10_000)
print(desk.access.create_api_key(None, name='bench'))
desk.ctx.engine.dispose()
'''


def psql(server: str, sql: str, database: str = 'postgres') -> str:
    import sqlalchemy as sa

    url = sa.engine.make_url(server).set(drivername='postgresql', database=database)
    return subprocess.run(['psql', url.render_as_string(hide_password=False), '-Atc', sql], check=True,
                          capture_output=True, text=True).stdout.strip()


class Tree:
    """One checkout: its database and its two server processes."""

    def __init__(self, name: str, root: Path, server: str, ports: tuple[int, int], folder: Path) -> None:
        import sqlalchemy as sa

        self.name, self.root, self.server = name, root, server
        self.db = f'leaddesk_two_{name}_{secrets.token_hex(3)}'
        psql(server, f'CREATE DATABASE "{self.db}"')
        self.url = sa.engine.make_url(server).set(database=self.db).render_as_string(hide_password=False)
        python = str(root / '.venv' / 'bin' / 'python')
        self.key = subprocess.run([python, '-c', SEED, self.url], cwd=root, check=True, capture_output=True,
                                  text=True).stdout.strip().splitlines()[-1]
        # more room than the form allows: five rounds bring more than 10 × 10,000 leads, and a full
        # team would pool them (other work) — the bench wants every capture assigned
        psql(server, "UPDATE users SET capacity = 1000000, daily_quota = 1000000 WHERE role = 'rep'", self.db)
        env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
        env.update(LEADDESK_DATABASE_URL=self.url, LEADDESK_STORAGE_SECRET='bench', LEADDESK_TICK_SECONDS='30',
                   LEADDESK_API_RATE_PER_MINUTE='100000000', LEADDESK_DEMO_STREAM_SECONDS='3600')
        self.processes: list[subprocess.Popen[bytes]] = []
        self.bases = [f'http://127.0.0.1:{p}' for p in ports]
        for port in ports:  # a stale server of an earlier run would answer for ours (thousands of "errors")
            with socket.socket() as probe:
                if probe.connect_ex(('127.0.0.1', port)) == 0:
                    raise SystemExit(f'port {port} answers already: stop that server or pass --port')
        for i, port in enumerate(ports):
            data = folder / f'{name}-{i}'
            data.mkdir(parents=True, exist_ok=True)
            self.processes.append(subprocess.Popen(
                [python, str(root / 'bench' / 'api_server.py'), '--mode', 'nicegui', '--port', str(port)], cwd=root,
                env=env | {'LEADDESK_DATA_DIR': str(data), 'NICEGUI_STORAGE_PATH': str(data / 'sessions')},
                stdout=(data / 'server.log').open('wb'), stderr=subprocess.STDOUT))
        for base in self.bases:
            for _ in range(600):
                try:
                    urllib.request.urlopen(base + '/health', timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f'{name}: {base} did not start')

    def check(self, created: int, in_flight: int) -> dict[str, object]:
        """`in_flight`: connections summed over the cells: wrk stops with up to one request per
        connection sent but not counted, which the server still stores."""
        stored = int(psql(self.server, 'SELECT count(*) FROM leads', self.db))
        touched = int(psql(self.server, "SELECT count(*) FROM audit_entries WHERE action = 'touched'", self.db))
        twice = int(psql(self.server, "SELECT count(*) FROM (SELECT lead_id FROM audit_entries WHERE action = "
                                      "'assigned' GROUP BY lead_id HAVING count(*) > 1) t", self.db))
        return {'stored': stored, 'touched': touched, 'answered': created, 'in_flight_at_most': in_flight,
                'assigned_twice': twice, 'ok': created <= stored + touched <= created + in_flight and twice == 0}

    def close(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            p.wait(30)
        psql(self.server, f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')


def wrk(base: str, key: str, connections: int, seconds: float) -> dict[str, float]:
    out = subprocess.run(['wrk', '-t1', f'-c{connections}', f'-d{int(seconds)}s', '--timeout', '60s', '--latency',
                          '-s', str(ROOT / 'bench' / 'capture.lua'), base],
                         env=dict(os.environ, BENCH_KEY=key, BENCH_SEED=str(secrets.randbelow(10**9))),
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith('RESULT'))
    requests, socket_errors, status_errors, _dur, _, p50, p99, rate = line.split()[1:]
    return {'rps': float(rate), 'p50_ms': float(p50), 'p99_ms': float(p99),
            'errors': int(socket_errors) + int(status_errors), 'created': int(requests) - int(status_errors)}


class WaitSampler:
    """What the tree's server connections wait on, sampled from `pg_stat_activity` every 20 ms
    while a cell runs: (wait event, the statement's first words) → samples. A backend that waits
    on a row lock shows `Lock transactionid` with the statement that wants the row."""

    def __init__(self, server: str, database: str) -> None:
        import psycopg

        from store.bus import conninfo

        self.counts: Counter[tuple[str, str]] = Counter()
        self.samples = 0
        self._database = database
        self._connection = psycopg.connect(conninfo(server), autocommit=True)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WaitSampler:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        query = ("SELECT coalesce(wait_event_type || ' ' || wait_event, 'on CPU'), "
                 "left(regexp_replace(query, '\\s+', ' ', 'g'), 48) FROM pg_stat_activity "
                 "WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()")
        while not self._stop.wait(0.02):
            self.samples += 1
            for event, statement in self._connection.execute(query, (self._database,)).fetchall():
                self.counts[(event, statement)] += 1

    def report(self, top: int = 8) -> list[str]:
        return [f'{n / max(self.samples, 1):5.2f} backends  {event:28} {statement}'
                for (event, statement), n in self.counts.most_common(top)]


def shape(tree: Tree, processes: int, connections: int, seconds: float) -> dict[str, float]:
    """wrk on one process with every connection, or on both with half each, at once."""
    results: list[dict[str, float]] = []
    lock = threading.Lock()

    def one(base: str, c: int) -> None:
        r = wrk(base, tree.key, c, seconds)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=one, args=(base, connections // processes))
               for base in tree.bases[:processes]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {'rps': sum(r['rps'] for r in results), 'p99_ms': max(r['p99_ms'] for r in results),
            'errors': sum(r['errors'] for r in results), 'created': sum(r['created'] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--trees', default=f'branch={ROOT}', help='name=path,… (each with a .venv)')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--seconds', type=float, default=10)
    parser.add_argument('--concurrency', default='8,32')
    parser.add_argument('--port', type=int, default=8111, help='first of 2 per tree')
    parser.add_argument('--out', default=None)
    parser.add_argument('--sample-waits', action='store_true',
                        help='sample pg_stat_activity during the two-process cells: what the servers wait on')
    args = parser.parse_args()
    server = os.environ.get('LEADDESK_TEST_PG_URL') or PG_DEFAULT
    folder = Path(f'/tmp/pg_two_{os.getpid()}')
    specs = [(n, Path(p).resolve()) for n, p in (s.split('=') for s in args.trees.split(','))]
    concurrencies = [int(c) for c in args.concurrency.split(',')]
    trees: list[Tree] = []
    cells: dict[tuple[str, int, int], list[dict[str, float]]] = {}
    created: dict[str, int] = {}
    samplers: dict[tuple[str, int], WaitSampler] = {}
    load_before = os.getloadavg()
    try:
        for i, (name, root) in enumerate(specs):
            trees.append(Tree(name, root, server, (args.port + 2 * i, args.port + 2 * i + 1), folder))
        for tree in trees:  # warm both processes up (imports, first queries, the pool)
            created[tree.name] = int(shape(tree, 2, 8, 3)['created'])
        loads = []
        for r in range(args.rounds):
            for tree in trees:
                for c in concurrencies:
                    for n in (1, 2):
                        if args.sample_waits and n == 2:
                            with samplers.setdefault((tree.name, c), WaitSampler(server, tree.db)):
                                result = shape(tree, n, c, args.seconds)
                        else:
                            result = shape(tree, n, c, args.seconds)
                        created[tree.name] += int(result['created'])
                        cells.setdefault((tree.name, c, n), []).append(result)
                        print(f'round {r + 1} {tree.name} c{c} ×{n}: {result}', file=sys.stderr, flush=True)
            loads.append(os.getloadavg()[0])
        in_flight = 8 + args.rounds * 2 * sum(concurrencies)
        checks = {t.name: t.check(created[t.name], in_flight) for t in trees}
    finally:
        for tree in trees:
            tree.close()
    report = {'bench': 'pg_two_processes', 'at': datetime.now(UTC).isoformat(timespec='seconds'),
              'rounds': args.rounds, 'seconds': args.seconds, 'cpus': os.cpu_count(), 'loadavg_before': load_before,
              'loadavg_per_round': loads, 'checks': checks,
              'cells': {f'{t}|c{c}|x{n}': v for (t, c, n), v in cells.items()}}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + '\n')
    print('| tree | concurrency | 1 process captures/s (median, min–max) | 2 processes | 2 ÷ 1 (median of '
          'per-round ratios) | p99 ms 1 / 2 | errors | stored = answered, none twice |')
    print('|---|---|---|---|---|---|---|---|')
    for tree in trees:
        for c in concurrencies:
            one, two = cells[(tree.name, c, 1)], cells[(tree.name, c, 2)]
            r1, r2 = [x['rps'] for x in one], [x['rps'] for x in two]
            ratio = statistics.median(b / a for a, b in zip(r1, r2, strict=True))
            p99 = [statistics.median(x['p99_ms'] for x in cell) for cell in (one, two)]
            print(f'| {tree.name} | {c} | {statistics.median(r1):.0f} ({min(r1):.0f}–{max(r1):.0f}) | '
                  f'{statistics.median(r2):.0f} ({min(r2):.0f}–{max(r2):.0f}) | {ratio:.2f}× | '
                  f'{p99[0]:.0f} / {p99[1]:.0f}'
                  f' | {sum(x["errors"] for x in one + two):.0f} | {checks[tree.name]["ok"]} |')
    for (name, c), sampler in samplers.items():
        print(f'\n{name}, concurrency {c}, two processes: mean active backends by wait (of {sampler.samples} samples)')
        print('\n'.join(sampler.report()))
    print(f'load average: before {load_before[0]:.1f}, after each round {", ".join(f"{x:.1f}" for x in loads)}')


if __name__ == '__main__':
    main()
