"""What every outbox channel shares: the background loop started with the app, woken after a commit
that wrote to an outbox, the lease, the exponential backoff, giving up after a maximum age, and
telling the admins when it gives up.

Two channels use it: webhook deliveries (core/integrations/outbox.py) and email
(core/integrations/mailer.py). Each channel's rows hold the same bookkeeping columns (status,
attempts, next_attempt_at, last_attempt_at, delivered_at, error, created_at), so one reading of
"what an attempt's outcome writes" (`attempt_values`) serves both, and a digest channel later is one
more subclass rather than a third copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from core.context import Context, audit
from core.notify import notify
from store import outbox as outbox_store
from store import queries
from store.audit_actions import AuditAction
from store.models import DeliveryStatus, Role

log = logging.getLogger('leaddesk.outbox')


def backoff(attempts: int, base: float = 10.0, cap: float = 900.0) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2×base, 4×base … at most `cap`."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


class OutboxLoop:
    """A channel's delivery loop: subclasses say how a round goes (`deliver_due`) and what is pruned."""

    label = 'outbox'
    """The channel's name in logs and in its asyncio task."""

    def __init__(self, ctx: Context, *, base: float = 10.0, cap: float = 900.0,
                 max_age: timedelta = timedelta(days=3), lease: timedelta = timedelta(minutes=5),
                 poll_seconds: float = 1.0) -> None:
        self.ctx = ctx
        self.base, self.cap, self.max_age, self.lease = base, cap, max_age, lease
        self.poll_seconds = poll_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0
        outbox_store.on_committed(ctx.engine, self._nudge)

    # ----- what a channel says ------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many attempts were made."""
        raise NotImplementedError

    def prune(self, now: datetime) -> None:
        """Drop old delivered rows (called at most hourly)."""

    # ----- the background loop ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop on the running event loop (app start-up)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self.run(), name=f'{self.label}-outbox')

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _nudge(self) -> None:
        """A commit wrote to an outbox (any thread): deliver now rather than at the next poll."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def run(self) -> None:
        wake = self._wake or asyncio.Event()
        while True:
            try:
                attempted = await self.deliver_due()
                await self._prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception('%s delivery round failed; trying again shortly', self.label)
                attempted = 0
            if not attempted:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.poll_seconds)
                wake.clear()

    async def _prune(self) -> None:
        if time.monotonic() - self._pruned_at < 3600:
            return
        self._pruned_at = time.monotonic()
        await asyncio.to_thread(self.prune, self.ctx.now())

    # ----- one attempt's bookkeeping ------------------------------------------------------------------

    def expired(self, created_at: datetime | None, now: datetime) -> bool:
        return created_at is not None and now - created_at >= self.max_age

    def attempt_values(self, *, attempts_before: int, created_at: datetime | None, ok: bool,
                       error: str | None, now: datetime) -> tuple[dict[str, Any], datetime | None]:
        """The columns an attempt writes, and when the next one is due (None: delivered, or given up)."""
        attempts = attempts_before + 1
        values: dict[str, Any] = {'attempts': attempts, 'last_attempt_at': now, 'error': error}
        next_at: datetime | None = None
        if ok:
            values.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
        elif self.expired(created_at, now):
            values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            next_at = now + backoff(attempts, self.base, self.cap)
            values.update(next_attempt_at=next_at)
        return values, next_at

    def tell_gave_up(self, action: AuditAction, reason_key: str, notify_key: str, params: dict[str, Any],
                     **audit_only: Any) -> None:
        """Giving up is an automatic decision: in the trail, and the admins are told (once a round).
        `params` go to both; `audit_only` (ids) to the trail line only."""
        now = self.ctx.now()
        with self.ctx.write() as session:
            audit(session, action, now=now, reason_key=reason_key, **params, **audit_only)
            admins = queries.active_ids_with_roles(session, (Role.ADMIN,))
            told = notify(session, admins, notify_key, now=now, **params)
        for user_id in told:
            self.ctx.events.publish(self.ctx.events.notified, user_id)
        log.warning('%s %s: gave up after %s', self.label, params, self.max_age)
