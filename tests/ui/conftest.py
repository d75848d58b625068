"""UI tests drive pages through NiceGUI's simulated User (no browser). The app under
test is run.py on the per-test database; `team` prepares users in that same file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from nicegui import context, ui
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


class _PageUser(User):
    """A simulated user that leaves `ui.navigate` / `ui.notify` / `ui.download` alone when touched
    (ByPage installs routers for them instead)."""

    def __getattribute__(self, name: str) -> Any:
        return object.__getattribute__(self, name)


class ByPage:
    """`ui.navigate`, `ui.notify` and `ui.download` for tests with several simulated users: each call
    goes to the user whose page made it. NiceGUI's simulation has one global of each, pointed at
    whichever User the test touched last; with two users, a login handler finishing while the test
    polled the other user navigated the *other* user (the first stayed on the login form: the
    two-browser test of test_account_page failed about 2 runs in 5)."""

    def __init__(self) -> None:
        self.users: list[User] = []
        self.saved = (ui.navigate, ui.notify, ui.download)
        ui.navigate = _Route(self, 'navigate')  # type: ignore[assignment]
        ui.notify = _Route(self, 'notify')  # type: ignore[assignment]
        ui.download = _Route(self, 'download')  # type: ignore[assignment]

    def add(self, user: User) -> User:
        user.__class__ = _PageUser
        self.users.append(user)
        return user

    def owner(self) -> User:
        try:
            client = context.client
        except RuntimeError:  # not inside any page's handler
            client = None
        return next((u for u in self.users if client is not None and u.client is client), self.users[0])

    def close(self) -> None:
        ui.navigate, ui.notify, ui.download = self.saved  # type: ignore[assignment]


class _Route:
    """One of ui.navigate / ui.notify / ui.download, sent to the calling page's user's own."""

    def __init__(self, users: ByPage, name: str) -> None:
        self.users, self.name = users, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.users.owner(), self.name)(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(getattr(self.users.owner(), self.name), attribute)


@pytest.fixture
def create_user(create_user: Callable[[], User], user: User) -> Iterator[Callable[[], User]]:
    """NiceGUI's `create_user`, with every user's navigation and toasts sent by page (ByPage)."""
    routes = ByPage()
    routes.add(user)
    yield lambda: routes.add(create_user())
    routes.close()


@pytest.fixture(autouse=True)
def _english(user: User) -> None:
    """Pages read the browser's language; these tests read English (zh-CN has its own test)."""
    user.http_client.headers['Accept-Language'] = 'en-US,en;q=0.9'
