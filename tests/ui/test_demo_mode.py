"""Demo mode: the seeded team, published logins on the login page only in demo mode,
and the managers' switch for the simulated lead stream."""

from __future__ import annotations

import asyncio
import os

import pytest
from nicegui.testing import User

from core.ops.demo_accounts import DEMO_PASSWORD
from tests import factories
from tests.ui.conftest import login


@pytest.mark.env(LEADDESK_DEMO='1')
async def test_demo_login_page_lists_accounts_and_manager_toggles_stream(user: User) -> None:
    await user.open('/login')
    await user.should_see('manager@demo.leaddesk / ' + DEMO_PASSWORD)
    await login(user, 'manager@demo.leaddesk', DEMO_PASSWORD)
    await user.should_see('Page 1 of')
    await user.open('/settings')
    switch = user.find(marker='demo-stream').elements.pop()
    assert switch.value is True
    switch.set_value(False)
    await asyncio.sleep(0.2)
    await user.open('/settings')
    assert user.find(marker='demo-stream').elements.pop().value is False


async def test_login_page_shows_no_demo_accounts_outside_demo_mode(user: User) -> None:
    factories.admin(factories.make_desk(os.environ['LEADDESK_DATABASE_URL']))
    await user.open('/login')
    await user.should_see(marker='login-submit')
    await user.should_not_see('demo.leaddesk')
