"""Calm notifications through NiceGUI's simulated user: the account page's preferences, a burst
of arrivals as one grouped toast, and no toast for a user who turned toasts off."""

from __future__ import annotations

import asyncio

from nicegui import app
from nicegui.testing import User

from core.accounts.notifications import NotifySettings
from core.desk import Desk
from store.models import NotifyKind
from tests import factories
from tests.ui.conftest import Team, login


def _app_desk() -> Desk:
    """The Desk run.py built for the app under test: events published through it reach the pages."""
    desk: Desk = app.state.desk
    return desk


async def test_account_page_saves_notification_preferences(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/account')
    await user.should_see(marker='notify-prefs-card', retries=50)
    user.find(marker='prefs-kind-sla').click()
    user.find(marker='prefs-toasts').click()
    user.find(marker='prefs-quiet-start').type('22:00')
    user.find(marker='prefs-quiet-end').type('07:30')
    user.find(marker='prefs-quiet-save').click()
    expected = NotifySettings(muted=frozenset({NotifyKind.SLA}), toasts=False, quiet_start=22 * 60,
                              quiet_end=7 * 60 + 30)
    for _ in range(100):
        if team.desk.team.notify_settings(team.rep_a) == expected:
            break
        await asyncio.sleep(0.05)
    assert team.desk.team.notify_settings(team.rep_a) == expected
    await user.open('/account')  # shown as saved
    await user.should_see(marker='notify-prefs-card', retries=50)
    assert not user.find(marker='prefs-kind-sla').elements.pop().value  # type: ignore[attr-defined]
    assert user.find(marker='prefs-kind-assigned').elements.pop().value  # type: ignore[attr-defined]


async def test_quiet_hours_need_both_ends(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/account')
    await user.should_see(marker='notify-prefs-card', retries=50)
    user.find(marker='prefs-quiet-start').type('22:00')
    user.find(marker='prefs-quiet-save').click()
    await user.should_see('Required', retries=50)
    assert team.desk.team.notify_settings(team.rep_a) == NotifySettings()


async def test_a_burst_of_new_leads_is_one_toast(user: User, team: Team) -> None:
    await login(user, team.manager.email)
    await asyncio.sleep(0.2)
    desk = _app_desk()
    for n in range(5):
        desk.leads.capture_lead(factories.lead_data(name=f'Burst {n}'), channel='api', default_source='api')
    for _ in range(80):
        if user.notify.contains('5 new leads'):
            break
        await asyncio.sleep(0.05)
    assert user.notify.contains('5 new leads')
    assert not user.notify.contains('New lead arrived')


async def test_no_toast_when_toasts_are_off(user: User, team: Team) -> None:
    team.desk.team.set_toasts(team.manager, False)
    await login(user, team.manager.email)
    await asyncio.sleep(0.2)
    _app_desk().leads.capture_lead(factories.lead_data(name='Quiet'), channel='api', default_source='api')
    await asyncio.sleep(2.0)
    assert not user.notify.contains('New lead')
