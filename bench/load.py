"""Load run (issue 9): the real app under a steady API capture rate with 20 live pages open,
driven from this second process on loopback, bounded in count and time.

    python bench/load.py --smoke                    # ≤ 60 s: 20 live pages (2 reps' tabs + managers), 20/s for 10 s
    python bench/load.py --rate 20 --no-search      # hold 20/s for 5 minutes with the 20 pages
    python bench/load.py --out bench/results/load-$(date +%F).json
        # search from 100/s for the highest rate with p99 < 200 ms (steps of --step-seconds),
        # then hold it for --seconds (default 300) and record the figures

Live clients: users log in once in Debian's Chromium (Playwright) to get their session cookie;
then each client opens a real page over HTTP (`GET /` builds the inbox for that user on the
server) and connects NiceGUI's socket.io websocket exactly as the page's JavaScript does, so
the server keeps a live page per client and pushes its updates — without 20 renderers on a
2-core box. 16 reps and 2 managers log in; reps keep their inbox open, managers their inbox
(twice), the team page and the pipeline: 20 clients.

Recorded: the rate held, p50/p99 latency (open-loop: request i is due at start + i/rate, so a
slow server shows as latency), errors (must be 0), leads sent vs leads in the database (must be
equal), and the live-update delay: from sending a capture to the first websocket message that
carries the new lead's name to an open inbox that shows it (a manager's, or its owner's),
p50/p95 over every (inbox, lead) pair. The delay is the message's arrival, not the paint.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_smoke import open_loop  # noqa: E402

MAX_REQUESTS = 200_000
MAX_SECONDS = 600  # one phase at most
MAX_STEPS = 6
P99_TARGET_MS = 200.0
CHROMIUM = '/usr/bin/chromium'
WS_PATH = '/_nicegui_ws/socket.io'
NAME = re.compile(r'Load (\d+)')
OWNERS: dict[int, int | None] = {}
"""Capture number → the owner the API answered with: whose inbox should show it."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p + 0.5) - 1))], 1)


# ----- the server ---------------------------------------------------------------------------------

def prepare(data: Path, reps: int, managers: int) -> tuple[str, list[str], list[str]]:
    """Reps with room for every lead, managers, a capture key; returns (key, rep emails, manager emails)."""
    from store.models import Role
    from tests import factories

    desk = factories.make_desk(data / 'leaddesk.db')
    rep_emails = [factories.user(desk, Role.REP, name=f'Rep {i}', capacity=10_000, daily_quota=10_000).email
                  for i in range(reps)]
    manager_emails = [factories.user(desk, Role.MANAGER, name=f'Manager {i}').email for i in range(managers)]
    key = desk.access.create_api_key(None, name='load')
    desk.ctx.engine.dispose()
    return key, rep_emails, manager_emails


def start(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data), LEADDESK_STORAGE_SECRET='load', LEADDESK_API_RATE_PER_MINUTE='100000000',
               LEADDESK_DEMO_STREAM_SECONDS='100000')
    log = (data / 'server.log').open('ab')
    proc = subprocess.Popen([sys.executable, 'run.py', '--port', str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    for _ in range(600):
        try:
            urllib.request.urlopen(base + '/health', timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError('run.py did not start: ' + (data / 'server.log').read_text())


# ----- live pages -----------------------------------------------------------------------------------

def login_cookies(base: str, emails: list[str], password: str) -> dict[str, str]:
    """Each user signs in once in Chromium, as a person would; their cookie header is kept."""
    from playwright.sync_api import sync_playwright

    cookies: dict[str, str] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=['--no-sandbox', '--disable-gpu', '--no-first-run'])
        for email in emails:
            context = browser.new_context(locale='en-US')
            page = context.new_page()
            page.goto(base + '/login')
            page.get_by_test_id('login-email').fill(email)
            page.get_by_test_id('login-password').fill(password)
            page.get_by_test_id('login-submit').click()
            page.wait_for_url(base + '/', timeout=30_000)
            cookies[email] = '; '.join(f'{c["name"]}={c["value"]}' for c in context.cookies())
            context.close()
        browser.close()
    return cookies


@dataclass
class LiveClient:
    """One open page: built by the server on `GET path`, then its websocket, as the page's script connects it."""

    base: str
    cookie: str
    path: str
    label: str
    sent: dict[int, float]
    sees_all: bool
    first_seen: dict[int, float] = field(default_factory=dict)
    messages: int = 0
    connected: bool = False
    next_message_id: int = 0

    async def open(self) -> None:
        import httpx
        import socketio

        async with httpx.AsyncClient(base_url=self.base, headers={'Cookie': self.cookie}) as http:
            html = (await http.get(self.path)).text
        match = re.search(r'query: (\{.*?\}),\n', html)
        if match is None:
            raise RuntimeError(f'{self.label}: no NiceGUI page at {self.path}')
        query = ast.literal_eval(match.group(1))  # the template writes the Python dict
        self.next_message_id = int(query['next_message_id'])
        query.update(implicit_handshake='true', tab_id=str(uuid.uuid4()), document_id=str(uuid.uuid4()))
        self.client_id = query['client_id']
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on('*', self._on_message)
        self.sio.on('disconnect', self._on_disconnect)
        await self.sio.connect(f'{self.base}?{urllib.parse.urlencode(query)}', headers={'Cookie': self.cookie},
                               transports=['websocket'], socketio_path=WS_PATH, wait_timeout=30)
        self.connected = True

    async def _on_message(self, _event: str, data: Any) -> None:
        now = time.perf_counter()
        self.messages += 1
        if isinstance(data, dict) and isinstance(data.get('_id'), int):
            self.next_message_id = data['_id'] + 1
        for m in NAME.finditer(json.dumps(data, ensure_ascii=False)):
            n = int(m.group(1))
            if n not in self.first_seen and n in self.sent:
                self.first_seen[n] = now

    def _on_disconnect(self, *_: object) -> None:
        self.connected = False

    async def ack(self) -> None:
        if self.connected:
            await self.sio.emit('ack', {'client_id': self.client_id, 'next_message_id': self.next_message_id})

    async def close(self) -> None:
        if self.connected:
            await self.sio.disconnect()


class LivePages:
    """The 20 clients on their own event loop (a thread of this process)."""

    def __init__(self, clients: list[LiveClient]) -> None:
        self.clients = clients
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._acks: asyncio.Task[None] | None = None

    def open(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self.loop).result(120)

    async def _open(self) -> None:
        for client in self.clients:  # one at a time, like people opening their tabs
            await client.open()
        self._acks = asyncio.create_task(self._ack_every(3.0))

    async def _ack_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            for client in self.clients:
                await client.ack()

    def close(self) -> None:
        async def _close() -> None:
            if self._acks:
                self._acks.cancel()
            for client in self.clients:
                await client.close()
        asyncio.run_coroutine_threadsafe(_close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def connected(self) -> int:
        return sum(c.connected for c in self.clients)


# ----- API capture --------------------------------------------------------------------------------------

def post(base: str, key: str, n: int, sent: dict[int, float]) -> tuple[float, int]:
    body = json.dumps({'name': f'Load {n}', 'phone': f'+86 139 {n // 10000:04d} {n % 10000:04d}',
                       'external_id': f'load-{n}'}).encode()
    request = urllib.request.Request(base + '/api/v1/leads', data=body, method='POST',
                                     headers={'X-API-Key': key, 'Content-Type': 'application/json'})
    started = time.perf_counter()
    sent[n] = started
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
            owner = json.loads(response.read()).get('owner_id')
    except urllib.error.HTTPError as e:
        status, owner = e.code, None
    except OSError:
        status, owner = 0, None
    OWNERS[n] = owner
    return (time.perf_counter() - started) * 1000, status


def phase(base: str, key: str, *, rate: float, seconds: float, first: int, workers: int,
          sent: dict[int, float]) -> dict[str, Any]:
    """Captures first … first+count-1 at `rate` for `seconds`, open loop."""
    total = min(MAX_REQUESTS, int(rate * min(seconds, MAX_SECONDS)))
    results, elapsed = open_loop(lambda i: post(base, key, first + i, sent), rate, total, workers)
    latencies = [r[0] for r in results]
    ok = sum(1 for r in results if 200 <= r[1] < 300)
    return {'offered_rate': rate, 'seconds': seconds, 'requests': total, 'first': first,
            'held_rate': round(total / elapsed, 1), 'answered_2xx': ok, 'errors': total - ok,
            'p50_ms': round(statistics.median(latencies), 1), 'p99_ms': pct(latencies, 0.99),
            'max_ms': round(max(latencies), 1)}


def live_delays(pages: LivePages, sent: dict[int, float], *, first: int, last: int,
                rep_ids: dict[str, int]) -> dict[str, Any]:
    """Delay from sending each capture to its arrival in every inbox that should show it.

    An inbox shows its newest 25 leads and coalesces live refreshes (ui/pages/inbox.py), so under
    a burst a lead can be pushed off the first page before the next refresh: `live_missing`
    counts those. `live_converged` counts inboxes that got the newest lead meant for them."""
    delays: list[float] = []
    missing = 0
    inboxes = converged = 0
    for client in pages.clients:
        if client.path != '/':
            continue
        mine = [n for n in range(first, last) if client.sees_all or OWNERS.get(n) == rep_ids.get(client.label)]
        for n in mine:
            if n in client.first_seen:
                delays.append((client.first_seen[n] - sent[n]) * 1000)
            else:
                missing += 1
        if mine:
            inboxes += 1
            converged += mine[-1] in client.first_seen
    return {'live_pairs': len(delays), 'live_missing': missing, 'live_inboxes': inboxes,
            'live_converged': converged, 'live_p50_ms': pct(delays, 0.5), 'live_p95_ms': pct(delays, 0.95),
            'live_max_ms': round(max(delays), 1) if delays else None}


# ----- the run --------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests import factories

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / 'data'
        started = time.perf_counter()
        box = machine()
        key, reps, managers = prepare(data, args.reps, 2)
        proc, base = start(data)
        sent: dict[int, float] = {}
        try:
            t = time.perf_counter()
            signed_in = reps[:args.logins or len(reps)]
            cookies = login_cookies(base, signed_in + managers, factories.PASSWORD)
            print(f'{len(cookies)} logins in {time.perf_counter() - t:.1f} s', file=sys.stderr)
            with sqlite3.connect(data / 'leaddesk.db') as c:
                rep_ids = dict(c.execute("SELECT email, id FROM users WHERE role = 'rep'").fetchall())
            rep_tabs = [signed_in[i % len(signed_in)] for i in range(len(reps))]  # a rep may have several tabs
            clients = [LiveClient(base, cookies[e], '/', e, sent, sees_all=False) for e in rep_tabs]
            m1, m2 = managers
            clients += [LiveClient(base, cookies[m1], '/', m1, sent, sees_all=True),
                        LiveClient(base, cookies[m2], '/', m2, sent, sees_all=True),
                        LiveClient(base, cookies[m1], '/team', m1, sent, sees_all=True),
                        LiveClient(base, cookies[m2], '/pipeline', m2, sent, sees_all=True)]
            pages = LivePages(clients[:args.clients])
            t = time.perf_counter()
            pages.open()
            print(f'{len(pages.clients)} live pages in {time.perf_counter() - t:.1f} s', file=sys.stderr)
            setup_s = round(time.perf_counter() - started, 1)
            steps: list[dict[str, Any]] = []
            n = 0
            rate = args.rate
            good: float | None = None
            bad: float | None = None
            if not args.smoke and not args.no_search:  # find the highest rate with p99 under target
                for _ in range(MAX_STEPS):
                    step = phase(base, key, rate=rate, seconds=args.step_seconds, first=n, workers=args.workers,
                                 sent=sent)
                    n += step['requests']
                    steps.append(step)
                    print(json.dumps(step), file=sys.stderr)
                    if step['errors'] == 0 and step['p99_ms'] < P99_TARGET_MS:
                        good = rate
                    else:
                        bad = rate
                    if good and bad and bad / good < 1.15:
                        break
                    rate = (good + bad) / 2 if good and bad else rate * 1.5 if good else rate * 0.6
                    rate = round(rate, 1)
                    time.sleep(3)  # let any backlog drain
                rate = good or rate
            cpu = server_cpu_s(proc.pid)
            hold = phase(base, key, rate=rate, seconds=args.seconds, first=n, workers=args.workers, sent=sent)
            n += hold['requests']
            time.sleep(2)  # the last updates arrive
            hold['server_cpu_s'] = round(server_cpu_s(proc.pid) - cpu, 1)
            hold['server_cpu_ms_per_capture'] = round(hold['server_cpu_s'] * 1000 / max(1, hold['requests']), 2)
            hold.update(server_memory_mb(proc.pid))
            live = live_delays(pages, sent, first=hold['first'], last=n, rep_ids=rep_ids)
            connected = pages.connected()
            messages = sum(c.messages for c in pages.clients)
            pages.close()
        finally:
            proc.terminate()
            proc.wait(30)
        with sqlite3.connect(data / 'leaddesk.db') as c:
            stored = c.execute("SELECT count(*) FROM leads WHERE name LIKE 'Load %'").fetchone()[0]
            duplicates = c.execute("SELECT count(*) - count(DISTINCT external_id) FROM leads "
                                   "WHERE name LIKE 'Load %'").fetchone()[0]
    return {'when': datetime.now(UTC).isoformat(timespec='seconds'), 'mode': 'smoke' if args.smoke else 'full',
            'machine': box, 'clients': len(pages.clients), 'signed_in': len(cookies),
            'clients_connected_at_end': connected, 'ws_messages': messages,
            'ws_messages_per_capture': round(messages / max(1, n), 2),
            'setup_s': setup_s, 'search': steps, 'hold': hold, **live, 'sent': n,
            'answered_2xx': sum(s['answered_2xx'] for s in [*steps, hold]),
            'errors': sum(s['errors'] for s in [*steps, hold]), 'stored': stored, 'stored_twice': duplicates,
            'wall_s': round(time.perf_counter() - started, 1)}


def server_cpu_s(pid: int) -> float:
    """CPU seconds the server process used so far (user + system): on a shared box, what the run
    cost the server does not depend on what the other processes take."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def server_memory_mb(pid: int) -> dict[str, float]:
    """The server's resident memory now and at its peak (VmRSS, VmHWM)."""
    status = dict(line.split(':', 1) for line in Path(f'/proc/{pid}/status').read_text().splitlines() if ':' in line)
    return {'server_rss_mb': round(int(status['VmRSS'].split()[0]) / 1024, 1),
            'server_peak_rss_mb': round(int(status['VmHWM'].split()[0]) / 1024, 1)}


def machine() -> str:
    cpu = next((line.split(':', 1)[1].strip() for line in Path('/proc/cpuinfo').read_text().splitlines()
                if line.startswith('model name')), '?')
    return f'{os.cpu_count()} cores, {cpu}, load average {os.getloadavg()[0]:.1f} at start'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--smoke', action='store_true', help='≤ 60 s: 20 clients, 20/s for 10 s, no search')
    parser.add_argument('--rate', type=float, default=None, help='captures per second to start from (100)')
    parser.add_argument('--seconds', type=float, default=None, help=f'hold duration (300; at most {MAX_SECONDS})')
    parser.add_argument('--no-search', action='store_true', help='hold --rate without searching first')
    parser.add_argument('--step-seconds', type=float, default=20.0, help='duration of each search step')
    parser.add_argument('--reps', type=int, default=16)
    parser.add_argument('--logins', type=int, default=None,
                        help='reps who sign in (default all; --smoke 2): the rep tabs are shared among them')
    parser.add_argument('--clients', type=int, default=20, help='live pages open (at most reps + 4)')
    parser.add_argument('--workers', type=int, default=64, help='client threads (enough to keep the rate)')
    parser.add_argument('--out', type=Path, default=None, help='write the figures as JSON here')
    args = parser.parse_args()
    if args.smoke and args.logins is None:
        args.logins = 2  # each Chromium sign-in costs ~2 s here; the smoke keeps under a minute
    args.rate = args.rate or (20.0 if args.smoke else 100.0)
    args.seconds = min(MAX_SECONDS, args.seconds or (10.0 if args.smoke else 300.0))
    figures = run(args)
    print(json.dumps(figures, indent=1))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + '\n')
    good = (figures['errors'] == 0 and figures['stored'] == figures['answered_2xx'] == figures['sent']
            and figures['stored_twice'] == 0 and figures['clients_connected_at_end'] == figures['clients']
            and figures['live_pairs'] > 0 and figures['live_converged'] == figures['live_inboxes'])
    return 0 if good else 1


if __name__ == '__main__':
    sys.exit(main())
