"""What every service shares: engine, clock, events, settings and the write path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.engine import is_sqlite, read_session, session_scope
from store.models import AuditEntry

from .clock import Clock, day_start
from .events import DeskEvents
from .settings import Settings


@dataclass
class Context:
    engine: Engine
    clock: Clock
    events: DeskEvents
    settings: Settings
    _write_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction for one user action. SQLite has one writer anyway; taking the
        lock here stops a read-then-write transaction from failing with SQLITE_BUSY when
        two threads of this process write at once. PostgreSQL relies on row locks."""
        with self._write_lock if is_sqlite(self.engine) else nullcontext(), session_scope(self.engine) as s:
            yield s

    def read(self) -> Any:
        return read_session(self.engine)

    def now(self) -> datetime:
        return self.clock.now()

    def day_start(self, now: datetime) -> datetime:
        return day_start(now, self.settings.timezone)


def audit(session: Session, action: str, *, now: datetime, lead_id: int | None = None,
          actor_id: int | None = None, subject_user_id: int | None = None,
          reason_key: str | None = None, **params: Any) -> None:
    """Append one line to the audit trail (actor None = system)."""
    session.add(AuditEntry(action=action, lead_id=lead_id, actor_id=actor_id, subject_user_id=subject_user_id,
                           reason_key=reason_key, reason_params=params, created_at=now))
