"""UI tests drive pages through NiceGUI's simulated User (no browser). The app under
test is run.py on the per-test database; `team` prepares users in that same file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from nicegui.testing import User

from core.desk import Desk
from store.models import Role, UserRef
from tests import factories


@dataclass
class Team:
    desk: Desk
    admin: UserRef
    manager: UserRef
    rep_a: UserRef
    rep_b: UserRef


@pytest.fixture
def team() -> Iterator[Team]:
    desk = factories.make_desk(os.environ['LEADDESK_DATABASE_URL'])
    admin = factories.admin(desk)
    yield Team(desk=desk, admin=admin,
               manager=factories.user(desk, Role.MANAGER, name='Manager Wang'),
               rep_a=factories.user(desk, Role.REP, name='Rep Li', capacity=10),
               rep_b=factories.user(desk, Role.REP, name='Rep Zhao', capacity=10))
    desk.ctx.engine.dispose()  # its connections would stay open for the rest of the run


async def login(user: User, email: str, password: str = factories.PASSWORD) -> None:
    await user.open('/login')
    user.find(marker='login-email').type(email)
    user.find(marker='login-password').type(password)
    user.find(marker='login-submit').click()
    await user.should_see(marker='current-user', retries=300)  # a wait, not a speed check (a loaded box)


@pytest.fixture(autouse=True)
def _english(user: User) -> None:
    """Pages read the browser's language; these tests read English (zh-CN has its own test)."""
    user.http_client.headers['Accept-Language'] = 'en-US,en;q=0.9'
