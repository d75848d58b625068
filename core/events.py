"""Domain events, published after commit. They carry ids, never ORM objects.

The events live on an instance built in run.py (module-level events would pile up
handlers when the test plugin re-runs run.py). Core work often runs in a worker
thread (`run.io_bound`); NiceGUI runs subscribers in the emitting thread, so
`publish` hops onto the event loop the app bound at start-up.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from nicegui import Event


class DeskEvents:
    def __init__(self) -> None:
        self.lead_captured: Event[int, int | None] = Event()
        """A new lead exists: (lead_id, owner_id or None when it waits in the pool)."""
        self.lead_touched: Event[int, int | None] = Event()
        """A duplicate arrival joined an existing lead: (lead_id, owner_id)."""
        self.lead_assigned: Event[int, int | None, int | None] = Event()
        """Ownership changed: (lead_id, new owner_id, previous owner_id)."""
        self.lead_changed: Event[int, int | None] = Event()
        """Fields, status or activities of a lead changed: (lead_id, owner_id)."""
        self.opportunity_moved: Event[int, int | None] = Event()
        """An opportunity was created, moved or edited: (opportunity_id, actor_id or None)."""
        self.tags_changed: Event[[]] = Event()
        """The tag catalogue changed (defined, renamed, recoloured, retired): pickers and chips redraw."""
        self.record_tagged: Event[str, int] = Event()
        """A tag was put on or taken off a record: (TagEntity value, record id)."""
        self.shares_changed: Event[int] = Event()
        """A user was added to or taken off a record as a collaborator: (user_id). Their open lists
        re-read their reach (it was resolved when the page opened) and show or drop the record."""
        self.notified: Event[int] = Event()
        """A user got a notification: (user_id)."""
        self.users_changed: Event[[]] = Event()
        """The team changed (user created, deactivated, capacity, leave)."""
        self.import_progressed: Event[int] = Event()
        """An import job committed a batch or changed status: (job_id)."""
        self.leads_imported: Event[list[int | None]] = Event()
        """An import batch committed new or joined leads: the owners of those leads, once each (None:
        some wait in the pool). One event per batch instead of one `lead_captured` per row."""
        self.leads_merged: Event[int] = Event()
        """Near-duplicates were merged into a survivor, or a merge undone: (survivor lead_id)."""
        self.care_changed: Event[int, int | None] = Event()
        """A customer's care task opened (the timer) or a revisit was recorded: (account_id, owner_id)."""
        self.sessions_ended: Event[list[int]] = Event()
        """Browser sessions ended (logout, password change, expiry, deactivation): (their ids). Every
        open page of those sessions closes and goes to the login page."""
        self.digest_sent: Event[int] = Event()
        """A digest went out to a user (the timer's schedule): (user_id). Their digest page, and a
        manager's showing that user's history, show it."""
        self.webhooks_changed: Event[[]] = Event()
        """Webhooks were added, changed or switched off: every process re-reads which events they want."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._relay: Callable[[str, tuple[Any, ...]], None] | None = None
        self._names = {id(value): name for name, value in vars(self).items() if isinstance(value, Event)}

    def names(self) -> list[str]:
        """Every event's attribute name (what crosses processes instead of the object)."""
        return sorted(self._names.values())

    def set_relay(self, relay: Callable[[str, tuple[Any, ...]], None] | None) -> None:
        """Also hand every published event (name, args) to `relay`: core/automation/cluster.py sends them to
        the other app processes on the same PostgreSQL database."""
        self._relay = relay

    def emit_remote(self, name: str, args: tuple[Any, ...]) -> None:
        """An event another process published: emitted here like a local one, never relayed back."""
        event = getattr(self, name, None) if name in self._names.values() else None
        if isinstance(event, Event):
            self._emit(event, *args)

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called once the server runs, from the loop's own thread."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def publish(self, event: Event, *args: Any) -> None:
        """Emit on the event loop, whichever thread the committed work ran in (and relay it)."""
        self._emit(event, *args)
        relay = self._relay
        if relay is not None and (name := self._names.get(id(event))) is not None:
            relay(name, args)

    def _emit(self, event: Event, *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or threading.get_ident() == self._loop_thread:
            event.emit(*args)
        else:
            loop.call_soon_threadsafe(event.emit, *args)
