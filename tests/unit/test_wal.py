"""The WAL checkpoint thread (store/wal.py): commits only append to the log, and the thread copies
what they wrote into the database file; it stops when asked and does nothing on PostgreSQL URLs."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from store.engine import make_engine
from store.wal import WalCheckpointer


def _write(engine: sa.Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)')
        connection.exec_driver_sql('INSERT INTO t (body) VALUES (?)', [('x' * 200,) for _ in range(rows)])


def test_the_thread_copies_committed_pages_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / 'w.db'
    engine = make_engine(f'sqlite:///{path}')
    _write(engine, 2_000)  # ~100 pages: far below the engine's own checkpoint, so all in the log
    before = path.stat().st_size
    assert (tmp_path / 'w.db-wal').stat().st_size > 300_000
    with WalCheckpointer(engine, interval=0.05) as checkpointer:
        deadline = time.monotonic() + 10
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer._thread is not None and checkpointer._thread.is_alive()
    assert path.stat().st_size > before + 300_000
    assert checkpointer._thread is None
    with engine.connect() as connection:  # nothing lost on the way
        assert connection.exec_driver_sql('SELECT count(*) FROM t').scalar() == 2_000
    engine.dispose()


def test_nothing_to_do_without_a_sqlite_file() -> None:
    for url in ('sqlite://', 'postgresql+psycopg://nobody@127.0.0.1:1/none'):
        checkpointer = WalCheckpointer(sa.create_engine(url))
        checkpointer.start()
        assert checkpointer._thread is None
        checkpointer.stop()
