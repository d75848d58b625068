"""Load smoke: the real app (run.py) under a steady API capture rate, driven from this second
process on loopback, bounded in count and time. Records the rate held, p50/p99 latency,
errors, and leads answered vs leads in the database (they must be equal).

    python bench/load_smoke.py                      # 20/s for 10 s (CI smoke, ~20 s wall)
    python bench/load_smoke.py --rate 100 --seconds 300 --out bench/results/load-$(date +%F).json

Open-loop: request i is due at start + i/rate whatever earlier answers took, so a slow
server shows as latency, not as a lower offered rate. The full issue-9 run, with 20 live
pages open and the live-update delay to an open inbox, is bench/load.py.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_REQUESTS = 100_000
MAX_SECONDS = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def prepare(data: Path, reps: int) -> str:
    """A team of reps with room for every lead, and a capture key."""
    from store.models import Role
    from tests import factories

    desk = factories.make_desk(data / 'leaddesk.db')
    for i in range(reps):
        factories.user(desk, Role.REP, name=f'Rep {i}', capacity=1000, daily_quota=1000)
    key = desk.access.create_api_key(None, name='load')
    desk.ctx.engine.dispose()
    return key


def start(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data), LEADDESK_STORAGE_SECRET='load', LEADDESK_API_RATE_PER_MINUTE='100000000')
    proc = subprocess.Popen([sys.executable, 'run.py', '--port', str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    for _ in range(400):
        try:
            urllib.request.urlopen(base + '/health', timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError('run.py did not start')


def post(base: str, key: str, n: int) -> tuple[float, int]:
    return send_lead(base, key, {'name': f'Load {n}', 'phone': f'+86 139 {n // 10000:04d} {n % 10000:04d}',
                                 'external_id': f'load-{n}'})


def send_lead(base: str, key: str, lead: dict[str, str]) -> tuple[float, int]:
    """One API capture: (ms, HTTP status; 0 when the connection failed)."""
    body = json.dumps(lead).encode()
    request = urllib.request.Request(base + '/api/v1/leads', data=body, method='POST',
                                     headers={'X-API-Key': key, 'Content-Type': 'application/json'})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return (time.perf_counter() - started) * 1000, status


def open_loop(send: Callable[[int], tuple[float, int]], rate: float, total: int,
              workers: int) -> tuple[list[tuple[float, int, float]], float]:
    """Send requests 0..total-1, request i at start + i/rate whatever earlier answers took; each
    result is (ms from when it was due — a late start counts —, status, finished at). Returns the
    results and the seconds from the start to the last answer."""
    results: list[tuple[float, int, float]] = []
    lock = threading.Lock()
    t0 = time.perf_counter() + 0.2

    def one(n: int) -> None:
        delay = t0 + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        lag = max(0.0, -delay) * 1000
        ms, status = send(n)
        with lock:
            results.append((ms + lag, status, time.perf_counter()))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(total)))
    return results, max(r[2] for r in results) - t0


def percentile(sorted_values: Sequence[float], p: float) -> float:
    return sorted_values[max(0, int(len(sorted_values) * p) - 1)]


def run(rate: float, seconds: float, reps: int, workers: int) -> dict:
    total = min(MAX_REQUESTS, int(rate * min(seconds, MAX_SECONDS)))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / 'data'
        key = prepare(data, reps)
        proc, base = start(data)
        try:
            results, elapsed = open_loop(lambda n: post(base, key, n), rate, total, workers)
        finally:
            proc.terminate()
            proc.wait(20)
        with sqlite3.connect(data / 'leaddesk.db') as c:
            stored = c.execute("SELECT count(*) FROM leads WHERE name LIKE 'Load %'").fetchone()[0]
    latencies = sorted(r[0] for r in results)
    ok = sum(1 for r in results if 200 <= r[1] < 300)
    return {
        'when': datetime.now(UTC).isoformat(timespec='seconds'), 'offered_rate': rate, 'seconds': seconds,
        'requests': total, 'held_rate': round(total / elapsed, 1), 'answered_2xx': ok,
        'errors': total - ok, 'stored': stored, 'p50_ms': round(statistics.median(latencies), 1),
        'p99_ms': round(percentile(latencies, 0.99), 1), 'max_ms': round(latencies[-1], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rate', type=float, default=20.0, help='captures per second offered')
    parser.add_argument('--seconds', type=float, default=10.0, help=f'duration (at most {MAX_SECONDS})')
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--workers', type=int, default=32, help='client threads (enough to keep the rate)')
    parser.add_argument('--out', type=Path, default=None, help='write the figures as JSON here')
    args = parser.parse_args()
    figures = run(args.rate, args.seconds, args.reps, args.workers)
    print(json.dumps(figures, indent=1))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + '\n')
    good = figures['errors'] == 0 and figures['stored'] == figures['answered_2xx'] == figures['requests']
    return 0 if good else 1


if __name__ == '__main__':
    sys.exit(main())
