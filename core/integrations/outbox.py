"""Delivering the webhook outbox, outside every request: an asyncio loop started with the app.

Each round claims the due pending deliveries with a lease (store/outbox.py `claim_due`), sends
them with httpx — each webhook's in order, one after another; different webhooks at the same
time — and records each attempt: delivered, or the next attempt after an exponential backoff
(`backoff`: 10 s, 20 s, 40 s … at most 15 min), or, once a delivery is older than `max_age`
(3 days), failed — visible in the webhook's log, the admins told once per webhook and round. When
one of a webhook's deliveries fails, its later ones wait for the same next attempt instead of
knocking on a receiver that is down. The robots accept 20 messages a minute: beyond that a robot
webhook's deliveries wait for the minute to pass.

Nothing here runs in a capture: a receiver that is slow or down costs the writer nothing, and
the rows wait in the database, so a restart (or another process, on PostgreSQL) carries on.
Delivery is at least once: a process that dies between the receiver's answer and the record
sends that delivery again after the lease; `X-LeadDesk-Delivery` names it for receivers to dedupe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from core.context import Context
from core.integrations.formats import ROBOT_FORMATS, Translate, accepted, build_request, untranslated
from core.integrations.outbox_loop import OutboxLoop, backoff
from core.integrations.targets import guarded_transport
from core.integrations.webhooks import DeliveryView, allows_private, delivery_view
from store import outbox as store
from store.audit_actions import AuditAction
from store.models import DeliveryStatus, Webhook, WebhookDelivery

log = logging.getLogger('leaddesk.outbox')

ROBOT_PER_MINUTE = 20
KEEP_DELIVERED = timedelta(days=30)
READ_AT_MOST = 4096
"""Bytes of a receiver's answer read (the rest is never read: a receiver answering gigabytes costs
4 KiB). Enough for a robot's `{"errcode": …}` and for an error page's first lines."""
EXCERPT_CHARS = 500
"""Characters of the answer the delivery log keeps."""


__all__ = ['Deliverer', 'Outcome', 'backoff']


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status: int | None
    excerpt: str | None
    error: str | None


class Deliverer(OutboxLoop):
    """The webhook channel of the outbox loop (core/integrations/outbox_loop.py)."""

    label = 'webhook'

    def __init__(self, ctx: Context, *, base: float = 10.0, cap: float = 900.0,
                 max_age: timedelta = timedelta(days=3), lease: timedelta = timedelta(minutes=5),
                 timeout: float = 10.0, poll_seconds: float = 1.0) -> None:
        super().__init__(ctx, base=base, cap=cap, max_age=max_age, lease=lease, poll_seconds=poll_seconds)
        self.timeout = timeout
        self.translate: Translate = untranslated
        self._sent: defaultdict[int, deque[float]] = defaultdict(deque)

    def prune(self, now: datetime) -> None:
        with self.ctx.write() as session:
            store.prune_delivered(session, now - KEEP_DELIVERED)

    # ----- one round ----------------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many attempts were made."""
        claimed = await asyncio.to_thread(self._claim, None)
        return await self._send(claimed)

    async def deliver(self, delivery_id: int) -> DeliveryView | None:
        """Send this one delivery now (the "send test" button) and return how it went. If the
        background loop took it first (its commit woke the loop), wait for that attempt instead."""
        attempted = await self._send(await asyncio.to_thread(self._claim, delivery_id))
        deadline = time.monotonic() + self.timeout + 2
        while True:
            view = await asyncio.to_thread(self._view, delivery_id)
            if attempted or view is None or view.attempts or view.status != DeliveryStatus.PENDING \
                    or time.monotonic() > deadline:
                return view
            await asyncio.sleep(0.1)

    def _view(self, delivery_id: int) -> DeliveryView | None:
        with self.ctx.read() as session:
            found = session.get(WebhookDelivery, delivery_id)
            return delivery_view(found) if found else None

    def _claim(self, only: int | None) -> list[tuple[WebhookDelivery, Webhook]]:
        now = self.ctx.now()
        if only is None:
            with self.ctx.read() as session:
                if not store.any_due(session, now):  # the idle poll: one index probe, no write lock
                    return []
        with self.ctx.write() as session:
            return store.claim_due(session, now, now + self.lease, only=only)

    async def _send(self, claimed: Sequence[tuple[WebhookDelivery, Webhook]]) -> int:
        if not claimed:
            return 0
        groups: dict[int, tuple[Webhook, list[WebhookDelivery]]] = {}
        for delivery, webhook in claimed:
            groups.setdefault(webhook.id or 0, (webhook, []))[1].append(delivery)
        private = await asyncio.to_thread(self._allows_private)  # (read each round: the admins may change it)
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False,
                                     transport=guarded_transport(allow_private=private)) as client:
            counts = await asyncio.gather(*(self._send_group(client, w, rows) for w, rows in groups.values()))
        return sum(counts)

    def _allows_private(self) -> bool:
        with self.ctx.read() as session:
            return allows_private(session)

    async def _send_group(self, client: httpx.AsyncClient, webhook: Webhook,
                          rows: list[WebhookDelivery]) -> int:
        if not webhook.is_enabled or webhook.is_deleted:
            await asyncio.to_thread(self._settle, rows, status=DeliveryStatus.CANCELLED, next_attempt_at=None)
            return 0
        attempted = given_up = 0
        for i, delivery in enumerate(rows):
            wait = self._throttled(webhook)
            if wait > 0:
                later = self.ctx.now() + timedelta(seconds=wait)
                await asyncio.to_thread(self._settle, rows[i:], next_attempt_at=later)
                break
            outcome = await self._attempt(client, webhook, delivery)
            attempted += 1
            next_at = await asyncio.to_thread(self._record, delivery, outcome)
            if outcome.ok:
                continue
            # The rest wait with it (one knock per backoff on a receiver that is down); those as
            # old as the one just given up are given up with it, without knocking again.
            rest = rows[i + 1:]
            now = self.ctx.now()
            expired = [r for r in rest if next_at is None and self._expired(r, now)]
            if next_at is None:
                given_up += 1 + len(expired)
                await asyncio.to_thread(self._settle, expired, status=DeliveryStatus.FAILED, next_attempt_at=None)
            waiting = [r for r in rest if r not in expired]
            await asyncio.to_thread(self._settle, waiting, next_attempt_at=next_at or now + backoff(1, self.base))
            break
        if given_up:
            await asyncio.to_thread(self._tell_gave_up, webhook, given_up)
        return attempted

    def _expired(self, delivery: WebhookDelivery, now: datetime) -> bool:
        return self.expired(delivery.created_at, now)

    def _throttled(self, webhook: Webhook) -> float:
        """Seconds until this robot may take another message (0: now; JSON receivers: always 0)."""
        if webhook.format not in ROBOT_FORMATS:
            return 0.0
        sent, now = self._sent[webhook.id or 0], time.monotonic()
        while sent and now - sent[0] >= 60:
            sent.popleft()
        if len(sent) < ROBOT_PER_MINUTE:
            sent.append(now)
            return 0.0
        return 60 - (now - sent[0]) + 0.1

    async def _attempt(self, client: httpx.AsyncClient, webhook: Webhook, delivery: WebhookDelivery) -> Outcome:
        request = build_request(fmt=webhook.format, url=webhook.url, secret=webhook.secret,
                                language=webhook.language, event=delivery.event, delivery_id=delivery.id or 0,
                                payload=delivery.payload, now=time.time(), translate=self.translate,
                                public_url=self.ctx.settings.public_url)
        # The answer is streamed and read to `READ_AT_MOST` bytes at most, undecoded (identity asked
        # for: a compressed answer is not inflated), within one deadline for the whole attempt.
        try:
            async with asyncio.timeout(self.timeout * 2), client.stream(
                    'POST', request.url, content=request.body,
                    headers={**request.headers, 'Accept-Encoding': 'identity'}) as response:
                head = bytearray()
                async for chunk in response.aiter_raw():
                    head += chunk[:READ_AT_MOST - len(head)]
                    if len(head) >= READ_AT_MOST:
                        break
        except httpx.HTTPError as e:
            return Outcome(False, None, None, f'{type(e).__name__}: {e}'[:300])
        except TimeoutError:
            return Outcome(False, None, None, f'Timeout: no full answer within {self.timeout * 2:g} s')
        try:
            body = bytes(head).decode(response.charset_encoding or 'utf-8', errors='replace')
        except LookupError:  # a charset Python does not know
            body = bytes(head).decode('utf-8', errors='replace')
        ok = accepted(webhook.format, response.status_code, body)
        return Outcome(ok, response.status_code, body[:EXCERPT_CHARS],
                       None if ok else f'HTTP {response.status_code}'[:300])

    def _record(self, delivery: WebhookDelivery, outcome: Outcome) -> datetime | None:
        """Write the attempt; returns when the next one is due (None: delivered, or given up)."""
        values, next_at = self.attempt_values(attempts_before=delivery.attempts, created_at=delivery.created_at,
                                              ok=outcome.ok, error=outcome.error, now=self.ctx.now())
        values.update(response_status=outcome.status, response_excerpt=outcome.excerpt)
        with self.ctx.write() as session:
            store.record(session, delivery.id or 0, **values)
        return next_at

    def _tell_gave_up(self, webhook: Webhook, count: int) -> None:
        self.tell_gave_up(AuditAction.WEBHOOK_GAVE_UP, 'webhook.reason.gave_up', 'webhook.notify.gave_up',
                          {'name': webhook.name, 'count': count}, webhook_id=webhook.id)

    def _settle(self, rows: Sequence[WebhookDelivery], **values: Any) -> None:
        """Claimed rows not attempted this round: due again at `next_attempt_at`, or cancelled."""
        if not rows:
            return
        with self.ctx.write() as session:
            for delivery in rows:
                store.record(session, delivery.id or 0, **values)
