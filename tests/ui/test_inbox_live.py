"""Live inboxes under a burst (ui/live_views.py): one refresh per page per tick, one read per
distinct view, and the last state on every open page — no update lost."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable

from nicegui import app
from nicegui.testing import User

from core.desk import Desk
from store.models import Role
from tests import factories
from tests.ui.conftest import Team, login
from tests.ui.test_inbox_page import table_names, wait_rows
from ui.live_views import TICK, LiveViews


def _app() -> tuple[Desk, LiveViews]:
    """The running app's desk and its open inboxes (the module as run.py imported it this test)."""
    desk: Desk = app.state.desk
    inbox = sys.modules['ui.pages.inbox']
    return desk, inbox.OPEN[desk.events]


async def _settled(views: LiveViews, pages: int) -> None:
    """Every page joined and no tick pending (their first rows came with the HTML)."""
    for _ in range(200):
        if len(views.pages) >= pages and not any(p.live_marked for p in views.pages.values()):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(TICK * 2)


async def test_a_burst_is_one_refresh_per_page_and_two_managers_share_one_read(
        user: User, create_user: Callable[[], User], team: Team) -> None:
    other = factories.user(team.desk, Role.MANAGER, name='Manager Two')
    rep = create_user()
    boss = create_user()
    await login(user, team.manager.email)
    await login(boss, other.email)
    await login(rep, team.rep_a.email)
    desk, views = _app()
    await _settled(views, 3)
    reads, refreshes = views.reads, views.refreshes
    names = [f'Burst {i}' for i in range(12)]
    for name in names:  # on the loop, without yielding: one burst of 24 events (captured, assigned)
        desk.leads.capture_lead(factories.lead_data(name=name), channel='api', default_source='api',
                                actor=team.rep_a, keep_for_actor=True)
    for page in (user, boss, rep):
        assert set(names) <= set(await wait_rows(page, set(names), timeout=10))
    assert views.refreshes - refreshes == 3  # one per page, not one per event (24 per page before)
    assert views.reads - reads == 2  # the managers' inboxes are one view; the rep's another


async def test_the_last_state_reaches_every_page_while_captures_keep_coming(
        user: User, create_user: Callable[[], User], team: Team) -> None:
    rep = create_user()
    await login(user, team.manager.email)
    await login(rep, team.rep_a.email)
    desk, views = _app()
    await _settled(views, 2)
    refreshes = views.refreshes
    names = [f'Stream {i}' for i in range(20)]

    def stream() -> None:  # as API requests commit in worker threads, spread over several ticks
        for name in names:
            desk.leads.capture_lead(factories.lead_data(name=name), channel='api', default_source='api',
                                    actor=team.rep_a, keep_for_actor=True)
            time.sleep(0.03)

    started = time.monotonic()
    worker = threading.Thread(target=stream)
    worker.start()
    while worker.is_alive():
        await asyncio.sleep(0.05)
    for page in (user, rep):  # every lead, the last one included, on both pages
        assert set(names) <= set(await wait_rows(page, set(names), timeout=10)), table_names(page)
    elapsed = time.monotonic() - started
    ticks = elapsed / TICK + 2  # a page refreshes at most once a tick, whatever the box's speed
    assert views.refreshes - refreshes <= 2 * ticks
    assert views.refreshes - refreshes < 2 * 2 * len(names)  # fewer than one per event per page


async def test_a_burst_of_assignments_ends_with_the_true_unread_count_on_every_tab_of_the_bell(
        user: User, create_user: Callable[[], User], team: Team) -> None:
    tab = create_user()  # the same rep in a second tab
    await login(user, team.rep_a.email)
    await login(tab, team.rep_a.email)
    desk, _views = _app()
    for i in range(8):  # a burst: each assignment to the rep notifies them
        got = desk.leads.capture_lead(factories.lead_data(name=f'Bell {i}'), channel='api', default_source='api')
        if got.owner_id != team.rep_a.id:
            desk.leads.assign_lead(team.manager, got.lead_id, rep_id=team.rep_a.id or 0)
    _rows, unread = desk.team.notifications(team.rep_a)
    assert unread > 0
    for page in (user, tab):
        await page.should_see(marker='notification-count', retries=200)
        for _ in range(200):
            badge = page.find(marker='notification-count').elements.pop()
            if getattr(badge, 'text', None) == str(unread):
                break
            await asyncio.sleep(0.05)
        assert getattr(badge, 'text', None) == str(unread)
