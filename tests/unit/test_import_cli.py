"""`run.py import` as a user runs it, and an import killed halfway (SIGKILL) then resumed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import func, select

from store.engine import read_session
from store.models import Activity, ImportJob, ImportRow, Lead
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def env_for(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data), **extra)
    return env


def run_cli(args: list[str], data: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / 'run.py'), *args], cwd=ROOT, env=env_for(data, **extra),
                          check=False, capture_output=True, text=True, timeout=300)


def write_csv(path: Path, count: int, *, encoding: str = 'utf-8') -> Path:
    lines = ['姓名,手机,公司'] + [f'客户{i},1{i:010d},公司{i % 97}' for i in range(count)]
    path.write_bytes('\n'.join(lines).encode(encoding))
    return path


def count(data: Path, model: type, *where: object) -> int:
    desk = factories.make_desk(data / 'leaddesk.db')
    with read_session(desk.ctx.engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[arg-type]


def test_cli_import_prints_progress_and_report_and_writes_failed_rows(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    source = tmp_path / 'gbk.csv'
    source.write_bytes('姓名,手机,来源\n张三,13800138000,展会\n,13900139000,\n李四,13700137000,\n'.encode('gbk'))
    done = run_cli(['import', str(source), '--to-pool'], data)
    assert done.returncode == 0, done.stderr
    assert 'encoding gb18030' in done.stderr and '100.0%' in done.stderr
    assert 'created 2, joined existing 0, skipped 0, failed 1 (of 3 rows)' in done.stdout
    assert 'row 3: failed: name required' in done.stdout
    failed = data / 'imports' / 'job-1-failed.csv'
    assert failed.read_text('utf-8-sig').splitlines()[1] == '3,,13900139000,,name: required'
    assert count(data, Lead, Lead.status == 'pool') == 2


def test_cli_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    done = run_cli(['import', str(write_csv(tmp_path / 'a.csv', 5)), '--dry-run', '--source', 'trade_show'], data)
    assert done.returncode == 0, done.stderr
    assert 'created 5,' in done.stdout and 'dry run: nothing was written' in done.stdout
    assert count(data, Lead) == 0


def test_cli_refuses_an_unknown_rep(tmp_path: Path) -> None:
    done = run_cli(['import', str(write_csv(tmp_path / 'a.csv', 2)), '--assign', 'nobody@example.com'],
                   tmp_path / 'data')
    assert done.returncode == 1 and 'not_a_rep' in done.stderr


def test_import_killed_halfway_resumes_without_losing_or_doubling_a_row(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    total = 6000
    source = write_csv(tmp_path / 'big.csv', total)
    process = subprocess.Popen([sys.executable, str(ROOT / 'run.py'), 'import', str(source)], cwd=ROOT,
                               env=env_for(data, LEADDESK_IMPORT_BATCH_ROWS='100'),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = data / 'leaddesk.db'
    killed_at = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            with sqlite3.connect(database, timeout=5) as c:
                row = c.execute('SELECT rows_done FROM import_jobs WHERE status = ?', ('running',)).fetchone()
        except sqlite3.Error:
            continue
        if row and row[0] >= 500:
            process.send_signal(signal.SIGKILL)
            killed_at = row[0]
            break
    process.wait(30)
    assert 500 <= killed_at < total, 'the import was not caught halfway'
    desk = factories.make_desk(database)  # a restart: the dead process's job shows as interrupted
    with read_session(desk.ctx.engine) as s:
        job = s.exec(select(ImportJob)).one()
        assert job.status == 'interrupted'
        assert 500 <= job.rows_done < total
        committed = s.exec(select(func.count()).select_from(Lead)).one()
        assert committed == job.rows_done == job.created_count  # leads and progress committed together
    desk.ctx.engine.dispose()
    done = run_cli(['import', '--resume', str(job.id)], data)
    assert done.returncode == 0, done.stderr
    assert f'created {total}, joined existing 0, skipped 0, failed 0 (of {total} rows)' in done.stdout
    assert count(data, Lead) == total
    assert count(data, ImportRow) == total
    assert count(data, Activity, Activity.kind == 'touch') == 0  # no row arrived twice
    desk = factories.make_desk(database)
    with read_session(desk.ctx.engine) as s:
        numbers = s.exec(select(ImportRow.row_number)).all()
        assert sorted(numbers) == list(range(2, total + 2))
        job = s.exec(select(ImportJob)).one()
        assert (job.status, job.rows_done, job.created_count) == ('done', total, total)
