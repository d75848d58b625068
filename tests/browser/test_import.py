"""Import in a real browser: upload a GBK CSV, check the mapping, preview the problems, run,
watch the progress bar (through a reload), read the report and download the failed rows."""

from __future__ import annotations

import re
import sqlite3
import stat
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

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


def _upload_route(page: Page, server: Server) -> str:
    """The upload route of the `/import` page open in `page` (it lives as long as the page)."""
    page.goto(server.url('/import'))
    upload = page.get_by_test_id('import-upload')
    expect(upload).to_be_visible()
    return server.url(f'/_nicegui/client/{page.evaluate("window.clientId")}/upload/{upload.get_attribute("id")[1:]}')


def _chunked_post(route: str, cookie: str, name: str, body: bytes) -> int:
    """One multipart file sent chunked (no Content-Length), as a script would: the server must count."""
    boundary = 'testboundary'
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            'Content-Type: text/csv\r\n\r\n').encode()
    chunks = iter([head, *(body[i:i + 65536] for i in range(0, len(body), 65536)), f'\r\n--{boundary}--\r\n'.encode()])
    request = urllib.request.Request(route, data=chunks, method='POST', headers={
        'Cookie': cookie, 'Content-Type': f'multipart/form-data; boundary={boundary}', 'Transfer-Encoding': 'chunked'})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (ConnectionError, urllib.error.URLError):
        return -1  # the 413 came while the body was still being sent, and the connection closed


def test_an_oversize_body_posted_straight_to_the_upload_route_keeps_nothing(
        start_server: Callable[..., Server], new_context: Callable[..., BrowserContext]) -> None:
    server = start_server(env={'LEADDESK_IMPORT_MAX_MB': '1'})
    assert server.team is not None
    context = new_context(locale='en-US')
    page = context.new_page()
    login(page, server, server.team.manager)
    route = _upload_route(page, server)
    cookie = '; '.join(f'{c["name"]}={c["value"]}' for c in context.cookies())
    big = b'name,phone\n' + b'Zhang Wei,13800138000\n' * (3 * 1024 * 1024 // 22)  # 3 MB

    answer = context.request.post(route, multipart={'file': {'name': 'big.csv', 'mimeType': 'text/csv',
                                                             'buffer': big}})
    assert answer.status == 413 and answer.json() == {'error': 'too_large', 'limit_mb': 1}
    # chunked: 413 too, though the server may close before the client has sent it all (a reset, -1)
    assert _chunked_post(route, cookie, 'big.csv', big) in (413, -1)
    # just over the file limit, within the body's framing slack: the route runs, the import counts and refuses
    assert _chunked_post(route, cookie, 'edge.csv', b'name\n' + b'x' * (1024 * 1024)) == 200
    expect(page.get_by_text('The file is over 1 MB: split it and upload the parts')).to_be_visible()
    assert _chunked_post(route, cookie, 'leads\x00.csv', b'name\nZhang Wei\n') == 200
    expect(page.get_by_text('The file name contains a control character')).to_be_visible()

    data = server.db_path.parent
    with sqlite3.connect(server.db_path) as db:
        assert db.execute('SELECT count(*) FROM import_jobs').fetchone() == (0,)
    assert not (data / 'imports').exists() or list((data / 'imports').iterdir()) == []

    assert _chunked_post(route, cookie, 'ok.csv', b'name,phone\nZhang Wei,13800138000\n') == 200
    page.wait_for_url(re.compile(r'/import\?job=\d+'))  # a file within the limit, sent the same way, is taken
    with sqlite3.connect(server.db_path) as db:
        jobs = db.execute('SELECT status, file_name, total_rows FROM import_jobs').fetchall()
    assert jobs == [('draft', 'ok.csv', 1)]
    # the serving process keeps its data folder to itself: the folder the test made 0755 was tightened at start
    modes = {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [data, *data.rglob('*')]}
    assert modes.pop('.') == 0o700 and modes.pop('imports') == 0o700
    assert {'leaddesk.db', 'leaddesk.db-wal', 'leaddesk.db-shm'} <= set(modes)
    assert not [p for p in modes if p.startswith('sessions')], modes  # no per-browser storage at all
    assert modes == {p: 0o700 if (data / p).is_dir() else 0o600 for p in modes}


def test_uploader_shows_the_chosen_files_name_and_size(start_server: Callable[..., Server],
                                                       new_context: Callable[..., BrowserContext],
                                                       tmp_path: Path) -> None:
    server = start_server()
    assert server.team is not None
    source = tmp_path / 'leads.csv'
    source.write_bytes(b'name,phone\n' + b'Zhang Wei,13900001234\n' * 100)  # 2,211 bytes
    page = new_context(locale='en-US').new_page()
    login(page, server, server.team.manager)
    page.goto(server.url('/import'))
    label = page.get_by_test_id('import-upload-file')
    expect(label).to_have_text('No file chosen yet: pick one, or drop it here')
    held: list[Route] = []

    def hold(route: Route) -> None:  # the upload waits: the label shows the file meanwhile
        held.append(route)  # (playwright wants a Python function here, not a bound builtin)

    page.route(re.compile(r'/upload/'), hold)
    page.get_by_test_id('import-upload').locator('input[type=file]').set_input_files(source)
    expect(label).to_contain_text('leads.csv · 2.2KB')
    assert '0.0B' not in page.get_by_test_id('import-upload').inner_text()
    held[0].continue_()
    page.wait_for_url(re.compile(r'/import\?job=\d+'))
