"""The header's notification bell, live through the desk's shared tick (ui/live_views.py).

Every assignment notifies its rep, so at 100 captures a second each rep's open tabs heard several
`notified` events a second, and each re-read the user's notifications and rebuilt the bell's menu
at once (bench/load.py: a fifth of the event loop's time went to rebuilding those menus). Now an
event only marks the bells of that user; a tick reads each user's notifications once for all their
tabs and shows them — the count at once, the menu rebuilt only when its rows changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from nicegui import context, run, ui

from core.desk import Desk
from core.events import DeskEvents
from store.models import UserRef

from ..live_views import LiveViews

TICK = 0.5
"""Seconds between two refreshes of a bell under a burst (a lone notification shows at once)."""
_BELLS: WeakKeyDictionary[DeskEvents, LiveViews] = WeakKeyDictionary()


def bells(desk: Desk) -> LiveViews:
    """The desk's open bells; the first call subscribes them to `notified` (once per desk)."""
    views = _BELLS.get(desk.events)
    if views is None:
        views = _BELLS[desk.events] = LiveViews(tick=TICK)

        def notified(user_id: int) -> None:
            views.mark_where(lambda bell: bell.user.id == user_id)

        desk.events.notified.subscribe(notified, expect_args=True)
    return views


def forget_bells(desk: Desk) -> None:
    """Let go of the desk's bells when its app stops: their pages hold the desk, which holds the key
    (a process that runs one app after another — the UI tests — kept every finished one alive)."""
    _BELLS.pop(desk.events, None)


class Bell:
    """One page's bell: its badge (unread count) and menu (the latest notifications)."""

    def __init__(self, desk: Desk, user: UserRef, badge: ui.badge, items: ui.column,
                 render: Callable[[list[Any]], None]) -> None:
        self.desk, self.user, self.badge, self.items, self.render = desk, user, badge, items, render
        self.client = context.client
        self.slot = context.slot
        self.live_marked = False
        self.shown: list[Any] | None = None

    async def load(self) -> None:
        """Read now (the bell clicked, the page opened)."""
        found = await run.io_bound(self.desk.team.notifications, self.user)
        if found is not None:
            self.show(*found)

    def show(self, rows: list[Any], unread: int) -> None:
        if self.badge.is_deleted:  # the page ended meanwhile
            return
        self.badge.set_text(str(unread))
        self.badge.set_visibility(unread > 0)
        if rows != self.shown:  # a tick with the same notifications leaves the menu as it is
            self.shown = list(rows)
            with self.slot:
                self.render(rows)

    def live_ask(self) -> int:
        return self.user.id or 0

    def live_key(self, ask: int) -> int:
        """A user's notifications: every tab of theirs shows the same."""
        return ask

    def live_read(self, ask: int) -> Any:
        return self.desk.team.notifications(self.user)

    async def live_show(self, ask: int, result: object) -> None:
        if isinstance(result, tuple):
            rows, unread = result
            self.show(rows, unread)
        else:
            await self.load()  # the read failed: a read of its own reports it


