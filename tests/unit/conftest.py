"""Unit-suite fixtures: a desk on a fresh SQLite file with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.desk import Desk
from tests.factories import make_desk


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    desk = make_desk(tmp_path / 'unit.db', clock)
    yield desk
    desk.ctx.engine.dispose()
