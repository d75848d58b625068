"""`run.py backup` / `run.py restore` on real files, and upgrading a first-migration database.

The backup test writes leads in a thread of this process while the CLI, another process,
copies the database: the copy must open, pass SQLite's integrity check and hold every
lead whose transaction had committed before the backup began.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from alembic import command
from sqlmodel import select

from core.clock import Clock
from store import backup as store_backup
from store.engine import make_engine, read_session
from store.migrate import alembic_config, is_current, upgrade
from store.models import Activity, AuditEntry, Lead, User
from tests import factories
from tests.unit.test_cli import ROOT


def run_cli(args: list[str], data: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    clean.update(LEADDESK_DATA_DIR=str(data), **(env or {}))
    return subprocess.run([sys.executable, str(ROOT / 'run.py'), *args], cwd=ROOT, env=clean, check=False,
                          capture_output=True, text=True, timeout=120)


def lead_ids(path: Path) -> set[int]:
    with sqlite3.connect(f'file:{path}?mode=ro', uri=True) as c:
        return {row[0] for row in c.execute('SELECT id FROM leads')}


def test_backup_under_write_load_holds_every_lead_committed_before_it(tmp_path: Path) -> None:
    db = tmp_path / 'leaddesk.db'
    desk = factories.make_desk(db, clock=Clock())
    committed: list[int] = []
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            result = desk.leads.capture_lead(factories.lead_data(), channel='api', default_source='api')
            committed.append(result.lead_id)  # after commit returned: durable from here on

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(committed) < 50:
            time.sleep(0.01)
        before = set(committed)
        done = run_cli(['backup', '-o', str(tmp_path / 'copy.db')], tmp_path)
        after = set(committed)
    finally:
        stop.set()
        writer.join(30)
    assert done.returncode == 0, done.stderr
    assert 'Backup written and checked' in done.stdout
    copied = lead_ids(tmp_path / 'copy.db')
    assert before <= copied, f'{len(before - copied)} committed leads missing from the backup'
    assert copied <= after | set(committed)
    assert len(after) > len(before), 'the writer kept writing while the backup ran'
    assert store_backup.check_database(tmp_path / 'copy.db')['leads'] == len(copied)
    assert not Path(f'{tmp_path / "copy.db"}-wal').exists()
    again = factories.make_desk(tmp_path / 'copy.db')  # opens and is current
    assert is_current(again.ctx.engine)


def test_restore_brings_the_backup_back_and_keeps_what_it_replaced(tmp_path: Path) -> None:
    db = tmp_path / 'leaddesk.db'
    desk = factories.make_desk(db)
    kept = desk.leads.capture_lead(factories.lead_data(name='Before backup'), channel='api',
                                   default_source='api').lead_id
    assert run_cli(['backup', '-o', str(tmp_path / 'b.db')], tmp_path).returncode == 0
    desk.leads.capture_lead(factories.lead_data(name='After backup'), channel='api', default_source='api')
    desk.ctx.engine.dispose()
    done = run_cli(['restore', str(tmp_path / 'b.db')], tmp_path)
    assert done.returncode == 0, done.stderr
    assert 'Restored' in done.stdout and 'before-restore' in done.stdout
    restored = factories.make_desk(db)
    with read_session(restored.ctx.engine) as s:
        assert [lead.name for lead in s.exec(select(Lead))] == ['Before backup']
        assert s.get(Lead, kept) is not None
    [safety] = tmp_path.glob('leaddesk.db.before-restore-*')
    assert len(lead_ids(safety)) == 2


def test_restore_refuses_while_a_server_holds_the_database(tmp_path: Path) -> None:
    db = tmp_path / 'leaddesk.db'
    factories.make_desk(db).leads.capture_lead(factories.lead_data(), channel='api', default_source='api')
    assert run_cli(['backup', '-o', str(tmp_path / 'b.db')], tmp_path).returncode == 0
    lock = store_backup.hold_server_lock(db)  # what `serve` takes for its whole life
    assert lock is not None
    try:
        done = run_cli(['restore', str(tmp_path / 'b.db')], tmp_path)
    finally:
        lock.close()
    assert done.returncode == 1 and 'LeadDesk is running' in done.stderr
    assert not list(tmp_path.glob('leaddesk.db.before-restore-*'))


def test_restore_refuses_a_file_that_is_no_leaddesk_backup(tmp_path: Path) -> None:
    junk = tmp_path / 'junk.db'
    junk.write_bytes(b'not a database at all' * 100)
    done = run_cli(['restore', str(junk)], tmp_path)
    assert done.returncode == 1 and 'not a SQLite database' in done.stderr
    other = tmp_path / 'other.db'
    with sqlite3.connect(other) as c:
        c.execute('CREATE TABLE t (x)')
    done = run_cli(['restore', str(other)], tmp_path)
    assert done.returncode == 1 and 'not a LeadDesk database' in done.stderr


def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    done = run_cli(['backup', '-o', str(tmp_path / 'x')], tmp_path,
                   env={'LEADDESK_DATABASE_URL': 'postgresql+psycopg://nobody@127.0.0.1:1/none'})
    assert done.returncode == 2 and 'pg_dump' in done.stderr
    done = run_cli(['restore', str(tmp_path / 'x')], tmp_path,
                   env={'LEADDESK_DATABASE_URL': 'postgresql+psycopg://nobody@127.0.0.1:1/none'})
    assert done.returncode == 2 and 'pg_restore' in done.stderr


def test_backup_needs_an_output_file(tmp_path: Path) -> None:
    done = run_cli(['backup'], tmp_path)
    assert done.returncode == 2 and '-o FILE' in done.stderr


# ----- upgrade from the first migration ---------------------------------------------------------

T0 = '2026-03-02 09:15:00.000000'
T1 = '2026-03-03 10:00:00.000000'


def test_database_at_first_migration_upgrades_to_head_without_loss(tmp_path: Path) -> None:
    path = tmp_path / 'old.db'
    engine = make_engine(f'sqlite:///{path}')
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, '0001')
    with sqlite3.connect(path) as c:  # rows as a 0001-era app wrote them
        c.executemany(
            'INSERT INTO users (id, email, name, password_hash, role, is_active, capacity, daily_quota, seniority, '
            'regions, is_on_leave, language, failed_logins, session_version, created_at) '
            "VALUES (?, ?, ?, 'x', ?, 1, 30, 20, ?, '', 0, 'zh-CN', 0, 1, ?)",
            [(1, 'boss@example.com', '王总', 'admin', 0, T0), (2, 'li@example.com', '李雷', 'rep', 3, T0),
             (3, 'han@example.com', '韩梅梅', 'rep', 1, T0)])
        leads = [(i, f'客户{i}', f'+8613900000{i:03d}', f'c{i}@example.com', f'杭州公司{i % 7}有限公司',
                  'assigned' if i % 3 else 'contacted', 2 + i % 2, ['website', 'ads', 'referral'][i % 3],
                  json.dumps([{'key': 'score.source', 'points': 10}]),
                  json.dumps({'key': 'reason.assigned.round_robin', 'params': {'rep': '李雷'}}), T0, T1)
                 for i in range(1, 121)]
        leads.append((121, '未分配', '+8613911111111', None, None, 'new', None, 'api', '[]', None, T0, T0))
        c.executemany(
            'INSERT INTO leads (id, name, phone, email, company, status, owner_id, source, score, grade, '
            'temperature, score_reasons, assignment_reason, touch_count, created_at, updated_at, version, '
            "is_deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 55, 'B', 'warm', ?, ?, 1, ?, ?, 1, 0)", leads)
        c.executemany("INSERT INTO activities (lead_id, user_id, kind, outcome, note, created_at) "
                      "VALUES (?, 2, 'call', '接通', '客户要报价 <b>urgent</b>', ?)", [(i, T1) for i in range(1, 41)])
        c.executemany("INSERT INTO audit_entries (lead_id, actor_id, action, reason_key, reason_params, created_at) "
                      "VALUES (?, NULL, 'assigned', 'reason.assigned.round_robin', '{}', ?)",
                      [(i, T0) for i in range(1, 121)])
    counts_before = store_backup.check_database(path)

    upgrade(engine)

    assert is_current(engine)
    with engine.connect() as c:  # enforcement is back on for the app's connections
        assert c.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1
    counts_after = store_backup.check_database(path)
    for table, count in counts_before.items():
        assert counts_after[table] == count, table
    with read_session(engine) as s:
        lead = s.get(Lead, 7)
        assert lead is not None
        assert (lead.name, lead.phone, lead.company, lead.status) == ('客户7', '+8613900000007', '杭州公司0有限公司',
                                                                      'assigned')
        assert lead.score_reasons == [{'key': 'score.source', 'points': 10}]
        assert lead.created_at is not None and lead.created_at.isoformat() == '2026-03-02T09:15:00+00:00'
        assert lead.recycle_count == 0 and lead.account_id is None
        notes = {a.note for a in s.exec(select(Activity))}
        assert notes == {'客户要报价 <b>urgent</b>'}
        assert len(list(s.exec(select(AuditEntry)))) == 120
        users = {u.id: u for u in s.exec(select(User))}
        # 0004 counted each rep's open leads from the rows it found
        assert users[2].open_leads == 60 and users[3].open_leads == 60 and users[1].open_leads == 0
    desk = factories.make_desk(path)  # and the app starts on it: defaults added, nothing lost
    with read_session(desk.ctx.engine) as s:
        assert len(list(s.exec(select(Lead)))) == 121
