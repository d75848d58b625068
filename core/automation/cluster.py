"""Several app processes on one PostgreSQL database: one timer, live updates everywhere.

- `TimerLeader`: exactly one process runs the timer. Each process's timer asks `lead()` every
  period; the first to take a session-level advisory lock on its own dedicated connection leads
  until it dies (PostgreSQL ends the session and frees the lock when the process's connection
  closes, even on SIGKILL), and the next `lead()` elsewhere takes over — within one period.
- `Relay`: every domain event this process publishes goes out as a NOTIFY (event name + ids,
  and this process's origin so it does not hear itself); events from the other processes are
  emitted here as if published locally, so their pages update live.

On SQLite both are inert: one process, it always leads, nothing to relay.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from typing import Any

from sqlalchemy.engine import Connection, Engine

from core.events import DeskEvents
from store.bus import Bus
from store.locks import holds_leader_lock, try_leader_lock

log = logging.getLogger('leaddesk.cluster')


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == 'postgresql'


class TimerLeader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self.leading = not is_postgres(engine)

    def lead(self) -> bool:
        """Whether this process runs this tick: keeps or takes the leadership (never waits)."""
        if not is_postgres(self._engine):
            return True
        try:
            if self._connection is None:
                self._connection = self._engine.connect().execution_options(isolation_level='AUTOCOMMIT')
            was = self.leading
            self.leading = holds_leader_lock(self._connection) or try_leader_lock(self._connection)
            if self.leading and not was:
                log.warning('timer: this process (%s) now runs the timer', origin_name())
        except Exception:  # connection lost: the server freed our lock with the session
            log.warning('timer: leadership connection lost', exc_info=True)
            self._drop()
        return self.leading

    def release(self) -> None:
        """Give the leadership up (shutdown): closing the session frees the lock at once."""
        self._drop()

    def _drop(self) -> None:
        self.leading = False
        if self._connection is not None:
            try:
                self._connection.invalidate()  # the session ends with its lock; never back to the pool
                self._connection.close()
            except Exception:
                log.debug('closing the leadership connection failed', exc_info=True)
            self._connection = None


def origin_name() -> str:
    return f'{socket.gethostname()}:{os.getpid()}'


class Relay:
    """This process's link to the others through LISTEN/NOTIFY (PostgreSQL only)."""

    def __init__(self, engine: Engine, events: DeskEvents) -> None:
        self._events = events
        self.origin = f'{origin_name()}:{secrets.token_hex(4)}'
        self.bus: Bus | None = None
        if is_postgres(engine):
            self.bus = Bus(engine.url.render_as_string(hide_password=False), self._received)

    def start(self) -> None:
        if self.bus is None:
            return
        self.bus.start()
        self._events.set_relay(self._send)

    def stop(self) -> None:
        if self.bus is None:
            return
        self._events.set_relay(None)
        self.bus.stop()

    def _send(self, name: str, args: tuple[Any, ...]) -> None:
        assert self.bus is not None
        self.bus.send(json.dumps({'o': self.origin, 'e': name, 'a': list(args)}, separators=(',', ':')))

    def _received(self, payload: str) -> None:
        message = json.loads(payload)
        if message.get('o') == self.origin:
            return
        name, args = message.get('e'), message.get('a')
        if isinstance(name, str) and isinstance(args, list):
            self._events.emit_remote(name, tuple(args))
