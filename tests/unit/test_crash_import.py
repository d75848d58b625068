"""Crash safety during an import: the server (run.py, taking API captures) and a `run.py import`
sharing its database are SIGKILLed together halfway — a power cut, or the OOM killer taking both.

After the restart: the job shows as interrupted and resumes while the server takes captures
again; every lead whose capture was answered 2xx is there exactly once, every import row is
there exactly once (one lead, one `import_rows` line, no touch from a row arriving twice), the
job's counts and the open-lead counters equal recounts of the rows (nothing half-written), and
the timer runs again.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from store.models import Role
from tests import factories
from tests.unit.test_crash import App
from tests.unit.test_import_cli import env_for, run_cli, write_csv

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
BATCH = '100'
WORKERS = 3


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    data = tmp_path / 'data'
    desk = factories.make_desk(data / 'leaddesk.db')
    for name in ('Rep Li', 'Rep Zhao'):
        factories.user(desk, Role.REP, name=name, capacity=10_000, daily_quota=10_000)
    desk.ctx.engine.dispose()
    server = App(data)
    yield server
    server.stop()


class Captures:
    """API clients capturing leads until told to stop; keeps every 2xx answer (external id → lead id)."""

    def __init__(self, app: App, key: str, prefix: str) -> None:
        self.app, self.key, self.prefix = app, key, prefix
        self.answered: dict[str, int] = {}
        self.failed: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(w,)) for w in range(WORKERS)]

    def __enter__(self) -> Captures:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _send(self, worker: int) -> None:
        with httpx.Client(base_url=self.app.url, headers={'X-API-Key': self.key}, timeout=10) as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                ext = f'{self.prefix}{worker}-{n}'
                phone = f'+86 13{"ab".index(self.prefix)}{worker:02d}{n:06d}'
                try:
                    r = client.post('/api/v1/leads', json={'name': f'Crash {ext}', 'external_id': ext, 'phone': phone})
                except httpx.HTTPError:
                    continue  # the server died under this request: not answered, may or may not exist
                with self._lock:
                    if r.is_success:
                        self.answered[ext] = r.json()['id']
                    else:
                        self.failed.append(r.status_code)


def db(app: App) -> sqlite3.Connection:
    return sqlite3.connect(app.data / 'leaddesk.db', timeout=30)


def assert_consistent(c: sqlite3.Connection, answered: dict[str, int]) -> None:
    """Answered captures once each, import rows once each, counters equal to recounts."""
    stored: dict[str, int] = {}
    for lead_id, ext in c.execute("SELECT id, external_id FROM leads WHERE name LIKE 'Crash %'"):
        assert ext not in stored, f'{ext} stored twice'
        stored[ext] = lead_id
    for ext, lead_id in answered.items():
        assert stored.get(ext) == lead_id, f'{ext}: answered {lead_id}, stored {stored.get(ext)}'
    job = c.execute('SELECT id, rows_done, created_count, joined_count, skipped_count, failed_count'
                    ' FROM import_jobs').fetchone()
    _, done, created, joined, skipped, failed = job
    numbers = [n for (n,) in c.execute('SELECT row_number FROM import_rows ORDER BY row_number')]
    assert numbers == list(range(2, done + 2)), 'an import row missing or written twice'
    imported = c.execute("SELECT count(*), count(DISTINCT name) FROM leads WHERE name LIKE '客户%'").fetchone()
    assert imported == (done, done) == (created, created), 'import leads and job progress disagree'
    assert (joined, skipped, failed) == (0, 0, 0)
    assert c.execute("SELECT count(*) FROM activities WHERE kind = 'touch'").fetchone() == (0,)
    outcomes = dict(c.execute('SELECT outcome, count(*) FROM import_rows GROUP BY outcome').fetchall())
    assert outcomes == ({'created': created} if created else {})
    counters = dict(c.execute("SELECT id, open_leads FROM users WHERE role = 'rep'").fetchall())
    actual = dict(c.execute("SELECT owner_id, count(*) FROM leads WHERE owner_id IS NOT NULL AND status IN "
                            "('new', 'assigned', 'contacted', 'qualified') GROUP BY owner_id").fetchall())
    assert counters == {rep: actual.get(rep, 0) for rep in counters}, 'open-lead counters half-written'
    assert c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'


def test_sigkill_during_an_import_and_captures_loses_and_doubles_nothing(app: App, tmp_path: Path) -> None:
    key = run_cli(['api-key', 'create', 'crash'], app.data).stdout.strip().splitlines()[-1]
    source = write_csv(tmp_path / 'big.csv', ROWS)
    app.start()
    killed_at = 0
    with Captures(app, key, 'a') as before:
        # captures first, then the import: a fast import could otherwise finish before the kill
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(before.answered) < 40:
            time.sleep(0.02)
        importer = subprocess.Popen([sys.executable, str(ROOT / 'run.py'), 'import', str(source)], cwd=ROOT,
                                    env=env_for(app.data, LEADDESK_IMPORT_BATCH_ROWS=BATCH),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and importer.poll() is None:
            time.sleep(0.02)
            try:
                with db(app) as c:
                    row = c.execute("SELECT rows_done FROM import_jobs WHERE status = 'running'").fetchone()
            except sqlite3.Error:
                continue
            if row and row[0] >= 500 and len(before.answered) >= 40:
                app.kill()
                importer.send_signal(signal.SIGKILL)
                killed_at = row[0]
                break
        importer.wait(30)
        time.sleep(0.3)  # let the clients see connection errors
    assert 500 <= killed_at < ROWS, 'the import was not caught halfway'
    assert before.failed == [], f'captures refused while importing: {before.failed[:5]}'

    with db(app) as c:
        assert c.execute('SELECT status, rows_done FROM import_jobs').fetchone()[0] == 'running'  # died running
        assert_consistent(c, before.answered)
        job_id, done = c.execute('SELECT id, rows_done FROM import_jobs').fetchone()
        assert killed_at <= done < ROWS
        # something for the restarted timer to do: one answered lead's first-response deadline passed
        late = next(iter(before.answered.values()))
        past = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat(sep=' ')
        grace = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat(sep=' ')
        c.execute("UPDATE leads SET sla_status = 'due', sla_due_at = ?, sla_grace_at = ? WHERE id = ?",
                  (past, grace, late))

    app.start()
    with db(app) as c:
        assert c.execute('SELECT status FROM import_jobs').fetchone() == ('interrupted',)  # seen at start-up
    with Captures(app, key, 'b') as after:
        resumed = run_cli(['import', '--resume', str(job_id)], app.data, LEADDESK_IMPORT_BATCH_ROWS=BATCH)
        time.sleep(0.5)
    assert resumed.returncode == 0, resumed.stderr
    assert f'created {ROWS}, joined existing 0, skipped 0, failed 0 (of {ROWS} rows)' in resumed.stdout
    assert after.failed == [] and len(after.answered) > 0
    with httpx.Client(base_url=app.url, headers={'X-API-Key': key}, timeout=10) as client:
        ext, lead_id = next(iter(before.answered.items()))
        worker, n = ext[1:].split('-')
        again = client.post('/api/v1/leads', json={'name': f'Crash {ext}', 'external_id': ext,
                                                    'phone': f'+86 130{int(worker):02d}{int(n):06d}'})
        assert again.status_code == 201 and again.json()['id'] == lead_id  # replayed, not captured twice
    with db(app) as c:
        assert c.execute('SELECT status, rows_done FROM import_jobs').fetchone() == ('done', ROWS)
        assert_consistent(c, before.answered | after.answered)
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        with db(app) as c:
            status = c.execute('SELECT sla_status FROM leads WHERE id = ?', (late,)).fetchone()[0]
        if status == 'failed':
            break
        time.sleep(0.2)
    assert status == 'failed', 'the timer did not run after the restart'
