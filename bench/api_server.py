"""A LeadDesk server for the API benchmark, in one of two shapes:

    --mode nicegui   what production does: ui.run serves NiceGUI's app with the API app in front
                     of its middleware (ui/api.py `serve_in_front`; before 2026-11-27 the routes
                     sat on NiceGUI's own app, behind its session and gzip layers)
    --mode fastapi   the same routes on a plain FastAPI app with NiceGUI mounted by ui.run_with

Both also serve `/api/bench/bare` (under the API's prefix, so it takes the same lane), the
limit a capture is compared with: one row inserted with one commit through the same engine,
`/api/bench/batches`: the API group commit's batch counts so far (core/capture/group_commit.py), and
`/api/bench/leftovers`: NiceGUI client objects and session files in the process so far.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from fastapi import FastAPI, Request
from nicegui import app, run, ui

from core.desk import Desk
from core.ops.gc_tuning import tune_gc
from core.settings import Settings
from store.engine import make_engine
from store.wal import WalCheckpointer
from ui import register


def add_bare_route(target: FastAPI, desk: Desk) -> None:
    engine = desk.ctx.engine
    with engine.begin() as c:
        c.exec_driver_sql('CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY, body TEXT)')
    insert = sa.text('INSERT INTO bench_bare (body) VALUES (:body)')

    def write(body: bytes) -> None:
        with desk.ctx.write() as session:
            session.execute(insert, {'body': body.decode('utf-8', 'replace')})

    @target.get('/api/bench/batches')
    async def batches() -> dict[str, int]:
        """How many group-commit batches ran and how many captures they carried (api_routes.py
        reads it around each capture cell to report the typical batch size)."""
        sizes = desk.access.captures.batch_sizes
        return {'batches': sum(sizes.values()), 'captures': sum(size * n for size, n in sizes.items())}

    @target.get('/api/bench/leftovers')
    async def leftovers() -> dict[str, int]:
        """What anonymous visitors left behind in this process: NiceGUI client objects (one per
        page built) and files in the browser-session folder (api_routes.py reads it around the
        web-form visits)."""
        from nicegui import Client

        folder = desk.ctx.settings.data_dir / 'sessions'
        files = sum(1 for _ in folder.iterdir()) if folder.exists() else 0
        return {'clients': len(Client.instances), 'session_files': files}

    @target.post('/api/bench/bare', status_code=201)
    async def bare(request: Request) -> dict[str, bool]:
        await run.io_bound(write, await request.body())
        return {'ok': True}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--mode', choices=('nicegui', 'fastapi'), required=True)
    parser.add_argument('--port', type=int, required=True)
    args, _ = parser.parse_known_args()
    tune_gc()  # as run.py's server
    if os.environ.get('BENCH_IO_THREADS'):  # an experiment: NiceGUI's worker pool (default min(32, cores + 4))
        from concurrent.futures import ThreadPoolExecutor

        run.thread_pool = ThreadPoolExecutor(max_workers=int(os.environ['BENCH_IO_THREADS']))
    settings = Settings()
    desk = Desk(make_engine(settings.resolved_database_url()), settings)
    desk.prepare()
    WalCheckpointer(desk.ctx.engine).start()  # as run.py's server: commits append, a thread copies (store/wal.py)
    if args.mode == 'nicegui':
        register(desk)
        add_bare_route(app.state.api, desk)  # beside the captures, in front of NiceGUI's middleware
        ui.run(port=args.port, reload=False, show=False, storage_secret='bench', show_welcome_message=False,
               proxy_headers=False)
    else:
        import uvicorn

        from core.accounts.ratelimit import RateLimiter
        from ui import api

        plain = FastAPI()
        api.register(desk, RateLimiter(settings.api_rate_per_minute), plain)
        add_bare_route(plain, desk)
        ui.run_with(plain, storage_secret='bench', show_welcome_message=False)
        uvicorn.run(plain, host='127.0.0.1', port=args.port, log_level='warning', proxy_headers=False)


if __name__ in {'__main__', '__mp_main__'}:
    os.environ.setdefault('LEADDESK_API_RATE_PER_MINUTE', '100000000')
    main()
