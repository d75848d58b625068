"""Notifications page: a user's unread notifications, live, and "mark all read"."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable

from nicegui import ui
from nicegui.testing import User

from core.clock import FakeClock
from core.desk import Desk
from store.models import Role
from tests import factories
from tests.ui.conftest import Team, login


async def until(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def listed(user: User) -> list[str]:
    """Texts of the notifications shown (links and labels inside the list)."""
    container = user.find(marker='notifications-list').elements.pop()
    return [e.text for e in container.descendants() if isinstance(e, (ui.link, ui.label)) and e.text]


def lead_links(user: User) -> list[str]:
    container = user.find(marker='notifications-list').elements.pop()
    return [e.props.get('href', '') for e in container.descendants() if isinstance(e, ui.link)]


def app_desk(team: Team) -> Desk:
    """The desk run.py built for the app under test: its events reach the open pages."""
    url = os.environ['LEADDESK_DATABASE_URL']
    desks = [o for o in gc.get_objects() if isinstance(o, Desk) and o is not team.desk
             and not isinstance(o.ctx.clock, FakeClock) and o.ctx.settings.database_url == url]
    return desks[-1]


def overdue_lead(team: Team, name: str) -> int:
    """A lead whose first response the timer finds overdue: owner and managers are notified."""
    result = team.desk.leads.capture_lead(factories.lead_data(name=name), channel='manual',
                                          default_source='manual')
    assert isinstance(team.desk.ctx.clock, FakeClock)
    team.desk.ctx.clock.advance(days=30)
    team.desk.run_timer()
    return result.lead_id


async def test_lists_notifications_and_marks_them_read(user: User, team: Team) -> None:
    lead_id = overdue_lead(team, 'Late Lead')
    await login(user, team.manager.email)
    await user.open('/notifications')
    assert await until(lambda: any('Late Lead' in text for text in listed(user)))
    assert f'/leads/{lead_id}' in lead_links(user)
    user.find(marker='notifications-read').click()
    assert await until(lambda: not any('Late Lead' in text for text in listed(user)))
    await user.should_see(marker='notifications-none')
    assert team.desk.team.notifications(team.manager) == ([], 0)


async def test_others_notifications_are_not_shown(user: User, team: Team) -> None:
    overdue_lead(team, 'Late Lead')
    newcomer = factories.user(team.desk, Role.REP, name='Rep Sun')
    await login(user, newcomer.email)
    await user.open('/notifications')
    await user.should_see(marker='notifications-none', retries=50)
    assert not any('Late Lead' in text for text in listed(user))


async def test_empty_list_says_so(user: User, team: Team) -> None:
    await login(user, team.rep_a.email)
    await user.open('/notifications')
    await user.should_see(marker='notifications-none', retries=50)
    await user.should_not_see(marker='notifications-read')


async def test_new_notification_appears_live(user: User, team: Team) -> None:
    for rep in (team.rep_a, team.rep_b):
        team.desk.team.update_user(team.manager, rep.id, {'is_on_leave': True})
    await login(user, team.manager.email)
    await user.open('/notifications')
    await user.should_see(marker='notifications-none', retries=50)
    # Nobody can take it: the lead waits in the pool and the timer's next tick tells the managers how
    # many went there, through the app's events.
    desk = app_desk(team)
    desk.leads.capture_lead(factories.lead_data(name='Orphan Lead'), channel='api', default_source='api')
    desk.automation.tick()
    assert await until(lambda: any('1 lead(s) went to the pool' in text for text in listed(user)))
    assert '/pool' in lead_links(user)
