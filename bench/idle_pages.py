"""Pages nobody connects to (issue 18): plain GETs of NiceGUI pages whose browser never opens the
socket — a crawler, a health probe, `curl` — against the real server in a subprocess.

5,000 GETs of `/login` without a cookie and 5,000 GETs of the inbox (`/`) with a manager's valid
session cookie, 8 at a time, while the API captures leads at a steady rate. Recorded: the server's
VmRSS before, right after and once it has gone quiet again (target: within 50 MB of before), its
peak (VmHWM), the GETs' latency and statuses, the captures' latency before and during the GETs,
and the files left in `data/sessions/`.

    python bench/idle_pages.py --quick     # 200 + 200 GETs (smoke: asserts every GET answered 200)
    python bench/idle_pages.py             # 5,000 + 5,000; writes bench/results/idle-pages-<date>.json
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import record  # noqa: E402
from bench.load import login_cookies, pct, post, prepare, start  # noqa: E402
from bench.server_rss import memory, quiet  # noqa: E402

TARGET_MB = 50.0
CAPTURE_RATE = 5.0
"""Captures per second during the GETs: the manager's inbox would hear every one of them."""


def get(url: str, cookie: str | None) -> tuple[float, int]:
    headers = {'Accept-Language': 'en-US', 'User-Agent': 'curl/8.5.0'}
    if cookie:
        headers['Cookie'] = cookie
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return (time.perf_counter() - started) * 1000, status


class Captures:
    """API captures at a steady rate on a thread of their own, latency per capture."""

    def __init__(self, base: str, key: str, first: int) -> None:
        self.base, self.key, self.n = base, key, first
        self.latencies: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        due = time.perf_counter()
        while not self._stop.is_set():
            ms, status = post(self.base, self.key, self.n, {})
            self.n += 1
            self.latencies.append(ms)
            self.errors += not 200 <= status < 300
            due += 1 / CAPTURE_RATE
            time.sleep(max(0.0, due - time.perf_counter()))

    def __enter__(self) -> Captures:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def summary(self) -> dict[str, Any]:
        return {'captures': len(self.latencies), 'errors': self.errors,
                'p50_ms': pct(self.latencies, 0.5), 'p95_ms': pct(self.latencies, 0.95),
                'max_ms': round(max(self.latencies), 1) if self.latencies else None}


def gets(base: str, path: str, cookie: str | None, *, count: int, workers: int, pid: int,
         most: float, rate: float | None) -> dict[str, Any]:
    """`count` GETs, `workers` at a time (as fast as answered, or GET i at start + i/rate); stops
    sending after `most` seconds (a server that slows down under the pages it keeps would
    otherwise hold the run for an hour)."""
    started = time.perf_counter()
    results: list[tuple[float, int]] = []
    peak = [0.0]

    def one(i: int) -> None:
        if rate:
            time.sleep(max(0.0, started + i / rate - time.perf_counter()))
        if time.perf_counter() - started > most:
            return
        results.append(get(base + path, cookie))
        if len(results) % 500 == 0:
            rss = memory(pid)['VmRSS']
            peak[0] = max(peak[0], rss)
            print(f'  {path}: {len(results)} GETs in {time.perf_counter() - started:.0f} s, RSS {rss} MB',
                  file=sys.stderr, flush=True)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    latencies = [r[0] for r in results]
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {'path': path, 'cookie': bool(cookie), 'requests': len(results), 'rss_seen_mb': peak[0],
            'seconds': round(time.perf_counter() - started, 1), 'statuses': statuses,
            'p50_ms': round(statistics.median(latencies), 1), 'p99_ms': pct(latencies, 0.99),
            'max_ms': round(max(latencies), 1)}


def run(count: int, workers: int, settle: float, most: float, rate: float | None) -> dict[str, Any]:
    from tests import factories

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / 'data'
        key, _reps, managers = prepare(data, reps=4, managers=1)
        server, base = start(data)
        try:
            cookie = login_cookies(base, managers, factories.PASSWORD)[managers[0]]
            captures = Captures(base, key, 0)
            for _ in range(20):  # the first pages of each kind warm the imports and caches up
                get(base + '/login', None)
                get(base + '/', cookie)
            with captures:  # 100 leads, so the inbox has a full first page
                time.sleep(20)
            out: dict[str, Any] = {'settle_s': quiet(server.pid), 'before': memory(server.pid)}
            print(f"RSS before {out['before']}", file=sys.stderr, flush=True)
            with Captures(base, key, 10_000) as idle:
                time.sleep(10)
            out['captures_quiet'] = idle.summary()
            how = {'count': count, 'workers': workers, 'pid': server.pid, 'most': most, 'rate': rate}
            with Captures(base, key, 20_000) as busy:
                out['login'] = gets(base, '/login', None, **how)
                out['inbox'] = gets(base, '/', cookie, **how)
            out['captures_during_gets'] = busy.summary()
            out['right_after'] = memory(server.pid)
            time.sleep(settle)
            out['quiet_after_s'] = quiet(server.pid)
            out['after'] = memory(server.pid)
            out['growth_mb'] = round(out['after']['VmRSS'] - out['before']['VmRSS'], 1)
            sessions = data / 'sessions'
            out['session_files'] = len(list(sessions.glob('*'))) if sessions.exists() else 0
        finally:
            server.terminate()
            server.wait(20)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='200 + 200 GETs; asserts statuses only')
    parser.add_argument('--count', type=int, default=5000, help='GETs of each page')
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--settle', type=float, default=15.0, help='seconds to wait after the GETs')
    parser.add_argument('--rate', type=float, default=None, help='GETs per second (default: as fast as answered)')
    parser.add_argument('--most', type=float, default=600.0, help='seconds at most per page kind')
    parser.add_argument('--label', default='', help='recorded with the results (e.g. "before the fix")')
    args = parser.parse_args()
    box = record.machine()
    count = 200 if args.quick else args.count
    out = run(count, args.workers, 2.0 if args.quick else args.settle, args.most, args.rate)
    out['rate'] = args.rate
    out['label'] = args.label
    for name in ('login', 'inbox'):
        print(f"{name}: {out[name]}")
    print(f"captures quiet {out['captures_quiet']}\ncaptures during {out['captures_during_gets']}")
    print(f"RSS before {out['before']} right after {out['right_after']} after {out['after']} "
          f"growth {out['growth_mb']} MB; session files {out['session_files']}")
    ok = all(out[name]['statuses'] == {200: count} for name in ('login', 'inbox'))
    if not args.quick:
        record.write('idle-pages' + (f'-{args.rate:g}-per-s' if args.rate else ''), box, out)
        ok = ok and out['growth_mb'] <= TARGET_MB
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
