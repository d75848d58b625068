"""Helpers for the browser tests: the running server, the seeded team, page objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from core.desk import Desk
from store.models import Role, UserRef
from tests import factories


@dataclass
class Team:
    """Who exists before the server starts; everyone's password is `factories.PASSWORD`."""

    admin: UserRef
    manager: UserRef
    rep: UserRef
    other_rep: UserRef


@dataclass
class Server:
    base_url: str
    db_path: Path
    log_path: Path
    team: Team | None = None
    seeded: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str = '/') -> str:
        return self.base_url + path


def seed_team(desk: Desk) -> Team:
    return Team(admin=factories.admin(desk),
                manager=factories.user(desk, Role.MANAGER, name='Mia Manager'),
                rep=factories.user(desk, Role.REP, name='Rita Rep'),
                other_rep=factories.user(desk, Role.REP, name='Otto Rep'))


class LoginPage:
    """The login page as a user sees it."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page, self.server = page, server

    def open(self) -> LoginPage:
        self.page.goto(self.server.url('/login'))
        return self

    def submit(self, email: str, password: str) -> None:
        self.page.get_by_test_id('login-email').fill(email)
        self.page.get_by_test_id('login-password').fill(password)
        self.page.get_by_test_id('login-submit').click()

    def login(self, email: str, password: str = factories.PASSWORD) -> None:
        self.open().submit(email, password)
        self.page.wait_for_url(self.server.url('/'))
        expect(self.page.get_by_test_id('current-user')).to_be_visible()


def login(page: Page, server: Server, user: UserRef) -> None:
    """Log `user` in on `page` and wait for the inbox."""
    LoginPage(page, server).login(user.email)


def choose(page: Page, marker: str, option: str, *, exact: bool = False) -> None:
    """Pick `option` in the select marked `marker` and wait for its menu to be gone. Quasar hands the
    focus back to the select as its menu closes: text typed in the next field before then went to the
    select (a deal's number, filled right after a channel was picked, was lost under load)."""
    page.get_by_test_id(marker).click()
    page.get_by_role('option', name=option, exact=exact).click()
    expect(page.locator('.q-menu')).to_have_count(0)
