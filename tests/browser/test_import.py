"""Import in a real browser: upload a GBK CSV, check the mapping, preview the problems, run,
watch the progress bar (through a reload), read the report and download the failed rows."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from .support import Server, login

pytestmark = pytest.mark.browser
ROWS = 3000


def test_upload_map_preview_run_progress_report(start_server: Callable[..., Server], new_context:
                                               Callable[..., BrowserContext], tmp_path: Path) -> None:
    server = start_server(env={'LEADDESK_IMPORT_BATCH_ROWS': '50'})
    assert server.team is not None
    source = tmp_path / '线索.csv'
    lines = ['姓名,手机,公司名称,来源'] + [f'客户{i},1{3 + i % 7}{i:09d},公司{i},展会' for i in range(ROWS)]
    lines[2] = ',13900000000,无名,'  # spreadsheet row 3 has no name
    source.write_bytes('\n'.join(lines).encode('gbk'))

    page = new_context(locale='en-US').new_page()
    login(page, server, server.team.manager)
    page.get_by_role('link', name='Import').click()
    page.get_by_test_id('import-upload').locator('input[type=file]').set_input_files(source)
    page.wait_for_url(re.compile(r'/import\?job=\d+'))
    expect(page.get_by_test_id('import-map-0')).to_contain_text('Name')
    expect(page.get_by_test_id('import-map-1')).to_contain_text('Phone')
    expect(page.get_by_text(f'线索.csv: {ROWS:,} rows (gb18030)')).to_be_visible()

    page.get_by_test_id('import-preview').click()
    table = page.get_by_test_id('import-preview-table')
    expect(table).to_contain_text('Name: Required')
    expect(table).to_contain_text('+8613000000000')
    with sqlite3.connect(server.db_path) as db:
        assert db.execute('SELECT count(*) FROM leads').fetchone() == (0,)

    page.get_by_test_id('import-run').click()
    bar = page.get_by_test_id('import-progress')
    expect(bar).to_be_visible()
    expect(page.get_by_test_id('import-progress-text')).to_contain_text(re.compile(r'rows/s'))
    page.reload()  # the progress survives a reload: the job is in the URL and the database
    expect(page.get_by_test_id('import-status')).to_have_text('Done', timeout=120_000)
    expect(page.get_by_test_id('import-progress-text')).to_contain_text(f'{ROWS:,} of {ROWS:,} rows')
    expect(page.get_by_test_id('import-counts')).to_have_text(
        f'Created {ROWS - 1} · joined existing 0 · skipped 0 · failed 1')
    expect(page.get_by_test_id('import-failed-table')).to_contain_text('Name: Required')
    with page.expect_download() as download:
        page.get_by_test_id('import-download-failed').click()
    text = Path(download.value.path()).read_text('utf-8-sig').splitlines()
    assert text[1] == '3,,13900000000,无名,,name: required'
    with sqlite3.connect(server.db_path) as db:
        assert db.execute('SELECT count(*) FROM leads').fetchone() == (ROWS - 1,)
