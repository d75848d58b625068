"""Which server shape should carry the capture API? Measured, not guessed.

For each shape (NiceGUI's own app vs a plain FastAPI app with NiceGUI mounted),
runs wrk against the bare insert route (the limit) and the capture route, at
concurrency 1 and 32, and reports req/s, p50/p99 latency, errors, and capture
as a ratio of the bare limit measured in the same run. Then the latency row of
issue 9: captures offered open-loop at a fixed rate, half the highest capture
rate just measured (request i is sent at start + i/rate whatever earlier answers
took, so a slow server shows as latency), p50/p99 from when each was due.

The hosted web form (issue 18) beside the API, on the production shape only: form capture
(`POST /f/contact`, form-encoded, bench/form.lua) and API capture at concurrency 8, interleaved
run by run in the same server, form as a share of API (target ≥ 50%); then N anonymous visits
(a GET of the form and its POST, 10,000 at full size) and what they left behind: NiceGUI client
objects and files in the data folder's `sessions/` (target 0 and 0).

    python bench/api_routes.py --quick      # a few seconds per cell (CI smoke)
    python bench/api_routes.py --seconds 10 --runs 5
    python bench/api_routes.py --root ../other-checkout --label before   # another version's server, same run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start(mode: str, data: Path, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data), LEADDESK_API_RATE_PER_MINUTE='100000000',
               LEADDESK_FORM_RATE_PER_MINUTE='100000000', LEADDESK_FORM_RATE_PER_FORM_PER_MINUTE='100000000',
               NICEGUI_STORAGE_PATH=str(data / 'sessions'))
    proc = subprocess.Popen([sys.executable, str(root / 'bench' / 'api_server.py'), '--mode', mode,
                             '--port', str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    for _ in range(300):
        try:
            urllib.request.urlopen(base + '/health', timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f'{mode} server did not start')


def bare_path(base: str) -> str:
    """The bare route of the server under test (`/bench/bare` on checkouts before the API lane)."""
    for path in ('/api/bench/bare', '/bench/bare'):
        request = urllib.request.Request(base + path, data=b'{}', method='POST')
        try:
            with urllib.request.urlopen(request, timeout=5):
                return path
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
    raise RuntimeError('no bare route')


def wrk(base: str, path: str, key: str, connections: int, seconds: float, *,
        script: str = 'capture.lua') -> dict[str, float]:
    threads = 1 if connections == 1 else 2
    env = dict(os.environ, BENCH_KEY=key, BENCH_PATH=path)
    out = subprocess.run(['wrk', f'-t{threads}', f'-c{connections}', f'-d{int(seconds)}s', '--latency',
                          '-s', str(ROOT / 'bench' / script), base], env=env, capture_output=True,
                         text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith('RESULT'))
    requests, socket_errors, status_errors, _dur, _, p50, p99, rate = line.split()[1:]
    return {'rps': float(rate), 'p50_ms': float(p50), 'p99_ms': float(p99),
            'errors': int(socket_errors) + int(status_errors), 'requests': int(requests)}


def batch_counts(base: str) -> tuple[int, int] | None:
    """(batches, captures) the server's group commit ran so far; None: a server without it."""
    try:
        with urllib.request.urlopen(base + '/api/bench/batches', timeout=5) as r:
            data = json.loads(r.read())
    except urllib.error.HTTPError:
        return None
    return data['batches'], data['captures']


def per_batch(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Captures per shared transaction between two `batch_counts`."""
    if before is None or after is None or after[0] == before[0]:
        return None
    return (after[1] - before[1]) / (after[0] - before[0])


def post_lead(base: str, key: str, n: int) -> tuple[float, int]:
    """One capture as wrk's capture.lua sends it (a fresh random mobile number); (ms, status)."""
    from bench.load_smoke import send_lead

    phone = f'13{random.randint(0, 9)}{random.randint(0, 99_999_999):08d}'
    return send_lead(base, key, {'name': f'Paced {n}', 'phone': phone, 'source': 'ads', 'budget': '10万'})


def paced(base: str, key: str, rate: float, seconds: float) -> dict[str, float]:
    """Open-loop captures at `rate` for `seconds` (bench/load_smoke.py's client)."""
    from bench.load_smoke import open_loop, percentile

    results, elapsed = open_loop(lambda n: post_lead(base, key, n), rate, max(1, int(rate * seconds)), 64)
    latencies = sorted(r[0] for r in results)
    return {'held_rate': len(results) / elapsed, 'p50_ms': statistics.median(latencies),
            'p99_ms': percentile(latencies, 0.99), 'errors': sum(1 for r in results if not 200 <= r[1] < 300)}


def leftovers(base: str) -> dict[str, int]:
    with urllib.request.urlopen(base + '/api/bench/leftovers', timeout=5) as r:
        return json.loads(r.read())


def anonymous_visits(base: str, count: int, workers: int = 8) -> dict[str, float]:
    """`count` visitors each GET the form and POST it (no cookie kept, as strangers do), 8 at a
    time; what the server holds afterwards compared with before."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    def visit(n: int) -> bool:
        with urllib.request.urlopen(base + '/f/contact', timeout=30) as page:
            page.read()
        phone = f'13{random.randint(0, 9)}{random.randint(0, 99_999_999):08d}'
        body = urlencode({'name': f'Visitor {n}', 'phone': phone, 'website': ''}).encode()
        with urllib.request.urlopen(urllib.request.Request(base + '/f/contact', data=body), timeout=30) as r:
            return r.status == 200 and b'form-thanks' in r.read()

    before = leftovers(base)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        thanked = sum(pool.map(visit, range(count)))
    elapsed = time.perf_counter() - started
    after = leftovers(base)
    return {'visits': count, 'thanked': thanked, 'seconds': elapsed,
            'clients_left': after['clients'] - before['clients'], 'clients_total': after['clients'],
            'session_files_left': after['session_files'] - before['session_files'],
            'session_files_total': after['session_files']}


def form_vs_api(base: str, key: str, seconds: float, runs: int) -> dict[str, dict[str, float]]:
    """Form and API capture at concurrency 8, interleaved run by run (same server, same moment)."""
    cells: dict[str, list[dict[str, float]]] = {'api': [], 'form': []}
    for _ in range(runs):
        cells['api'].append(wrk(base, '/api/v1/leads', key, 8, seconds))
        cells['form'].append(wrk(base, '/f/contact', key, 8, seconds, script='form.lua'))
    return {label: {'rps': statistics.median(c['rps'] for c in runs_),
                    'rps_min': min(c['rps'] for c in runs_), 'rps_max': max(c['rps'] for c in runs_),
                    'p50_ms': statistics.median(c['p50_ms'] for c in runs_),
                    'p99_ms': statistics.median(c['p99_ms'] for c in runs_),
                    'errors': sum(c['errors'] for c in runs_)} for label, runs_ in cells.items()}


def api_key(data: Path) -> str:
    from core.desk import Desk
    from core.settings import Settings
    from store.engine import make_engine

    settings = Settings(data_dir=data)
    desk = Desk(make_engine(settings.resolved_database_url()), settings)
    desk.prepare()
    if desk.team.needs_setup():
        admin = desk.team.create_first_admin(email='bench@example.com', name='Bench', password='bench-bench')
        for i in range(4):
            desk.team.create_user(admin, email=f'rep{i}@example.com', name=f'Rep {i}', password='bench-bench',
                                  role='rep', capacity=10_000, daily_quota=10_000)
    key = desk.access.create_api_key(None, name='bench')
    desk.ctx.engine.dispose()
    return key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--seconds', type=int, default=10)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--root', type=Path, default=ROOT, help="the checkout whose server is measured")
    parser.add_argument('--label', default='current', help='the name of these figures in the JSON file')
    parser.add_argument('--out', type=Path, default=None, help='JSON file (other labels in it are kept)')
    parser.add_argument('--visits', type=int, default=None, help='anonymous form visits (default 10,000; quick 200)')
    args = parser.parse_args()
    seconds, runs = (2, 1) if args.quick else (args.seconds, args.runs)
    if not shutil.which('wrk'):
        sys.exit('wrk is needed: apt-get install wrk')
    results: dict[str, dict[str, float]] = {}
    paced_rows: dict[str, dict[str, float]] = {}
    forms: dict[str, dict[str, float]] = {}
    visits: dict[str, float] = {}
    for mode in ('nicegui', 'fastapi'):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            key = api_key(data)
            proc, base = start(mode, data, args.root.resolve())
            try:
                for path, label in ((bare_path(base), 'bare'), ('/api/v1/leads', 'capture')):
                    for conns in (1, 32):
                        counted = batch_counts(base)
                        cells = [wrk(base, path, key, conns, seconds) for _ in range(runs)]
                        batched = per_batch(counted, batch_counts(base)) if label == 'capture' else None
                        results[f'{mode}/{label}/c{conns}'] = {
                            'captures_per_batch': batched,
                            'rps': statistics.median(c['rps'] for c in cells),
                            'rps_min': min(c['rps'] for c in cells), 'rps_max': max(c['rps'] for c in cells),
                            'p50_ms': statistics.median(c['p50_ms'] for c in cells),
                            'p99_ms': statistics.median(c['p99_ms'] for c in cells),
                            'errors': sum(c['errors'] for c in cells)}
                top = max(results[f'{mode}/capture/c{conns}']['rps'] for conns in (1, 32))
                cells = [paced(base, key, top / 2, 1 if args.quick else seconds) for _ in range(runs)]
                paced_rows[mode] = {
                    'offered_rate': top / 2, 'held_rate': statistics.median(c['held_rate'] for c in cells),
                    'p50_ms': statistics.median(c['p50_ms'] for c in cells),
                    'p99_ms': statistics.median(c['p99_ms'] for c in cells),
                    'p99_ms_min': min(c['p99_ms'] for c in cells), 'p99_ms_max': max(c['p99_ms'] for c in cells),
                    'errors': sum(c['errors'] for c in cells)}
                if mode == 'nicegui':  # the production shape: the form's own rows
                    forms = form_vs_api(base, key, seconds, runs)
                    visits = anonymous_visits(base, args.visits or (200 if args.quick else 10_000))
            finally:
                proc.terminate()
                proc.wait(10)
    print('| shape / route / concurrency | req/s (min–max) | p50 ms | p99 ms | errors | vs bare | captures/commit |')
    print('|---|---|---|---|---|---|---|')
    for name, r in results.items():
        mode, label, conns = name.split('/')
        ratio = r['rps'] / results[f'{mode}/bare/{conns}']['rps']
        batched = '—' if r['captures_per_batch'] is None else f"{r['captures_per_batch']:.1f}"
        print(f"| {name} | {r['rps']:.0f} ({r['rps_min']:.0f}–{r['rps_max']:.0f}) | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['errors']:.0f} | {ratio:.0%} | {batched} |")
    print()
    print('| shape | offered req/s (50% of max capture) | held req/s | p50 ms | p99 ms (min–max) | errors |')
    print('|---|---|---|---|---|---|')
    for mode, r in paced_rows.items():
        print(f"| {mode} | {r['offered_rate']:.0f} | {r['held_rate']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} ({r['p99_ms_min']:.1f}–{r['p99_ms_max']:.1f}) | {r['errors']:.0f} |")
    print()
    print('| web form vs API, production shape, concurrency 8 | req/s (min–max) | p50 ms | p99 ms | errors |')
    print('|---|---|---|---|---|')
    for label, r in forms.items():
        print(f"| {label} capture | {r['rps']:.0f} ({r['rps_min']:.0f}–{r['rps_max']:.0f}) | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['errors']:.0f} |")
    if forms:
        print(f"form ÷ API: {forms['form']['rps'] / forms['api']['rps']:.0%} (target ≥ 50%)")
    if visits:
        print(f"{visits['visits']:,.0f} anonymous visits (GET + POST, 8 at a time) in {visits['seconds']:.0f} s, "
              f"{visits['thanked']:,.0f} thanked: {visits['clients_left']:.0f} NiceGUI clients and "
              f"{visits['session_files_left']:.0f} session files left (process totals "
              f"{visits['clients_total']:.0f} / {visits['session_files_total']:.0f}; target 0 and 0)")
    if not args.quick:
        out = args.out or ROOT / 'bench' / 'results' / f'api_routes-{datetime.now(UTC):%Y-%m-%d}.json'
        kept = json.loads(out.read_text()) if out.exists() else {}
        kept = kept if isinstance(kept, dict) and 'results' not in kept else {}  # (the old one-label shape)
        kept[args.label] = {'when': datetime.now(UTC).isoformat(timespec='seconds'), 'root': str(args.root),
                            'machine': platform.platform(), 'cores': os.cpu_count(),
                            'load_average': os.getloadavg(), 'seconds': seconds, 'runs': runs,
                            'results': results, 'paced_at_half_max': paced_rows,
                            'form_vs_api_c8': forms, 'anonymous_visits': visits}
        out.write_text(json.dumps(kept, indent=1))
        print(f'written {out}')


if __name__ == '__main__':
    main()
