"""What every service shares: engine, clock, events, settings and the write path."""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import projections
from core.capture.config import ConfigCache
from core.clock import Clock, day_start
from core.errors import NotAllowed
from core.events import DeskEvents
from core.settings import Settings
from store.audit_actions import AuditAction
from store.engine import is_conflict, is_sqlite, read_session
from store.models import AuditEntry

log = logging.getLogger(__name__)

ATTEMPTS = 5
"""How often one action runs before a PostgreSQL deadlock or serialization failure reaches the caller."""

P = ParamSpec('P')
T = TypeVar('T')


def retrying(call: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run `call` (one whole transaction, its commit included), again when PostgreSQL aborted it
    to break a deadlock or a serialization conflict (SQLSTATE 40P01 / 40001).

    Why here and not in `Context.write`: a `with` block cannot be run twice, and only the caller
    knows where its transaction starts. The aborted attempt rolled back everything, and events are
    published after the `with` block, so a failed attempt published nothing; the next attempt
    reads the state afresh (the other transaction has committed by then) and decides again.
    SQLite never raises these (one writer, no SQLSTATE): there this is one try/except."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as e:
            if attempt == attempts or not is_conflict(e):
                raise
            log.info('transaction aborted by the database (%s); running it again (attempt %d of %d)',
                     getattr(getattr(e, 'orig', None), 'sqlstate', '?'), attempt + 1, attempts)
            time.sleep(random.uniform(0, 0.01 * 2 ** attempt))  # apart, so the two do not collide again
    raise AssertionError('unreachable')


def retry_conflicts(action: Callable[P, T]) -> Callable[P, T]:
    """`retrying` for a core action whose body is ONE `ctx.write()` transaction with nothing but
    reads and pure checks before it and only event publishing after it (so running it again is
    the same user action, decided on fresh data)."""

    @functools.wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return retrying(lambda: action(*args, **kwargs))

    return run


VIEWING_AS: ContextVar[int | None] = ContextVar('viewing_as', default=None)
"""The admin viewing as someone during this call (core/accounts/view_as.py sets it around every desk
service call made with a view-as ref): no write transaction opens while it is set, so "view as" is
read-only in core whatever the page offers."""


@dataclass
class Context:
    engine: Engine
    clock: Clock
    events: DeskEvents
    settings: Settings
    _write_lock: threading.Lock = field(default_factory=threading.Lock)
    capture_config: ConfigCache = field(default_factory=ConfigCache)
    """The capture path's configuration, kept while the database's config token stays the same."""

    @contextmanager
    def write(self, *, timeout: float | None = None) -> Iterator[Session]:
        if VIEWING_AS.get() is not None:  # an admin's "view as" is read-only (core/accounts/view_as.py)
            raise NotAllowed()
        with self._write(timeout=timeout) as session:
            yield session

    @contextmanager
    def _write(self, *, timeout: float | None = None) -> Iterator[Session]:
        """One transaction for one user action — the unit of work. SQLite has one writer anyway;
        taking the lock here stops a read-then-write transaction from failing with SQLITE_BUSY
        when two threads of this process write at once. PostgreSQL relies on row locks.
        `timeout`: wait at most this long for that lock (TimeoutError), for a probe that
        must answer rather than queue behind an import."""
        if timeout is None or not is_sqlite(self.engine):
            with self._write_lock if is_sqlite(self.engine) else nullcontext(), self._transaction() as s:
                yield s
            return
        if not self._write_lock.acquire(timeout=timeout):
            raise TimeoutError('the write lock stayed taken')
        try:
            with self._transaction() as s:
                yield s
        finally:
            self._write_lock.release()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """The caller's block, then the projections (counters, roll-up, webhook outbox, stage
        stays, config token: core/projections.py) in the same transaction, then the commit, then
        waking the webhook deliverer. Any error rolls everything back."""
        with projections.UnitOfWorkSession(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                projections.apply(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            projections.committed(session, self.engine)

    def read(self) -> Any:
        return read_session(self.engine)

    def now(self) -> datetime:
        return self.clock.now()

    def day_start(self, now: datetime) -> datetime:
        return day_start(now, self.settings.timezone)


def audit(session: Session, action: AuditAction, *, now: datetime, lead_id: int | None = None,
          actor_id: int | None = None, subject_user_id: int | None = None,
          reason_key: str | None = None, **params: Any) -> None:
    """Append one line to the audit trail (actor None = system)."""
    session.add(AuditEntry(action=action, lead_id=lead_id, actor_id=actor_id, subject_user_id=subject_user_id,
                           reason_key=reason_key, reason_params=params, created_at=now))
