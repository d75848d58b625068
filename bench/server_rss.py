"""How much memory does the real server hold (target: < 500 MB)? `run.py` in a subprocess, on an
empty desk and on a 1M-lead desk: idle after start, after a manager opens the inbox, team and
reports pages, and with 20 live pages connected (the way bench/load.py opens them: a signed-in
`GET` that builds the page on the server, then the page's websocket). VmRSS and VmHWM (the peak)
come from /proc/<pid>/status once the server's CPU has gone quiet; an empty NiceGUI app served
the same way is measured in the same run as the floor.

    python bench/server_rss.py --quick     # a 2k-lead desk, 1 run, 6 pages (smoke; asserts pages opened)
    python bench/server_rss.py             # empty and 1M-lead desks (bench/bigdb.py), 3 runs each; writes results
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bigdb, record  # noqa: E402
from bench.board import EMPTY_PAGE, _serve, _stop  # noqa: E402
from bench.load import LiveClient, LivePages, login_cookies  # noqa: E402

PASSWORD = 'bench-bench'  # bench/dataset.py's
LIMIT_MB = 500.0
MANAGER = 'manager@bench.test'


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM in MB (10^6 bytes, as the target is written)."""
    fields = dict(line.split(':', 1) for line in Path(f'/proc/{pid}/status').read_text().splitlines() if ':' in line)
    return {k: round(int(fields[k].split()[0]) * 1024 / 1e6, 1) for k in ('VmRSS', 'VmHWM')}


def quiet(pid: int, *, share: float = 0.05, most: float = 60.0) -> float:
    """Wait until the process uses under `share` of a core over a second (pages built, queries
    done); returns the seconds waited."""
    started = time.perf_counter()
    tick = 100  # os.sysconf('SC_CLK_TCK') on Linux
    while time.perf_counter() - started < most:
        before = sum(int(x) for x in Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[11:13])
        time.sleep(1.0)
        after = sum(int(x) for x in Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[11:13])
        if (after - before) / tick < share:
            break
    return round(time.perf_counter() - started, 1)


def clients(base: str, cookies: dict[str, str], count: int) -> list[LiveClient]:
    """The manager's inbox, team and reports first, then their pipeline, then reps' inboxes."""
    manager = cookies[MANAGER]
    reps = [e for e in cookies if e != MANAGER]
    pages = [LiveClient(base, manager, path, MANAGER, {}, sees_all=True)
             for path in ('/', '/team', '/reports', '/pipeline')]
    pages += [LiveClient(base, cookies[reps[i % len(reps)]], '/', reps[i % len(reps)], {}, sees_all=False)
              for i in range(count - len(pages))]
    return pages[:count]


def one_server(db: Path, count: int, reps: int) -> dict[str, Any]:
    """`reps` reps sign in (each Chromium sign-in costs ~2 s here); the rep tabs are shared among them."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        server, base = _serve([sys.executable, 'run.py'], data, db)
        try:
            out: dict[str, Any] = {'idle_settle_s': quiet(server.pid)}
            out['idle'] = memory(server.pid)
            cookies = login_cookies(base, [MANAGER, *[f'rep{i}@bench.test' for i in range(reps)]],
                                    PASSWORD)
            out['after_logins'] = memory(server.pid)
            pages = clients(base, cookies, count)
            three, rest = LivePages(pages[:3]), LivePages(pages[3:])
            three.open()
            out['three_pages_settle_s'] = quiet(server.pid)
            out['inbox_team_reports'] = memory(server.pid)
            rest.open()
            out['all_pages_settle_s'] = quiet(server.pid)
            out[f'{count}_pages'] = memory(server.pid)
            out['connected'] = three.connected() + rest.connected()
            three.close()
            rest.close()
        finally:
            _stop(server)
    return out


def empty_app() -> dict[str, float]:
    """An empty NiceGUI app (one label), idle: what the framework alone holds."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        script = data / 'empty_page.py'
        script.write_text(EMPTY_PAGE)
        server, _base = _serve([sys.executable, str(script)], data, None)
        try:
            quiet(server.pid)
            return memory(server.pid)
        finally:
            _stop(server)


def summary(runs: list[dict[str, Any]], stage: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ('VmRSS', 'VmHWM'):
        values = [r[stage][key] for r in runs]
        out[key] = [statistics.median(values), min(values), max(values)]
    out['VmHWM_vs_limit'] = round(out['VmHWM'][0] / LIMIT_MB, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--runs', type=int, default=None, help='server runs per desk (3; 1 with --quick)')
    parser.add_argument('--pages', type=int, default=None, help='live pages at the end (20; 6 with --quick)')
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    count = args.pages or (6 if args.quick else 20)
    box = record.machine()
    sizes = [2_000] if args.quick else [0, 1_000_000]
    results: dict[str, Any] = {'limit_mb': LIMIT_MB, 'pages': count, 'runs': runs}
    floor = [empty_app() for _ in range(runs)]
    results['empty_nicegui_app'] = summary([{'idle': f} for f in floor], 'idle')
    with tempfile.TemporaryDirectory() as tmp:
        for leads in sizes:
            db = bigdb.ensure(leads, None if leads >= 1_000_000 else Path(tmp) / f'{leads}.db')
            per_run = [one_server(db, count, 1 if args.quick else 4) for _ in range(runs)]
            assert all(r['connected'] == count for r in per_run), per_run
            results[f'{leads}_leads'] = {stage: summary(per_run, stage) for stage in
                                         ('idle', 'after_logins', 'inbox_team_reports', f'{count}_pages')}
            results[f'{leads}_leads']['runs'] = per_run
    _print(results)
    if not args.quick:
        record.write('server_rss', box, results)


def _print(results: dict[str, Any]) -> None:
    def cell(v: list[float]) -> str:
        return f'{v[0]:.0f} ({v[1]:.0f}–{v[2]:.0f})'

    floor = results['empty_nicegui_app']
    print('| desk | moment | VmRSS MB | VmHWM MB | HWM / 500 MB |')
    print('|---|---|---|---|---|')
    print(f"| empty NiceGUI app | idle | {cell(floor['VmRSS'])} | {cell(floor['VmHWM'])} | "
          f"{floor['VmHWM_vs_limit']} |")
    for desk, stages in results.items():
        if desk.endswith('_leads'):
            for stage, f in stages.items():
                if stage != 'runs':
                    print(f"| {desk.replace('_', ' ')} | {stage.replace('_', ' ')} | {cell(f['VmRSS'])} | "
                          f"{cell(f['VmHWM'])} | {f['VmHWM_vs_limit']} |")


if __name__ == '__main__':
    main()
