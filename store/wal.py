"""SQLite's write-ahead log copied back into the database file by a thread of its own.

Left to SQLite, whichever transaction's commit takes the log past `wal_autocheckpoint` pages
copies it into the file there and then: an API capture or an import batch pays ~25 ms (a 100k
import spent 8 % of its time in those commits, on the core that does all the work while the other
one waited). `WalCheckpointer` runs a PASSIVE checkpoint (it never waits for, nor blocks, a reader
or a writer) every `interval` seconds on its own connection, so commits only append. The engine's
`wal_autocheckpoint` (store/engine.py) stays as the backstop for processes that run none (the
command line, the tests) or a log that outgrows the thread. PostgreSQL: nothing to do.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.5


class WalCheckpointer:
    def __init__(self, engine: Engine, interval: float = INTERVAL_SECONDS) -> None:
        database = engine.url.database if engine.dialect.name == 'sqlite' else None
        self._path = database if database and database != ':memory:' else None
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._path is None or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name='wal-checkpoint', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> WalCheckpointer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        assert self._path is not None
        connection = sqlite3.connect(self._path, check_same_thread=False)
        try:
            while not self._stopping.wait(self._interval):
                try:
                    connection.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchone()
                except sqlite3.Error:  # (busy with another checkpoint, or the file replaced by a restore)
                    log.debug('WAL checkpoint skipped', exc_info=True)
        finally:
            connection.close()
