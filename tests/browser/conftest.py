"""Real-browser tests: run.py in a subprocess on its own database, driven by Debian's Chromium.

Run them as a second invocation (`pytest -m browser tests/browser`): Playwright's sync
fixtures and NiceGUI's User fixture cannot share one pytest process.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from core.clock import Clock
from core.desk import Desk
from tests import factories

from .support import Server, Team, seed_team

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync']
START_TIMEOUT = 90.0
"""A deadline, not a wait: a healthy start takes a few seconds; with the other test jobs on both cores
an app that imports and migrates more each month took over 30 s now and then."""

expect.set_options(timeout=10_000)


@pytest.fixture(scope='session')
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium: Playwright's own browser download does not work here."""
    return {**browser_type_launch_args, 'executable_path': CHROMIUM, 'headless': True, 'args': CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _clean_env(data_dir: Path, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data_dir), LEADDESK_DATABASE_URL=f'sqlite:///{db_path}',
               LEADDESK_STORAGE_SECRET='browser-test-secret', LEADDESK_DEMO_STREAM_SECONDS='3600',
               PYTHONUNBUFFERED='1')
    return env


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'run.py exited with {process.returncode}:\n{log_path.read_text()}')
        try:
            with urllib.request.urlopen(url + '/health', timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f'run.py not healthy after {START_TIMEOUT} s:\n{log_path.read_text()}')


@pytest.fixture(scope='session')
def team_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Team]:
    """A database with the team, built once (password hashing is slow) and copied for each server."""
    path = tmp_path_factory.mktemp('template') / 'leaddesk.db'
    desk = factories.make_desk(path)
    team = seed_team(desk)
    desk.ctx.engine.dispose()
    return path, team


def launch(data_dir: Path, team_database: tuple[Path, Team], *, with_team: bool = True,
           seed: Callable[[Desk, Server], None] | None = None,
           env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Server]:
    """run.py on its own database in `data_dir` (made here): empty, or a copy of the team database;
    `seed(desk, server)` adds what the test needs before the server starts. Returns once healthy."""
    data_dir.mkdir()
    db_path = data_dir / 'leaddesk.db'
    port = _free_port()
    server = Server(base_url=f'http://127.0.0.1:{port}', db_path=db_path, log_path=data_dir / 'server.log')
    if with_team:
        template, server.team = team_database
        for suffix in ('', '-wal', '-shm'):
            if Path(f'{template}{suffix}').exists():
                shutil.copyfile(f'{template}{suffix}', f'{db_path}{suffix}')
    if seed is not None:
        desk = factories.make_desk(db_path, clock=Clock())  # the server runs on real time too
        seed(desk, server)
        desk.ctx.engine.dispose()
    with server.log_path.open('wb') as log:
        process = subprocess.Popen([sys.executable, 'run.py', '--port', str(port)], cwd=ROOT,
                                   env=_clean_env(data_dir, db_path) | (env or {}), stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        _wait_healthy(server.base_url, process, server.log_path)
    except RuntimeError:
        stop(process)
        raise
    return process, server


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def start_server(tmp_path: Path, request: pytest.FixtureRequest,
                 team_database: tuple[Path, Team]) -> Iterator[Callable[..., Server]]:
    """Start run.py on its own database (`launch`), stopped when the test ends."""
    processes: list[tuple[subprocess.Popen[bytes], Server]] = []

    def start(*, with_team: bool = True, seed: Callable[[Desk, Server], None] | None = None,
              env: dict[str, str] | None = None) -> Server:
        process, server = launch(tmp_path / f'server{len(processes)}', team_database, with_team=with_team,
                                 seed=seed, env=env)
        processes.append((process, server))
        return server

    yield start

    report = getattr(request.node, 'rep_call', None)
    for process, server in processes:
        stop(process)
        if report is not None and report.failed:
            print(f'\n----- server log {server.base_url} -----\n{server.log_path.read_text()}')


@pytest.fixture
def new_context(new_context: Callable[..., BrowserContext],
                request: pytest.FixtureRequest) -> Iterator[Callable[..., BrowserContext]]:
    """pytest-playwright's, with each page's console, navigations and last text printed on failure:
    NiceGUI says in the console why it reloads a page (a socket that timed out, a failed handshake),
    which is otherwise invisible in a click that "did nothing"."""
    lines: list[str] = []
    pages: list[Page] = []
    started = time.monotonic()

    def note(page: Page, what: str) -> None:
        lines.append(f'{time.monotonic() - started:7.2f}s page {id(page) % 10_000:04d} {what}')

    def watch(page: Page) -> None:
        pages.append(page)
        page.on('console', lambda m: note(page, f'console {m.type}: {m.text}'))
        page.on('framenavigated', lambda f: note(page, f'navigated {f.url}') if f == page.main_frame else None)
        page.on('pageerror', lambda e: note(page, f'page error: {e}'))

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.on('page', watch)
        return context

    yield make
    report = getattr(request.node, 'rep_call', None)
    if report is not None and report.failed and lines:
        print('\n----- browser console and navigations -----\n' + '\n'.join(lines))
        for page in pages:  # what each page showed when the test failed (the dialogs, the toasts)
            print(f'\n----- page {id(page) % 10_000:04d} at the end: {_shown_text(page)}')


def _shown_text(page: Page) -> str:
    try:
        return f'{page.url}\n' + page.inner_text('body', timeout=2_000)[:3_000]
    except PlaywrightError as e:  # a closed page or a dead browser: say so, the report goes on
        return f'(unreadable: {e})'


@pytest.fixture
def empty_server(start_server: Callable[..., Server]) -> Server:
    """A server on a database without users (first-run setup)."""
    return start_server(with_team=False)


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    """A server whose database has an admin, a manager and two reps (`server.team`)."""
    return start_server()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[Any]:
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f'rep_{report.when}', report)
    return report
