"""Group commit for API and web-form captures: captures that arrive together share one transaction.

Why: every `POST /api/v1/leads` used to run its own write transaction, and under concurrency they
queued on the one write lock (SQLite) and paid one commit each. Here a request that finds no batch
running becomes the *leader*: it takes up to `MAX_BATCH` waiting captures (its own first) and runs
them through the batched capture path (`capture.capture_all`, as an import batch does: rules,
policy and team loads read once, in-batch duplicates joined), writes their idempotency records in
the same transaction, commits once, publishes the events, hands each waiter its answer, and then
passes the leadership to the oldest capture that arrived meanwhile (or gives it up). The others
(*followers*) just wait for their answer. No background thread: a lone request leads its own batch
of one at once, so concurrency 1 keeps a single capture's latency.

Still one user action = one lead: each arrival is deduped, scored, assigned, audited, notified and
told to webhooks exactly as a single capture (`one_by_one`), only its commit is shared. If the shared
transaction fails (one arrival's write breaks it), every arrival of that batch is captured again on
its own through the single path, so one bad arrival cannot fail the others.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sqlmodel import Session

from core.capture.clean import CleanLead
from core.capture.intake import CaptureResult, capture_all
from core.context import Context, audit, retrying
from core.errors import ValidationFailed
from core.leads.actions import announce_captures
from store import capture_writes
from store.audit_actions import AuditAction

MAX_BATCH = 64
"""The most captures one transaction takes: enough to absorb a burst of concurrent requests, small
enough that the write lock is never held long (an import batch of 2,000 rows holds it ~0.4 s)."""


class Consent(TypedDict):
    """A web form's consent the visitor ticked: the form's name and the text agreed to."""
    form: str
    text: str


@dataclass(eq=False)
class Pending:
    """One capture waiting for its batch: its validated lead, the raw fields (for the single
    path, should its batch fail) and the replay tokens its answer is recorded under (API only;
    a web-form capture has no key and no tokens)."""

    api_key_id: int | None
    clean: CleanLead
    data: Any
    tokens: tuple[str, ...] = ()
    result: CaptureResult | None = None
    error: BaseException | None = None
    again: bool = False
    """An earlier capture of the same batch carries one of its tokens (a retry racing its first
    try): it is answered after that one committed, by asking for the replay again."""
    leads: bool = False
    """Handed the leadership: its thread runs the next batch."""
    consent: Consent | None = None
    """A web form's consent the visitor ticked (`form`, `text`): written to the lead's audit trail
    in the capture's transaction, the record of what they agreed to and when."""
    _woken: threading.Event = field(default_factory=threading.Event, repr=False)

    def records(self, result: CaptureResult, now: datetime) -> list[dict[str, Any]]:
        """Its idempotency records: the answer each of its tokens replays."""
        return [{'api_key_id': self.api_key_id, 'key': token, 'lead_id': result.lead_id,
                 'created': result.created, 'created_at': now} for token in self.tokens]

    def replay_keys(self) -> set[tuple[object, str]]:
        keys: set[tuple[object, str]] = {(self.api_key_id, token) for token in self.tokens}
        if self.clean.external_key:
            keys.add(('external', self.clean.external_key))  # (scoped: another key's equal id is another lead)
        return keys


class CaptureQueue:
    """The waiting captures of one channel in this process and who leads the next batch (thread-safe)."""

    def __init__(self, ctx: Context, capture_alone: Callable[[Pending], CaptureResult], *,
                 max_batch: int = MAX_BATCH, channel: str = 'api') -> None:
        """`capture_alone`: today's single path (capture + idempotency records, own transactions),
        for the captures of a batch whose shared transaction failed. `channel`: what the audit
        trail says they came through (`api`, `web_form`); one queue per channel."""
        self.ctx = ctx
        self.channel = channel
        self._capture_alone = capture_alone
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending: deque[Pending] = deque()
        self._leading = False
        """Someone leads (runs a batch, or holds the queue): a new arrival waits instead."""
        self.batch_sizes: Counter[int] = Counter()
        """How many batches of each size ran (captures sharing one transaction): for bench/ and tests."""
        self.fallbacks = 0
        """Batches whose shared transaction failed and whose captures ran one by one."""

    def submit(self, item: Pending) -> CaptureResult | None:
        """Capture `item` in the next batch; its result, or None when it is a retry of a capture
        in the same batch (`Pending.again`: ask for the replay again). Raises what its capture raised."""
        with self._lock:
            self._pending.append(item)
            lead = not self._leading
            self._leading = True
        if not lead:
            item._woken.wait()
            lead = item.leads and not self._answered(item)
        if lead:
            self._lead()
        if item.error is not None:
            raise item.error
        return item.result

    @property
    def waiting(self) -> int:
        """Captures queued for the next batch."""
        with self._lock:
            return len(self._pending)

    @contextmanager
    def held(self) -> Iterator[None]:
        """While held, captures queue up instead of running; on leaving, the oldest waiting one leads
        them as one batch (up to `max_batch`). Takes the leadership like an arrival, once no batch
        runs. For tests that need a batch of a known size (and a pause, should one be needed)."""
        with self._idle:
            self._idle.wait_for(lambda: not self._leading)
            self._leading = True
        try:
            yield
        finally:
            self._hand_off()

    # ----- the leader ----------------------------------------------------------------------------

    def _lead(self) -> None:
        """Run one batch (the oldest waiting captures, this thread's own first), then pass on."""
        with self._lock:
            batch = [self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))]
        try:
            self._run(batch)
        except BaseException as e:  # (publishing failed, or worse): nobody is left waiting
            for item in batch:
                if not self._answered(item):
                    item.error = e
        finally:
            for item in batch:
                item._woken.set()
            self._hand_off()

    def _hand_off(self) -> None:
        """The oldest waiting capture's thread leads next; none waiting: nobody leads. Under the
        same lock as `submit`'s check, so an arrival either is seen here or sees nobody leading."""
        with self._lock:
            if self._pending:
                successor = self._pending[0]
                successor.leads = True
                successor._woken.set()
            else:
                self._leading = False
                self._idle.notify_all()

    @staticmethod
    def _answered(item: Pending) -> bool:
        return item.result is not None or item.error is not None or item.again

    def _run(self, batch: Sequence[Pending]) -> None:
        seen: set[tuple[object, str]] = set()
        work: list[Pending] = []
        for item in batch:
            keys = item.replay_keys()
            if keys & seen:
                item.again = True
            else:
                seen |= keys
                work.append(item)
        if not work:
            return
        self.batch_sizes[len(work)] += 1
        try:
            outcomes, notified = retrying(lambda: self._write(work))
        except Exception as e:
            if len(work) == 1:
                work[0].error = e
                return
            self.fallbacks += 1
            for item in work:
                try:
                    item.result = self._capture_alone(item)
                except Exception as alone:
                    item.error = alone
            return
        for item, outcome in zip(work, outcomes, strict=True):
            if isinstance(outcome, ValidationFailed):
                item.error = outcome  # (an external_id another lead of this key holds): 422, as alone
            else:
                item.result = outcome
        announce_captures(self.ctx.events, [o for o in outcomes if isinstance(o, CaptureResult)], notified)

    def _write(self, work: Sequence[Pending]) -> tuple[list[CaptureResult | ValidationFailed], list[int]]:
        """The batch's one transaction: every capture, then the answers to replay."""
        ctx = self.ctx
        now = ctx.now()
        with ctx.write() as session:
            outcomes, notified = capture_all(
                session, [item.clean for item in work], config=ctx.capture_config.load(session), now=now,
                day_start=ctx.day_start(now), actor_id=None, channel=self.channel, one_by_one=True)
            capture_writes.insert_idempotency_records(session, [
                record for item, outcome in zip(work, outcomes, strict=True) if isinstance(outcome, CaptureResult)
                for record in item.records(outcome, now)])
            for item, outcome in zip(work, outcomes, strict=True):
                if item.consent and isinstance(outcome, CaptureResult):
                    record_consent(session, outcome.lead_id, item.consent, now)
        return outcomes, notified


def record_consent(session: Session, lead_id: int, consent: Consent, now: datetime) -> None:
    """The lead's audit line saying what its visitor agreed to on which form."""
    audit(session, AuditAction.CONSENTED, now=now, lead_id=lead_id, reason_key='reason.consented', **consent)

