"""Unit-suite fixtures: a desk on a fresh SQLite file with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from core import auth
from core.clock import FakeClock
from core.desk import Desk
from tests.factories import make_desk


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, at the minimum cost: the suite creates and logs in many users."""
    monkeypatch.setattr(auth, '_hasher', PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    desk = make_desk(tmp_path / 'unit.db', clock)
    yield desk
    desk.ctx.engine.dispose()
