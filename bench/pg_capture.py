"""API capture throughput: 1, 2 and 4 app processes on PostgreSQL vs one process on SQLite.

    python bench/pg_capture.py                          # 10 s per run, 2 runs per shape, concurrency 32
    python bench/pg_capture.py --seconds 20 --runs 3 --out bench/results/pg_capture-$(date +%F).json

Each shape gets a fresh database (PostgreSQL: created on `LEADDESK_TEST_PG_URL`'s server and
dropped after; SQLite: a temp file) with an admin, 10 reps of ample capacity and an API key,
then N `run.py` processes. A closed loop of `--concurrency` client threads (one keep-alive
connection each, spread round-robin over the processes) posts distinct leads for `--seconds`.
Recorded per run: captures/s, p50/p99 latency, errors, and the check that every answered lead is
in the database once and no lead was assigned twice.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from core.clock import Clock  # noqa: E402
from store.bus import conninfo  # noqa: E402
from store.engine import make_engine  # noqa: E402
from store.models import Role  # noqa: E402
from tests import factories  # noqa: E402

PG_DEFAULT = 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Database:
    """A fresh database for one shape: PostgreSQL (created, dropped) or a SQLite temp file."""

    def __init__(self, engine_name: str, folder: Path) -> None:
        self.engine_name = engine_name
        if engine_name == 'sqlite':
            self.url = f'sqlite:///{folder / "bench.db"}'
            self._admin = None
        else:
            server = os.environ.get('LEADDESK_TEST_PG_URL') or PG_DEFAULT
            self.name = f'leaddesk_bench_{os.getpid()}_{secrets.token_hex(3)}'
            self._admin = psycopg.connect(conninfo(server), autocommit=True)
            self._admin.execute(f'CREATE DATABASE "{self.name}"')
            self.url = sa.engine.make_url(server).set(database=self.name).render_as_string(hide_password=False)

    def seed(self) -> str:
        desk = factories.make_desk(self.url, clock=Clock())
        factories.admin(desk)
        for i in range(10):
            factories.user(desk, Role.REP, name=f'Bench Rep {i}', capacity=10_000, daily_quota=10_000)
        key = desk.access.create_api_key(None, name='bench')
        desk.ctx.engine.dispose()
        return key

    def check(self, answered: set[int]) -> dict[str, object]:
        engine = make_engine(self.url)
        with engine.connect() as c:
            stored = c.execute(sa.text('SELECT count(*) FROM leads')).scalar_one()
            twice = c.execute(sa.text(
                "SELECT count(*) FROM (SELECT lead_id FROM audit_entries WHERE action = 'assigned'"
                ' GROUP BY lead_id HAVING count(*) > 1) t')).scalar_one()
        engine.dispose()
        return {'stored': stored, 'answered': len(answered), 'assigned_twice': twice,
                'ok': stored == len(answered) and twice == 0}

    def drop(self) -> None:
        if self._admin is not None:
            self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin.close()


def start_processes(url: str, count: int, folder: Path) -> list[tuple[subprocess.Popen[bytes], int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATABASE_URL=url, LEADDESK_STORAGE_SECRET='bench', LEADDESK_TICK_SECONDS='30',
               LEADDESK_API_RATE_PER_MINUTE='10000000', LEADDESK_DEMO_STREAM_SECONDS='3600')
    processes = []
    for i in range(count):
        port = free_port()
        data = folder / f'p{i}'
        data.mkdir(exist_ok=True)
        log = (data / 'server.log').open('wb')
        process = subprocess.Popen([sys.executable, 'run.py', '--port', str(port)], cwd=ROOT,
                                   env=env | {'LEADDESK_DATA_DIR': str(data)}, stdout=log, stderr=subprocess.STDOUT)
        processes.append((process, port))
    for process, port in processes:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f'run.py exited with {process.returncode}')
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    return processes


def load(ports: list[int], key: str, seconds: float, concurrency: int, tag: str) -> dict[str, object]:
    latencies: list[float] = []
    answered: set[int] = set()
    errors = 0
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.monotonic() + seconds

    def client(i: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection('127.0.0.1', ports[i % len(ports)], timeout=60)
        mine: list[float] = []
        ids: list[int] = []
        bad = 0
        while time.monotonic() < stop_at:
            n = next(counter)
            body = json.dumps({'name': f'Bench {tag} {n}', 'phone': f'+86 138 {n // 10000:04d} {n % 10000:04d}'})
            started = time.perf_counter()
            try:
                conn.request('POST', '/api/v1/leads', body=body,
                             headers={'X-API-Key': key, 'Content-Type': 'application/json'})
                response = conn.getresponse()
                payload = response.read()
                if response.status == 201:
                    ids.append(json.loads(payload)['id'])
                    mine.append(time.perf_counter() - started)
                else:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection('127.0.0.1', ports[i % len(ports)], timeout=60)
        conn.close()
        with lock:
            latencies.extend(mine)
            answered.update(ids)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {'captures': len(answered), 'per_second': round(len(answered) / elapsed, 1), 'errors': errors,
            'p50_ms': round(1000 * statistics.median(latencies), 1) if latencies else None,
            'p99_ms': round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None,
            '_answered': answered}


def run_shape(engine_name: str, processes: int, args: argparse.Namespace) -> dict[str, object]:
    runs = []
    for r in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(engine_name, Path(tmp))
            try:
                key = db.seed()
                procs = start_processes(db.url, processes, Path(tmp))
                try:
                    result = load([p for _, p in procs], key, args.seconds, args.concurrency, f'{r}')
                finally:
                    for process, _ in procs:
                        process.terminate()
                    for process, _ in procs:
                        process.wait(20)
                answered = result.pop('_answered')
                result['check'] = db.check(answered)  # type: ignore[arg-type]
                runs.append(result)
                print(f'{engine_name} ×{processes} run {r + 1}: {result}', file=sys.stderr)
            finally:
                db.drop()
    rates = [float(r['per_second']) for r in runs]  # type: ignore[arg-type]
    return {'engine': engine_name, 'processes': processes, 'median_per_second': statistics.median(rates),
            'min_per_second': min(rates), 'max_per_second': max(rates), 'runs': runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=10)
    parser.add_argument('--runs', type=int, default=2)
    parser.add_argument('--concurrency', type=int, default=32)
    parser.add_argument('--shapes', default='sqlite:1,postgresql:1,postgresql:2,postgresql:4')
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    shapes = [(s.split(':')[0], int(s.split(':')[1])) for s in args.shapes.split(',')]
    load_before = os.getloadavg()
    results = [run_shape(engine_name, n, args) for engine_name, n in shapes]
    report = {'bench': 'pg_capture', 'at': datetime.now(UTC).isoformat(timespec='seconds'),
              'seconds': args.seconds, 'runs': args.runs, 'concurrency': args.concurrency,
              'cpus': os.cpu_count(), 'loadavg_before': load_before, 'loadavg_after': os.getloadavg(),
              'results': results}
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + '\n')
    print('| engine | processes | captures/s median (min–max) | p50 ms | p99 ms | errors '
          '| stored = answered, none assigned twice |')
    print('|---|---|---|---|---|---|---|')
    for r in results:
        last = r['runs'][-1]  # type: ignore[index]
        print(f"| {r['engine']} | {r['processes']} | {r['median_per_second']:.0f} ({r['min_per_second']:.0f}–"
              f"{r['max_per_second']:.0f}) | {last['p50_ms']} | {last['p99_ms']} | "
              f"{sum(x['errors'] for x in r['runs'])} | {all(x['check']['ok'] for x in r['runs'])} |")  # type: ignore[index]


if __name__ == '__main__':
    main()
