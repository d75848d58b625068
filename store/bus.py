"""PostgreSQL LISTEN/NOTIFY: the wire between app processes on one database.

`Bus` keeps two dedicated psycopg connections outside SQLAlchemy's pool: one LISTENs (a thread
waits on it and hands each payload to a callback), one sends. Sending goes through a queue and
its own thread, so a service publishing after its commit never waits on the network. Both
reconnect after an error (a server restart), a second apart; payloads lost meanwhile are only
live-update hints — pages re-read the database when they get one.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

import psycopg
import sqlalchemy as sa

CHANNEL = 'leaddesk_events'
MAX_PAYLOAD = 7900
"""PostgreSQL refuses a NOTIFY payload of 8000 bytes or more."""

log = logging.getLogger('leaddesk.bus')


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (`postgresql+psycopg://…` → `postgresql://…`)."""
    return sa.engine.make_url(url).set(drivername='postgresql').render_as_string(hide_password=False)


class Bus:
    def __init__(self, url: str, on_message: Callable[[str], None]) -> None:
        self._conninfo = conninfo(url)
        self._on_message = on_message
        self._outbox: queue.Queue[str | None] = queue.Queue()
        self._stopped = threading.Event()
        self.listening = threading.Event()
        """Set once LISTEN is in place (tests wait for it before publishing)."""
        self._threads = [threading.Thread(target=self._listen, daemon=True, name='bus-listen'),
                         threading.Thread(target=self._send_loop, daemon=True, name='bus-send')]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(5)

    def send(self, payload: str) -> None:
        if len(payload.encode()) <= MAX_PAYLOAD:
            self._outbox.put(payload)
        else:
            log.warning('event not relayed: payload of %d bytes', len(payload.encode()))

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f'LISTEN {CHANNEL}')
                    self.listening.set()
                    while not self._stopped.is_set():
                        for note in connection.notifies(timeout=0.5):
                            try:
                                self._on_message(note.payload)
                            except Exception:
                                log.exception('relayed event failed')
            except psycopg.Error:
                self.listening.clear()
                log.warning('event bus: listener lost its connection; reconnecting', exc_info=True)
                self._stopped.wait(1)

    def _send_loop(self) -> None:
        connection: psycopg.Connection | None = None
        while True:
            payload = self._outbox.get()
            if payload is None:
                break
            for _attempt in range(2):
                try:
                    if connection is None or connection.closed:
                        connection = psycopg.connect(self._conninfo, autocommit=True)
                    connection.execute('SELECT pg_notify(%s, %s)', (CHANNEL, payload))
                    break
                except psycopg.Error:
                    log.warning('event bus: send failed; reconnecting', exc_info=True)
                    connection = None
                    self._stopped.wait(1)
        if connection is not None:
            connection.close()
