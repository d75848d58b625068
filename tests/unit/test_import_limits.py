"""Hostile and oversized files: each refused with its own message, quickly, in bounded memory, and
nothing kept (no job, no file). Drafts nobody ran expire. The data folder is the owner's alone."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.desk import Desk
from core.errors import InvalidState
from core.imports.file import scan
from core.imports.limits import MAX_COLUMNS, MAX_ROWS, UnreadableFile
from core.settings import Settings
from store.engine import make_engine
from store.models import AuditEntry, ImportJob, ImportStatus
from tests import factories
from tests.hostile_files import SHEET_HEAD, SST_HEAD, _package, declared_huge_sheet, undeclared_far_cell, zip_bomb
from tests.unit.db import rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / 'data'


@pytest.fixture
def desk(data: Path, clock: FakeClock) -> Iterator[Desk]:
    """A desk whose data folder is this test's own (uploads land in `data/imports`)."""
    url = f'sqlite:///{data.parent / "unit.db"}'
    settings = Settings(database_url=url, storage_secret='test', data_dir=data, import_max_mb=2,
                        draft_upload_days=7)
    desk = Desk(make_engine(url), settings, clock=clock)
    desk.prepare()
    yield desk
    desk.ctx.engine.dispose()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def refused(desk: Desk, name: str, data: bytes | Path, code: str) -> UnreadableFile:
    """Upload it, expect the refusal `code`, and find nothing kept. (How fast a refusal comes is
    a benchmark's question, bench/upload_rss.py, never a timed assertion here.)"""
    actor = factories.admin(desk)
    with pytest.raises(UnreadableFile) as caught:
        if isinstance(data, Path):
            with data.open('rb') as source:
                desk.imports.upload(actor, name, source)
        else:
            desk.imports.upload(actor, name, data)
    assert caught.value.code == code, caught.value
    assert rows(desk, ImportJob) == []
    folder = desk.imports.folder
    assert not folder.exists() or list(folder.iterdir()) == []
    return caught.value


def test_a_sheet_declaring_the_whole_grid_is_refused_before_a_row_is_built(desk: Desk, tmp_path: Path) -> None:
    path = declared_huge_sheet(tmp_path / 'huge.xlsx')
    assert path.stat().st_size < 2_000
    before = peak_mb()
    error = refused(desk, 'huge.xlsx', path, 'import_sheet_too_big')
    assert error.params == {'rows': '1,048,576', 'columns': '16,384', 'max_rows': f'{MAX_ROWS:,}',
                            'max_columns': MAX_COLUMNS}
    assert peak_mb() - before < 50


def test_a_far_cell_without_a_declared_size_costs_nothing(desk: Desk, tmp_path: Path) -> None:
    started = time.perf_counter()
    draft = desk.imports.upload(factories.admin(desk), 'far.xlsx', undeclared_far_cell(tmp_path / 'far.xlsx')
                                .read_bytes())
    assert time.perf_counter() - started < 2.0
    assert (draft.headers, draft.total_rows) == (['name'], 0)


def test_shared_strings_read_compactly_as_excel_shows_them(desk: Desk, tmp_path: Path) -> None:
    """Plain, rich-text runs and phonetic hints (not shown in a cell), many short strings."""
    many = ''.join(f'<si><t>s{i}</t></si>' for i in range(50_000))
    strings = (SST_HEAD + '<si><t>name</t></si><si><t>phone</t></si>'
               '<si><r><t>Zhang</t></r><r><rPr><b/></rPr><t xml:space="preserve"> Wei</t></r></si>'
               '<si><t>东京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>' + many + '</sst>')
    sheet = (SHEET_HEAD + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>13800138000</v></c></row>'
             '<row r="4"><c r="A4" t="s"><v>3</v></c><c r="C4" t="s"><v>50003</v></c></row></sheetData></worksheet>')
    table = scan(_package(tmp_path / 'shared.xlsx', sheet, strings))
    assert table.headers == ['name', 'phone']
    assert table.sample == [(2, ['Zhang Wei', '13800138000']), (4, ['东京', ''])]


def test_a_zip_bomb_is_refused_by_its_declared_sizes(desk: Desk, tmp_path: Path) -> None:
    path = zip_bomb(tmp_path / 'bomb.xlsx', unpacked_mb=256)
    assert path.stat().st_size < 1_000_000
    before = peak_mb()
    error = refused(desk, 'bomb.xlsx', path, 'import_xlsx_ratio')
    assert error.params['ratio'] > 100
    assert peak_mb() - before < 50


def test_more_rows_than_the_limit_are_refused_while_reading(desk: Desk, tmp_path: Path) -> None:
    lines = ['name,phone'] + [f'n{i},1{i:010d}' for i in range(MAX_ROWS + 1)]
    error = refused(desk, 'many.csv', '\n'.join(lines).encode(), 'import_too_many_rows')
    assert error.params == {'limit': MAX_ROWS}
    path = tmp_path / 'exact.csv'
    path.write_text('\n'.join(lines[:-1]))
    assert scan(path).total_rows == MAX_ROWS


def test_a_field_over_128_kib_names_its_row(desk: Desk) -> None:
    data = b'name,notes\nZhang Wei,short\nLi Na,"' + b'x' * (128 * 1024 + 1) + b'"\n'
    error = refused(desk, 'long.csv', data, 'import_field_too_long')
    assert error.params == {'row': 3, 'limit_kib': 128}
    desk.imports.upload(factories.admin(desk), 'fits.csv', b'name,notes\nLi Na,' + b'x' * (128 * 1024) + b'\n')


def test_a_file_without_newlines_and_a_line_of_commas_are_refused(desk: Desk) -> None:
    refused(desk, 'blob.csv', b'a' * (1024 * 1024 + 10), 'import_line_too_long')
    wide = ','.join(f'c{i}' for i in range(MAX_COLUMNS + 1)).encode()
    assert refused(desk, 'wide.csv', wide + b'\nx\n', 'import_too_many_columns').params == {
        'columns': '501', 'limit': MAX_COLUMNS}
    refused(desk, 'binary.csv', bytes(b for b in range(256) if b not in b'\r\n') * 8000, 'import_line_too_long')
    draft = desk.imports.upload(factories.admin(desk), 'commas.csv', b',' * 600_000 + b'\nname\nZhang Wei\n')
    assert (draft.headers, draft.total_rows) == (['name'], 1)  # a line of empty cells is a blank row


def test_a_nul_in_the_file_name_is_refused_and_nothing_is_written(desk: Desk) -> None:
    refused(desk, 'leads\x00.csv', b'name\nZhang Wei\n', 'import_file_name')
    refused(desk, 'bad\nname.csv', b'name\nZhang Wei\n', 'import_file_name')


def test_an_upload_past_the_size_limit_keeps_nothing(desk: Desk) -> None:
    data = b'name\n' + b'Zhang Wei\n' * (2 * 1024 * 1024 // 10 + 1)
    error = refused(desk, 'big.csv', data, 'import_too_large')
    assert error.params == {'limit_mb': 2}


def test_uploads_are_kept_owner_only(desk: Desk) -> None:
    draft = desk.imports.upload(factories.admin(desk), 'leads.csv', b'name\nZhang Wei\n')
    job = rows(desk, ImportJob, ImportJob.id == draft.job_id)[0]
    assert stat.S_IMODE(Path(job.file_path).stat().st_mode) == 0o600
    assert stat.S_IMODE(desk.imports.folder.stat().st_mode) == 0o700


def test_a_draft_nobody_ran_expires_with_its_file_and_a_reason(desk: Desk, clock: FakeClock) -> None:
    actor = factories.admin(desk)
    old = desk.imports.upload(actor, 'old.csv', b'name\nZhang Wei\n')
    old_file = Path(rows(desk, ImportJob, ImportJob.id == old.job_id)[0].file_path)
    orphan = desk.imports.folder / ('0' * 32 + '.csv.part')  # a crash while an upload arrived
    orphan.write_bytes(b'name\n')
    kept = desk.imports.folder / 'job-9-failed.csv'  # the CLI's, not an upload
    kept.write_bytes(b'row\n')
    os.utime(orphan, (clock.now().timestamp(),) * 2)
    clock.advance(days=6, hours=23)
    assert desk.run_timer().done['expired_uploads'] == []
    fresh = desk.imports.upload(actor, 'fresh.csv', b'name\nLi Na\n')
    clock.advance(hours=2)
    assert desk.run_timer().done['expired_uploads'] == [old.job_id]
    job = rows(desk, ImportJob, ImportJob.id == old.job_id)[0]
    assert (job.status, job.finished_at) == (ImportStatus.EXPIRED, clock.now())
    assert not old_file.exists() and not orphan.exists() and kept.exists()
    assert [(a.action, a.reason_params) for a in rows(desk, AuditEntry, AuditEntry.action == 'import_expired')] == [
        ('import_expired', {'file': 'old.csv', 'days': 7})]
    with pytest.raises(InvalidState, match='import_file_gone'):
        desk.imports.start(actor, old.job_id, ['name'])
    with pytest.raises(InvalidState, match='import_file_gone'):
        desk.imports.draft(actor, old.job_id)
    assert desk.run_timer().done['expired_uploads'] == []  # idempotent
    assert len(rows(desk, AuditEntry, AuditEntry.action == 'import_expired')) == 1
    assert rows(desk, ImportJob, ImportJob.id == fresh.job_id)[0].status == ImportStatus.DRAFT
    assert desk.imports.progress(actor, old.job_id).status == 'expired'


# ----- through run.py, as the operator runs it ---------------------------------------------------

def run_py(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'NICEGUI_', 'LEADDESK_'))}
    env.update(LEADDESK_DATA_DIR=str(data), LEADDESK_IMPORT_MAX_MB='2')
    return subprocess.run([sys.executable, str(ROOT / 'run.py'), *args], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=120)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_refusals_are_sentences_and_the_data_folder_is_owner_only(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    hostile = declared_huge_sheet(tmp_path / 'huge.xlsx')
    done = run_py(['import', str(hostile)], data)
    assert done.returncode == 1
    assert ('import not run: The sheet declares 1,048,576 rows × 16,384 columns; an import takes at most '
            '100,000 rows and 500 columns') in done.stderr
    big = tmp_path / 'big.csv'
    big.write_bytes(b'name\n' + b'x' * (3 * 1024 * 1024))
    done = run_py(['import', str(big)], data)
    assert 'import not run: The file is over 2 MB: split it and upload the parts' in done.stderr
    ok = tmp_path / 'ok.csv'
    ok.write_text('name,phone\nZhang Wei,13800138000\n')
    assert run_py(['import', str(ok), '--to-pool'], data).returncode == 0
    backup = tmp_path / 'copy.db'
    assert run_py(['backup', '-o', str(backup)], data).returncode == 0
    assert mode(data) == 0o700 and mode(data / 'imports') == 0o700
    files = [p for p in data.rglob('*') if p.is_file()] + [backup]
    assert data / 'leaddesk.db' in files
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    assert list((data / 'imports').iterdir()) == []  # refused and finished uploads are gone


def test_a_too_open_data_folder_is_tightened_at_start(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / 'secret.key').write_text('s')
    (data / 'secret.key').chmod(0o644)
    (data / 'sessions').mkdir()
    (data / 'sessions').chmod(0o775)
    (data / 'sessions' / 'storage-user-x.json').write_text('{}')
    (data / 'sessions' / 'storage-user-x.json').chmod(0o664)
    done = run_py(['backup'], data)  # a usage error: start-up ran all the same
    assert done.returncode == 2
    assert mode(data) == 0o700 and mode(data / 'sessions') == 0o700
    assert mode(data / 'secret.key') == 0o600 and mode(data / 'sessions' / 'storage-user-x.json') == 0o600
    assert 'was 644, now 600' in done.stderr
