"""Builders shared by the test suites: a desk on a temp database with a fixed clock."""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.clock import FakeClock
from core.desk import Desk
from core.settings import Settings
from store.engine import make_engine
from store.migrate import upgrade
from store.models import Role, UserRef

PASSWORD = 'correct-horse-9'
_seq = itertools.count(1)


_template: Path | None = None


def migrated_template() -> Path:
    """A SQLite file migrated to head, built once per test process (each xdist worker its own):
    a fresh database for a test is a copy of it, not ~25 migrations run again (~0.5 s a test)."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix='leaddesk-template-'))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / 'template.db'
        engine = make_engine(f'sqlite:///{path}')
        upgrade(engine)
        engine.dispose()  # the last connection closing checkpoints the WAL and deletes -wal and -shm
        leftovers = [p.name for p in folder.iterdir() if p != path]
        assert not leftovers, f'the template database left {leftovers} behind'
        _template = path
    return _template


def fresh_sqlite(url_or_path: str | Path) -> None:
    """Put a copy of the migrated template where a SQLite database is wanted and none is yet
    (start-up then finds it at head). Anything else — PostgreSQL, in-memory, an existing file — is
    left alone."""
    url = sa.engine.make_url(str(url_or_path) if '://' in str(url_or_path) else f'sqlite:///{url_or_path}')
    if url.get_backend_name() != 'sqlite' or not url.database or url.database == ':memory:':
        return
    path = Path(url.database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_template(), path)


def make_desk(url_or_path: str | Path, clock: FakeClock | None = None) -> Desk:
    url = str(url_or_path) if str(url_or_path).startswith(('sqlite', 'postgresql')) else f'sqlite:///{url_or_path}'
    fresh_sqlite(url)
    settings = Settings(database_url=url, storage_secret='test')
    desk = Desk(make_engine(url), settings, clock=clock or FakeClock())
    desk.prepare()
    return desk


def admin(desk: Desk) -> UserRef:
    """The first admin (created on first call)."""
    if desk.team.needs_setup():
        return desk.team.create_first_admin(email='admin@example.com', name='Admin', password=PASSWORD)
    ref, _ = desk.team.login('admin@example.com', PASSWORD)
    return ref


def user(desk: Desk, role: str = Role.REP, **fields: Any) -> UserRef:
    n = next(_seq)
    fields.setdefault('name', f'{role.title()} {n}')
    return desk.team.create_user(admin(desk), email=f'{role}{n}@example.com', password=PASSWORD, role=role,
                                 **fields)


def lead_data(**fields: Any) -> dict[str, Any]:
    n = next(_seq)
    data: dict[str, Any] = {'name': f'Lead {n}', 'phone': f'+86 139 {n:04d} {n:04d}'}
    data.update(fields)
    return data
