"""What does an upload cost the running server (target: any import, any file, peaks under 300 MB
above the server's RSS before it; hostile files refused in under 2 s)?

`run.py` in a subprocess; a manager signed in in Chromium keeps `/import` open (the upload route
lives as long as that page); each file is POSTed straight to the route over HTTP, as a script
skipping the browser's size check would, and a legitimate file is then run from the page until
the job reads Done. Around each file: VmRSS before, the peak (VmHWM, reset through
/proc/<pid>/clear_refs before the file), VmRSS after; the page's toast is the message the user read.

    python bench/upload_rss.py --quick    # 2,000-row files, a 64 MB bomb (smoke; asserts the refusals)
    python bench/upload_rss.py            # 100,000-row CSV and XLSX, a 1 GB bomb; writes bench/results
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bigdb, record  # noqa: E402
from bench.board import _serve, _stop  # noqa: E402
from bench.server_rss import memory, quiet  # noqa: E402
from tests.hostile_files import declared_huge_sheet, zip_bomb  # noqa: E402

CHROMIUM = '/usr/bin/chromium'
MANAGER, PASSWORD = 'manager@bench.test', 'bench-bench'
LIMIT_MB = 300.0
BOUNDARY = 'leaddeskbench'


def make_files(folder: Path, rows: int, bomb_mb: int) -> list[tuple[str, Path, str, bool]]:
    """(label, file, name sent, is legitimate)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('bench_import', ROOT / 'bench' / 'import.py')
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    legit_csv = folder / 'leads.csv'
    module.make_csv(legit_csv, rows)
    from openpyxl import Workbook

    book = Workbook()  # not write-only: shared strings, as Excel and WPS write them
    sheet = book.active
    with legit_csv.open(encoding='gb18030', newline='') as f:
        for line in csv.reader(f):
            sheet.append(line)
    legit_xlsx = folder / 'leads.xlsx'
    book.save(legit_xlsx)
    big = folder / 'big.csv'
    with big.open('wb') as f:
        f.write(b'name,phone\n')
        for _ in range(60):
            f.write(b'a' * (1024 * 1024))
    long_field = folder / 'long.csv'
    long_field.write_bytes(b'name,notes\nZhang Wei,"' + b'x' * (200 * 1024) + b'"\n')
    no_newline = folder / 'blob.csv'
    no_newline.write_bytes(b'name' + b'a' * (10 * 1024 * 1024))
    return [('declared 1,048,576 × 16,384 sheet', declared_huge_sheet(folder / 'huge.xlsx'), 'huge.xlsx', False),
            (f'zip bomb ({bomb_mb} MB unpacked)', zip_bomb(folder / 'bomb.xlsx', bomb_mb), 'bomb.xlsx', False),
            ('60 MB CSV, chunked', big, 'big.csv', False),
            ('field over 128 KiB', long_field, 'long.csv', False),
            ('10 MB without a newline', no_newline, 'blob.csv', False),
            ('NUL in the file name', long_field, 'leads\x00.csv', False),
            (f'{rows:,}-row CSV (GB18030)', legit_csv, 'leads.csv', True),
            (f'{rows:,}-row XLSX', legit_xlsx, 'leads.xlsx', True)]


def post(route: str, cookie: str, path: Path, name: str) -> tuple[int, float]:
    """The file as one multipart part, sent chunked (no Content-Length: the server must count)."""
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n').encode('utf-8', 'surrogateescape')

    def body():  # type: ignore[no-untyped-def]
        yield head
        with path.open('rb') as f:
            while chunk := f.read(1024 * 1024):
                yield chunk
        yield f'\r\n--{BOUNDARY}--\r\n'.encode()

    request = urllib.request.Request(route, data=body(), method='POST', headers={
        'Cookie': cookie, 'Content-Type': f'multipart/form-data; boundary={BOUNDARY}',
        'Transfer-Encoding': 'chunked'})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    except (ConnectionError, urllib.error.URLError):
        status = -1  # the server answered 413 and closed while the body was still being sent
    return status, round(time.perf_counter() - started, 2)


def reset_peak(pid: int) -> None:
    Path(f'/proc/{pid}/clear_refs').write_text('5')  # VmHWM := VmRSS (Linux ≥ 4.0)


def one_file(page: Any, base: str, pid: int, cookie: str, case: tuple[str, Path, str, bool]) -> dict[str, Any]:
    label, path, name, legit = case
    page.goto(base + '/import')
    upload = page.get_by_test_id('import-upload')
    upload.wait_for()
    route = f'{base}/_nicegui/client/{page.evaluate("window.clientId")}/upload/{upload.get_attribute("id")[1:]}'
    quiet(pid, most=30)
    before = memory(pid)['VmRSS']
    reset_peak(pid)
    started = time.perf_counter()
    status, posted = post(route, cookie, path, name)
    out: dict[str, Any] = {'file': label, 'size_kb': round(path.stat().st_size / 1024, 1), 'http': status}
    if legit:
        page.wait_for_url('**/import?job=*', timeout=120_000)  # received, read whole and checked: the draft
        out['answer_s'] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        page.get_by_test_id('import-run').click()
        page.get_by_test_id('import-status').get_by_text('Done').wait_for(timeout=900_000)
        out['import_s'] = round(time.perf_counter() - started, 1)
        out['message'] = page.get_by_test_id('import-counts').inner_text()
    else:
        out['message'], out['answer_s'] = '', posted
        if status not in (413, -1):  # refused by the import: the page's toast says why
            toast = page.locator('.q-notification__message').last
            toast.wait_for(timeout=5_000)
            out['message'], out['answer_s'] = toast.inner_text(), round(time.perf_counter() - started, 2)
    quiet(pid, most=60)
    after = memory(pid)
    out.update(rss_before=before, peak_above_before=round(after['VmHWM'] - before, 1),
               rss_after_above_before=round(after['VmRSS'] - before, 1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    rows, bomb_mb = (2_000, 64) if args.quick else (100_000, 1024)
    box = record.machine()
    from playwright.sync_api import sync_playwright

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = make_files(folder, rows, bomb_mb)
        db = bigdb.ensure(200, folder / 'team.db')
        data = folder / 'data'
        data.mkdir()
        server, base = _serve([sys.executable, 'run.py'], data, db)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=['--no-sandbox', '--disable-gpu', '--no-first-run'])
                context = browser.new_context(locale='en-US')
                page = context.new_page()
                page.goto(base + '/login')
                page.get_by_test_id('login-email').fill(MANAGER)
                page.get_by_test_id('login-password').fill(PASSWORD)
                page.get_by_test_id('login-submit').click()
                page.wait_for_url(base + '/', timeout=30_000)
                cookie = '; '.join(f'{c["name"]}={c["value"]}' for c in context.cookies())
                quiet(server.pid)
                start = memory(server.pid)
                for case in cases:
                    results.append(one_file(page, base, server.pid, cookie, case))
                    print(results[-1], flush=True)
                browser.close()
            leftovers = sorted(p.name for p in (data / 'imports').iterdir()) if (data / 'imports').exists() else []
        finally:
            _stop(server)
    _print(start, results)
    for r in results:
        assert r['peak_above_before'] < LIMIT_MB, r
        if r['file'].startswith(('declared', 'zip bomb')):
            assert r['answer_s'] < 2.0, r  # the two hostile spreadsheets: refused in under 2 s
        if 'import_s' not in r:
            assert r['http'] in (413, -1) or r['message'], r  # -1: the 413 came while the body was still sent
    assert leftovers == [], leftovers  # refused uploads kept nothing, finished imports deleted theirs
    if not args.quick:
        record.write('upload_rss', box, {'server_start': start, 'files': results})


def _print(start: dict[str, float], results: list[dict[str, Any]]) -> None:
    print(f'server at start: VmRSS {start["VmRSS"]:.0f} MB')
    print('| file | size | HTTP | answer s | import s | peak above before MB | after − before MB | the user read |')
    print('|---|---|---|---|---|---|---|---|')
    for r in results:
        print(f"| {r['file']} | {r['size_kb']:,.0f} KB | {r['http']} | {r['answer_s']} | {r.get('import_s', '—')} | "
              f"{r['peak_above_before']} | {r['rss_after_above_before']} | {r['message'] or '413, closed'} |")


if __name__ == '__main__':
    main()
