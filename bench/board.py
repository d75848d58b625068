"""How fast is the pipeline board with 5,000 open opportunities?

Server side: `desk.pipeline.board()` for the manager (everything) and for one rep, median of 5,
against a primary-key point query measured in the same run. Browser side: the board's first
paint in Debian's Chromium (navigation start until the first card is visible, read from the
page's own `performance.now()`), against an empty NiceGUI page served the same way.

    python bench/board.py --quick        # 300 open deals, 3 repeats (smoke)
    python bench/board.py                # 5,000 open (+1,000 won/lost), 5 repeats; writes bench/results/

Columns show at most CARDS_PER_COLUMN cards (soonest close first); the totals are SQL aggregates
over every card, so the page size, not the table size, bounds what the browser receives.
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
import textwrap
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402

from core.accounts import auth  # noqa: E402
from core.desk import Desk  # noqa: E402
from core.pipeline.board import CARDS_PER_COLUMN  # noqa: E402
from core.settings import Settings  # noqa: E402
from store.engine import make_engine, read_session  # noqa: E402
from store.models import Opportunity, Role, StageKind, UserRef  # noqa: E402

PASSWORD = 'bench-bench'
REPS = 20
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']
EMPTY_PAGE = textwrap.dedent('''
    import sys
    from nicegui import app, ui

    @app.get('/health')
    def health() -> dict:
        return {'ok': True}

    @ui.page('/')
    def index() -> None:
        ui.label('empty').props('data-testid=empty')

    ui.run(host='127.0.0.1', port=int(sys.argv[1]), reload=False, show=False, storage_secret='bench',
           language='zh-CN')
''')


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f') if value else None


def build(path: Path, open_deals: int, closed_deals: int, *, now: datetime, seed: int = 7
          ) -> tuple[Desk, UserRef, list[UserRef]]:
    """The team through core (cheap password hashes: a bench is not a login test), then leads,
    accounts and opportunities with raw executemany (the ORM would take a minute at this size)."""
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    rng = random.Random(seed)
    settings = Settings(database_url=f'sqlite:///{path}', storage_secret='bench')
    desk = Desk(make_engine(settings.resolved_database_url()), settings)
    desk.prepare()
    admin = desk.team.create_first_admin(email='admin@bench.test', name='Admin', password=PASSWORD)
    manager = desk.team.create_user(admin, email='manager@bench.test', name='Manager', password=PASSWORD,
                                    role=Role.MANAGER)
    reps = [desk.team.create_user(admin, email=f'rep{i}@bench.test', name=f'Rep {i}', password=PASSWORD,
                                  role=Role.REP, capacity=5000) for i in range(REPS)]
    stages = desk.pipeline.stages()
    open_ids = [s.id for s in stages if s.kind == StageKind.OPEN]
    won = next(s.id for s in stages if s.kind == StageKind.WON)
    lost = next(s.id for s in stages if s.kind == StageKind.LOST)
    total = open_deals + closed_deals
    raw = desk.ctx.engine.raw_connection()
    try:
        cur = raw.cursor()
        leads, accounts, opportunities = [], [], []
        for i in range(total):
            owner = rng.choice(reps).id
            created = now - timedelta(days=rng.uniform(1, 200))
            leads.append((f'Buyer {i}', f'+86138{i:08d}', f'+86138{i:08d}', f'b{i}@bench.test', 'website',
                          'converted', owner, 60, 'B', 'warm', '[]', 0, _ts(created), _ts(created), _ts(created),
                          None, None, None, None, 2, 0, 0))
            if i % 2 == 0:  # two deals per account on average
                accounts.append((f'Company {i // 2} Ltd', f'company {i // 2}', owner, 0, 'potential', 0, 0,
                                 _ts(created), _ts(created), 1, 0))
            is_open = i < open_deals
            stage = rng.choice(open_ids) if is_open else (won if rng.random() < 0.6 else lost)
            moved = created + timedelta(days=rng.uniform(0, (now - created).days or 1))
            close = (now + timedelta(days=rng.randint(-30, 180))).date()
            opportunities.append((i + 1, i // 2 + 1, owner, f'Deal {i}', stage, rng.randint(1_000, 500_000) * 100,
                                  close.isoformat(), None if is_open or stage == won else 'price',
                                  None if is_open else _ts(moved), _ts(moved), _ts(moved), _ts(created), _ts(moved),
                                  1, 0))
        cur.executemany(
            'INSERT INTO leads (name, phone, phone_norm, email, source, status, owner_id, score, grade, temperature, '
            'score_reasons, touch_count, created_at, updated_at, assigned_at, sla_status, protected_until, '
            'protection_max_at, previous_owner_id, version, is_deleted, recycle_count) '
            'VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)', leads)
        cur.executemany(
            'INSERT INTO accounts (name, name_norm, owner_id, is_customer, tier, lifetime_value_cents, won_count, '
            'last_activity_at, created_at, version, is_deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?)', accounts)
        cur.executemany(
            'INSERT INTO opportunities (lead_id, account_id, owner_id, name, stage_id, amount_cents, expected_close, '
            'lost_reason, closed_at, stage_changed_at, last_activity_at, created_at, updated_at, version, '
            'is_deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)', opportunities)
        raw.commit()
        cur.execute('ANALYZE')
        raw.commit()
    finally:
        raw.close()
    return desk, manager, reps


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples), max(samples)


# ----- the browser -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _serve(command: list[str], data: Path, db: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data), LEADDESK_STORAGE_SECRET='bench-secret', LEADDESK_TICK_SECONDS='3600',
               NICEGUI_STORAGE_PATH=str(data / 'sessions'), PYTHONUNBUFFERED='1')
    if db is not None:
        env['LEADDESK_DATABASE_URL'] = f'sqlite:///{db}'
    log = (data / 'server.log').open('wb')
    process = subprocess.Popen([*command, '--port', str(port)] if db else [*command, str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError((data / 'server.log').read_text())
        try:
            urllib.request.urlopen(base + '/health', timeout=1)
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError('server did not start')


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _paint(page, url: str, selector: str, repeats: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """ms from navigation start until `selector` is visible, per the page's own clock, median (min–max)
    of `repeats` after one warm-up; with the same for the HTML's arrival (`responseEnd`) and the DOM's
    readiness (`domContentLoadedEventEnd`): what precedes the socket's first update."""
    samples: dict[str, list[float]] = {'visible': [], 'html': [], 'dom_ready': []}
    for i in range(repeats + 1):
        page.goto(url, wait_until='commit')
        page.wait_for_selector(selector, state='visible', timeout=60_000)
        elapsed = page.evaluate('performance.now()')
        page.wait_for_load_state('domcontentloaded')
        nav = page.evaluate('(() => { const n = performance.getEntriesByType("navigation")[0];'
                            ' return [n.responseEnd, n.domContentLoadedEventEnd]; })()')
        if i:
            samples['visible'].append(elapsed)
            samples['html'].append(nav[0])
            samples['dom_ready'].append(nav[1])
    return {k: [round(statistics.median(v), 1), round(min(v), 1), round(max(v), 1)] for k, v in samples.items()}


def page_paints(db: Path, email: str, pages: dict[str, tuple[str, str]], repeats: int,
                cpu: bool = False) -> dict[str, object]:
    """First paint of each page (`name: (path, selector)`) for `email` signed in, and of an empty
    NiceGUI page served the same way, in Debian's Chromium; each page's DOM size at the end. With
    `cpu`, also each page's main-thread CPU until the selector shows (`_main_thread_cpu`), as
    `NAME_cpu_ms` and `empty_page_cpu_ms`."""
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app_data, empty_data = Path(tmp) / 'app', Path(tmp) / 'empty'
        app_data.mkdir()
        empty_data.mkdir()
        script = empty_data / 'empty_page.py'
        script.write_text(EMPTY_PAGE)
        app_server, app_url = _serve([sys.executable, 'run.py'], app_data, db)
        empty_server, empty_url = _serve([sys.executable, str(script)], empty_data, None)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(locale='en-US', viewport={'width': 1440, 'height': 900})
                out['empty_page'] = _paint(page, empty_url + '/', '[data-testid=empty]', repeats)
                if cpu:
                    out['empty_page_cpu_ms'] = _main_thread_cpu(page, empty_url + '/', '[data-testid=empty]', repeats)
                page.goto(app_url + '/login')
                page.get_by_test_id('login-email').fill(email)
                page.get_by_test_id('login-password').fill(PASSWORD)
                page.get_by_test_id('login-submit').click()
                page.wait_for_url(app_url + '/')
                for name, (path, selector) in pages.items():
                    out[name] = _paint(page, app_url + path, selector, repeats)
                    if cpu:
                        out[f'{name}_cpu_ms'] = _main_thread_cpu(page, app_url + path, selector, repeats)
                    out[f'{name}_matches'] = page.locator(selector).count()
                    out[f'{name}_dom_nodes'] = page.evaluate('document.getElementsByTagName("*").length')
                browser.close()
        finally:
            _stop(app_server)
            _stop(empty_server)
    return out


TRACE_CATEGORIES = ['devtools.timeline', 'loading', 'v8.execute', 'blink.user_timing']


def _main_thread_cpu(page, url: str, selector: str, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    """CPU ms the page's main thread spent from navigation start until `selector` was visible
    (the `tdur` of its top-level trace events), median (min–max) of `repeats` after one warm-up:
    the browser's own work for the page, which on a shared box moves much less than wall time.
    Separate loads from `_paint`'s, since tracing slows a page down."""
    samples = []
    for i in range(repeats + 1):
        page.context.browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        page.goto(url, wait_until='commit')
        page.wait_for_selector(selector, state='visible', timeout=60_000)
        visible = page.evaluate('performance.now()')
        events = json.loads(page.context.browser.stop_tracing())['traceEvents']
        if i:
            samples.append(_busy_ms(events, visible))
    return [round(statistics.median(samples), 1), round(min(samples), 1), round(max(samples), 1)]


def _busy_ms(events: list[dict], visible_ms: float) -> float:
    threads = {(e['pid'], e['tid']) for e in events
               if e.get('ph') == 'M' and e.get('name') == 'thread_name' and e['args']['name'] == 'CrRendererMain'}
    counts: dict[tuple[int, int], int] = {}
    for e in events:
        key = (e.get('pid'), e.get('tid'))
        if key in threads:
            counts[key] = counts.get(key, 0) + 1
    main = max(counts, key=counts.__getitem__)
    document = min(e['ts'] for e in events if e.get('name') == 'ResourceSendRequest')
    start = max(e['ts'] for e in events if e.get('name') == 'navigationStart' and e['ts'] <= document)
    end = start + visible_ms * 1000
    busy, until = 0, 0
    for e in sorted((e for e in events if (e.get('pid'), e.get('tid')) == main and e.get('ph') == 'X'
                     and start <= e['ts'] < end), key=lambda e: e['ts']):
        if e['ts'] >= until:  # top level only: nested events' time is inside their parent's
            busy += e.get('tdur', e.get('dur', 0))
            until = e['ts'] + e.get('dur', 0)
    return busy / 1000


def first_paints(db: Path, repeats: int) -> dict[str, object]:
    paints = page_paints(db, 'manager@bench.test', {'board': ('/pipeline', '[data-opp-id]')}, repeats)
    return {'empty_page_ms': paints['empty_page']['visible'], 'board_ms': paints['board']['visible'],  # type: ignore[index]
            'board_breakdown_ms': paints['board'], 'empty_breakdown_ms': paints['empty_page'],
            'cards_rendered': paints['board_matches'], 'dom_nodes': paints['board_dom_nodes']}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--open', type=int, default=None, help='open opportunities (default 5,000; 300 with --quick)')
    parser.add_argument('--repeats', type=int, default=None, help='default 5 (3 with --quick)')
    args = parser.parse_args()
    open_deals = args.open or (300 if args.quick else 5_000)
    closed_deals = open_deals // 5
    repeats = args.repeats or (3 if args.quick else 5)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / 'board.db'
        t0 = time.perf_counter()
        desk, manager, reps = build(db, open_deals, closed_deals, now=now)
        built = time.perf_counter() - t0

        def point() -> None:
            with read_session(desk.ctx.engine) as s:
                s.get(Opportunity, open_deals // 2)
                s.expunge_all()

        point_ms = timed(point, 50)
        board_manager = timed(lambda: desk.pipeline.board(manager), repeats)
        board_rep = timed(lambda: desk.pipeline.board(reps[0]), repeats)
        columns = desk.pipeline.board(manager)
        desk.ctx.engine.dispose()
        browser = first_paints(db, repeats) if shutil.which(CHROMIUM) else {}
    result = {'open': open_deals, 'closed': closed_deals, 'cards_per_column': CARDS_PER_COLUMN,
              'columns': len(columns), 'cards_sent': sum(len(c.cards) for c in columns), 'build_s': round(built, 1),
              'point_query_ms': [round(x, 3) for x in point_ms],
              'board_manager_ms': [round(x, 1) for x in board_manager],
              'board_rep_ms': [round(x, 1) for x in board_rep], **browser}
    _print(result)
    if not args.quick:
        commit = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
        out = ROOT / 'bench' / 'results' / f'board-{datetime.now(UTC):%Y-%m-%d}.json'
        out.write_text(json.dumps({'machine': platform.platform(), 'cores': os.cpu_count(), 'commit': commit,
                                   'results': result}, indent=1))
        print(f'written {out}')


def _print(r: dict) -> None:
    def cell(v: list[float]) -> str:
        return f'{v[0]} ({v[1]}–{v[2]})'

    point = r['point_query_ms'][0]
    print(f"{r['open']:,} open + {r['closed']:,} closed opportunities, {r['columns']} columns, "
          f"{r['cards_sent']} cards sent (≤ {r['cards_per_column']} per column); built in {r['build_s']} s\n")
    print('| what | median ms (min–max) | vs baseline |')
    print('|---|---|---|')
    print(f"| primary-key point query | {cell(r['point_query_ms'])} | 1× |")
    print(f"| board(), manager (all deals) | {cell(r['board_manager_ms'])} | "
          f"{r['board_manager_ms'][0] / point:.0f}× point query |")
    print(f"| board(), one rep | {cell(r['board_rep_ms'])} | {r['board_rep_ms'][0] / point:.0f}× point query |")
    if 'board_ms' in r:
        empty = r['empty_page_ms'][0]
        print(f"| empty NiceGUI page, first paint | {cell(r['empty_page_ms'])} | 1× |")
        print(f"| /pipeline (manager), first card visible | {cell(r['board_ms'])} | "
              f"{r['board_ms'][0] / empty:.1f}× empty page |")
        print(f"\n{r['cards_rendered']} cards in the DOM, {r['dom_nodes']} DOM nodes")


if __name__ == '__main__':
    main()
