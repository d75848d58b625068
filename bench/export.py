"""How fast does a list export run at 100k leads (targets: XLSX < 10 s, CSV < 3 s), and what does
it cost in memory? Through the app's own path — `desk.export.export_list(manager, 'leads', fmt, f)`,
what the reports page's download buttons and `run.py export` call — against the same rows written
by the library alone (the stdlib `csv` module; pyexcelerate, which core/reports/xlsx.py uses — and, for
reference, openpyxl in its streaming write-only mode), timed in the same run. Peak memory is
tracemalloc's peak during one call (Python allocations; SQLite's page cache is not counted).

    python bench/export.py --quick        # 5k leads, 1 repeat (smoke; asserts the files, not the time)
    python bench/export.py                # 100k leads, median of 5; writes bench/results/
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook, load_workbook  # noqa: E402
from pyexcelerate import Workbook as FastWorkbook  # noqa: E402

from bench import record  # noqa: E402
from bench.dataset import REPS, build  # noqa: E402
from bench.reports import peak_mib, timed  # noqa: E402
from core.leads.fields import LEAD  # noqa: E402
from core.reports.report_filter import ReportFilter  # noqa: E402
from store.models import Role, UserRef  # noqa: E402

LEAD_COLUMNS = LEAD.export_columns

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TARGET_S = {'xlsx': 10.0, 'csv': 3.0}


def library_only(db: Path, fmt: str) -> Callable[[], bytes]:
    """The same columns and rows, read with sqlite3 and written by the library with nothing of ours:
    the floor an export of this size cannot go under."""
    def write() -> bytes:
        with sqlite3.connect(db) as connection:
            rows = connection.execute(f'SELECT {", ".join(LEAD_COLUMNS)} FROM leads WHERE is_deleted = 0 '
                                      'ORDER BY id').fetchall()
        if fmt == 'csv':
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(LEAD_COLUMNS)
            writer.writerows(rows)
            return text.getvalue().encode('utf-8-sig')
        buffer = io.BytesIO()
        if fmt == 'xlsx':
            fast = FastWorkbook()
            fast.new_sheet('leads', data=[list(LEAD_COLUMNS), *rows])
            fast.save(buffer)
            return buffer.getvalue()
        book = Workbook(write_only=True)  # fmt == 'openpyxl': the library pandas' to_excel uses
        sheet = book.create_sheet('leads')
        sheet.append(LEAD_COLUMNS)
        for row in rows:
            sheet.append(row)
        book.save(buffer)
        return buffer.getvalue()
    return write


def run(leads: int, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / 'export.db'
        t0 = time.perf_counter()
        desk = build(db, leads, now=NOW, report_fields=True)
        built = round(time.perf_counter() - t0, 1)
        desk.ctx.clock.now = lambda: NOW  # type: ignore[method-assign]
        manager = UserRef(id=REPS + 1, name='Manager', email='manager@bench.test', role=Role.MANAGER)
        everything = ReportFilter(start=date(2000, 1, 1), end=NOW.date() + timedelta(days=1))
        out: dict[str, object] = {'leads': leads, 'build_s': built}
        for fmt in ('csv', 'xlsx'):
            app = lambda fmt=fmt: desk.export.export_list(manager, 'leads', fmt, everything)  # noqa: E731
            alone = library_only(db, fmt)
            data = app()
            rows = (data.decode('utf-8-sig').count('\n') - 1 if fmt == 'csv'
                    else sum(1 for _ in load_workbook(io.BytesIO(data), read_only=True)['leads'].iter_rows()) - 1)
            assert rows == leads, f'{fmt}: {rows} rows exported, {leads} expected'
            out[f'{fmt}_rows'] = rows
            out[f'{fmt}_bytes'] = len(data)
            out[f'{fmt}_app_ms'] = timed(app, repeats)
            out[f'{fmt}_library_ms'] = timed(alone, repeats)
            out[f'{fmt}_app_peak_mib'] = peak_mib(app)
            out[f'{fmt}_library_peak_mib'] = peak_mib(alone)
            out[f'{fmt}_app_vs_library'] = round(out[f'{fmt}_app_ms'][0] / out[f'{fmt}_library_ms'][0], 2)  # type: ignore[index]
            if fmt == 'xlsx':
                out['openpyxl_library_ms'] = timed(library_only(db, 'openpyxl'), repeats)
            out[f'{fmt}_app_vs_target'] = round(out[f'{fmt}_app_ms'][0] / (TARGET_S[fmt] * 1000), 2)  # type: ignore[index]
        desk.ctx.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--leads', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=None)
    args = parser.parse_args()
    leads = args.leads or (5_000 if args.quick else 100_000)
    repeats = args.repeats or (1 if args.quick else 5)
    box = record.machine()
    result = run(leads, repeats)
    print(json.dumps(result, indent=1))
    if not args.quick:
        record.write('export', box, result)


if __name__ == '__main__':
    main()
