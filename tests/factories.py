"""Builders shared by the test suites: a desk on a temp database with a fixed clock."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from core.clock import FakeClock
from core.desk import Desk
from core.settings import Settings
from store.engine import make_engine
from store.models import Role, UserRef

PASSWORD = 'correct-horse-9'
_seq = itertools.count(1)


def make_desk(url_or_path: str | Path, clock: FakeClock | None = None) -> Desk:
    url = str(url_or_path) if str(url_or_path).startswith(('sqlite', 'postgresql')) else f'sqlite:///{url_or_path}'
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
