"""Root test configuration: NiceGUI's User plugin, and a fresh database per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.dependencies import models as fastapi_dependencies
from nicegui import Client

from core.accounts import auth
from tests.factories import fresh_sqlite

pytest_plugins = ['nicegui.testing.user_plugin']


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, at the minimum cost: the suites create and log in many users.
    (The app in a browser-test subprocess keeps the real cost; argon2 reads the cost from each hash.)"""
    monkeypatch.setattr(auth, '_hasher', PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   request: pytest.FixtureRequest) -> Iterator[Path]:
    """Each test gets its own data folder and SQLite file (run.py reads these variables);
    `@pytest.mark.env(NAME='value')` sets more before the app starts. A test that starts the app
    (NiceGUI's `user`) gets the file as a copy of the migrated template: start-up finds it at head."""
    data = tmp_path / 'data'
    monkeypatch.setenv('LEADDESK_DATA_DIR', str(data))
    monkeypatch.setenv('LEADDESK_DATABASE_URL', f'sqlite:///{data / "leaddesk.db"}')
    monkeypatch.setenv('LEADDESK_STORAGE_SECRET', 'test-secret')
    monkeypatch.setenv('LEADDESK_DEMO_STREAM_SECONDS', '3600')
    monkeypatch.setenv('LEADDESK_TICK_SECONDS', '3600')  # tests run the timer themselves
    monkeypatch.delenv('LEADDESK_DEMO', raising=False)
    for marker in request.node.iter_markers('env'):
        for name, value in marker.kwargs.items():
            monkeypatch.setenv(name, value)
    if {'user', 'create_user'} & set(request.fixturenames):
        fresh_sqlite(os.environ['LEADDESK_DATABASE_URL'])
    yield data
    os.environ.pop('LEADDESK_TEST_SEED', None)


@pytest.fixture(autouse=True)
def _forget_finished_apps() -> Iterator[None]:
    """FastAPI caches what it learns of each endpoint (lru_caches keyed by the function) for the
    process's life. In a run each UI test registers its app's pages anew, so those caches would keep
    every finished test's page closures, and through them its Desk, alive: ~3 MB a test and a run
    that slows as it goes. Once a test is over its endpoints are never called again."""
    yield
    for value in vars(fastapi_dependencies).values():
        if callable(getattr(value, 'cache_clear', None)):
            value.cache_clear()
    # NiceGUI's simulation forgets a finished test's pages (`Client.instances.clear()` at the next
    # start) without deleting them, so their delete handlers never ran: the live registries kept
    # their pages and, through them, the test's Desk; each `ui.dialog`'s finalizer kept its page.
    # The heap grew by ~40k objects a test and every later test's two full collections slowed with
    # it (UI tests went from ~1 s to ~10 s each by the middle of a run). Delete them as a browser's
    # closing tab would.
    for client in list(Client.instances.values()):
        if not client.is_deleted:
            client.delete()
