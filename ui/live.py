"""Live updates for a page, only while a browser is on it.

A page built by a plain GET whose browser never opens the socket (a crawler, a health probe,
`curl`) must hold nothing: subscribed at build time, each such page stayed subscribed until
NiceGUI pruned it a minute later, refreshing itself from the database on every capture — 5,000
GETs kept 5,000 inboxes alive and every capture queried for each of them. So a page names its
subscriptions here and they start when its socket connects (once: a reconnect does not
subscribe twice); NiceGUI drops them when the client is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import Event, context


def subscribe(event: Event, callback: Callable[..., Any], *, expect_args: bool | None = None) -> None:
    """`event.subscribe(callback)` for the page being built, from the moment its socket connects.

    The callback runs in the slot it was named in (as `Event.subscribe` would have it), so the
    elements it creates land where they did before."""
    client = context.client
    slot = context.slot

    def attach() -> None:
        try:
            slot.parent  # noqa: B018 (raises once the element it was named in is gone)
        except RuntimeError:
            return  # rebuilt before the socket came (a refresh): the new element subscribed itself
        with slot:
            event.subscribe(callback, expect_args=expect_args)

    if client.has_socket_connection:  # a dialog or panel built after the page connected
        attach()
        return
    attached = False

    def on_connect() -> None:
        nonlocal attached
        if not attached and not client.is_deleted:
            attached = True
            attach()

    client.on_connect(on_connect)


class ReadOrder:
    """Reads of one page part, numbered as they start: one user action publishes several events and
    each starts a read in a worker thread, and they may finish out of order. Only a read at least as
    new as the one shown may be shown, so an older state never replaces a newer."""

    def __init__(self) -> None:
        self._started = 0
        self._shown = 0

    def start(self) -> int:
        self._started += 1
        return self._started

    def may_show(self, read: int) -> bool:
        """Whether read `read` may be shown (it is then the one shown)."""
        if read < self._shown:
            return False
        self._shown = read
        return True
