"""Live list pages refreshed together: one refresh per page per tick, each distinct view read once.

Before, every open inbox subscribed to the lead events itself: each capture (two events: captured,
assigned) started one task per open page, and each page then read its own rows — 20 pages at 100
captures/s were ~4,000 tasks and up to 40 page reads a second on the event loop the API shares
(bench/load.py, docs/BENCHMARKS.md "Live at scale"). Now one `LiveViews` per desk hears the events;
hearing one only marks the pages it concerns (plain flags, no task, no query: nothing of a page's
work runs on the capture's path). A tick every `TICK` seconds reads the marked pages in one worker
call, where pages that show the same thing (same filter after the reader's scope is resolved: two
managers' unfiltered inboxes, two tabs of one rep) share one query, and shows each.

No update is lost: a page's mark is taken off before its read starts, so an event that commits
during a read marks it again and the next tick reads it again; the last state always arrives,
at most one tick plus one read after its event. A lone event is shown at once (no tick has run
for `TICK`), a burst coalesces into one refresh per page per tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from nicegui import Client, background_tasks, run

log = logging.getLogger('leaddesk.live')

TICK = 0.25
"""Seconds between two live refreshes of the open pages (a burst within it is one refresh)."""

BUSY_SHARE = 0.5
"""At most this share of the time goes to live refreshes: when a tick took longer than `TICK`
(a hundred pages open during a campaign burst), the next waits as long as the tick took, so the
requests sharing the event loop (API captures, clicks) keep the other half. Pages then update less
often, each showing more at once; no update is lost."""


class SharedPage(Protocol):
    """A live page `LiveViews` refreshes (ui/pages/inbox.py `Inbox`, ui/pages/team.py `TeamPage`)."""

    client: Client
    live_marked: bool

    def live_ask(self) -> Any:
        """The page's current read (immutable: compared when the rows come back)."""

    def live_key(self, ask: Any) -> Hashable:
        """What makes two reads the same (a worker thread's call: it may resolve the scope)."""

    def live_read(self, ask: Any) -> Any:
        """The read itself (a worker thread's call: it queries)."""

    async def live_show(self, ask: Any, result: Any) -> None:
        """Show what was read for `ask` (on the loop, in the page's context)."""


@dataclass(slots=True)
class Failed:
    """A read raised: the page's own refresh handles it (it knows its errors: a retired sort field)."""

    error: Exception


class LiveViews:
    """The open live pages of one desk, and the tick that refreshes the marked ones."""

    def __init__(self, tick: float = TICK) -> None:
        self.tick = tick
        self.pages: dict[int, SharedPage] = {}
        self._last = 0.0
        self._took = 0.0
        """How long the last tick ran (its read and its pages shown)."""
        self._timer: asyncio.TimerHandle | None = None
        self._running = False
        self.reads = 0
        """Distinct reads done (bench and tests see the sharing)."""
        self.refreshes = 0
        """Pages shown by a tick."""

    def join(self, page: SharedPage) -> None:
        """Refresh `page` from when its socket connects until its client is deleted (a GET whose
        browser never connects holds nothing: ui/live.py)."""
        client = page.client
        if client.has_socket_connection:
            self._add(page)
            return
        joined = False

        def on_connect() -> None:
            nonlocal joined
            if not joined and not client.is_deleted:
                joined = True
                self._add(page)

        client.on_connect(on_connect)

    def _add(self, page: SharedPage) -> None:
        self.pages[id(page)] = page
        page.client.on_delete(lambda: self.pages.pop(id(page), None))

    def mark_all(self) -> None:
        """Every open page needs a refresh (an event every page shows, e.g. the team's figures)."""
        self.mark_where(lambda _page: True)

    def mark(self, page: SharedPage) -> None:
        """`page` needs a refresh: at the next tick (at once when none ran for a tick)."""
        page.live_marked = True
        self._schedule()

    def mark_where(self, concerns: Callable[[SharedPage], bool]) -> None:
        """Mark every open page `concerns` says the event touches (called from an event: flags only)."""
        hit = False
        for page in list(self.pages.values()):
            try:
                touched = concerns(page)  # asked even when marked: a page counts arrivals for its toast
            except Exception:  # one broken page must not keep the event from the others
                log.exception('live page %s failed to hear an event; dropped', id(page))
                self.pages.pop(id(page), None)
                continue
            if touched:
                page.live_marked = True
                hit = True
        if hit:
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None or self._running:
            return  # a tick is due, or running (it looks for marks again when done)
        loop = asyncio.get_running_loop()
        period = max(self.tick, self._took / BUSY_SHARE)  # (start to start)
        wait = max(0.0, self._last + period - time.monotonic())
        self._timer = loop.call_later(wait, self._start)

    def _start(self) -> None:
        self._timer = None
        background_tasks.create(self._run(), name='live views tick')

    async def _run(self) -> None:
        self._running = True
        try:
            self._last = time.monotonic()
            await self.refresh_marked()
        finally:
            self._took = time.monotonic() - self._last
            self._running = False
            if any(p.live_marked for p in self.pages.values()):
                self._schedule()  # marked while the read ran (or not read): one more tick

    async def refresh_marked(self) -> None:
        """Read each distinct view of the marked pages once (one worker call), then show each page."""
        marked = [p for p in self.pages.values() if p.live_marked and not p.client.is_deleted]
        for page in marked:
            page.live_marked = False
        if not marked:
            return
        asks = [(page, page.live_ask()) for page in marked]
        try:
            results = await run.io_bound(self._read_all, asks)
        except BaseException:
            for page in marked:  # not read: still owed their refresh
                page.live_marked = True
            raise
        if results is None:  # the app stops
            return
        for (page, ask), result in zip(asks, results, strict=True):
            if page.client.is_deleted:
                continue
            self.refreshes += 1
            try:
                with page.client:
                    await page.live_show(ask, result)
            except Exception:  # one page's failure must not keep the rows from the others
                log.exception('live page %s failed to show its refresh', id(page))
            await asyncio.sleep(0)  # a request waiting on the loop goes between two pages, not after all

    def _read_all(self, asks: list[tuple[SharedPage, Any]]) -> list[Any]:
        """In a worker thread: the keys, then one read per distinct key."""
        done: dict[Hashable, Any] = {}
        results = []
        for page, ask in asks:
            try:
                key: Hashable = page.live_key(ask)
            except Exception:  # no key (a bad filter): read alone; the read reports it
                key = ('alone', id(page))
            if key not in done:
                self.reads += 1
                try:
                    done[key] = page.live_read(ask)
                except Exception as e:  # handed to the page: its own refresh reports it
                    done[key] = Failed(e)
            results.append(done[key])
        return results
