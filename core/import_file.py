"""Reading an uploaded spreadsheet: CSV in whatever encoding Excel, WPS or another CRM wrote
(UTF-8, UTF-8 with BOM, GBK/GB18030 — detected, never asked), or XLSX (first or chosen sheet).

Pure functions over a file on disk: the import job re-reads its file on resume and gets the
same rows in the same order, so `rows_done` names exactly the rows already committed."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from .errors import DomainError

MAX_ROWS = 100_000
"""The largest file an import takes (data rows, header excluded)."""
DELIMITERS = (',', ';', '\t', '|')


class UnreadableFile(DomainError):
    """The file is not a CSV or XLSX we can read; the code says why (import_empty, import_format,
    import_sheet, import_too_many_rows, import_xls)."""

    code = 'import_format'


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    """(spreadsheet row number, cells as text, one per header); blank rows left out."""
    encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None


def detect_encoding(data: bytes) -> str:
    """BOMs first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312: what Chinese
    Excel and WPS write), then charset-normalizer's best guess. A GBK file practically never
    decodes as valid UTF-8, so the order cannot mistake one for the other."""
    if data.startswith(codecs.BOM_UTF8):
        return 'utf-8-sig'
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 'utf-16'
    for encoding in ('utf-8', 'gb18030'):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return best.encoding if best is not None else 'latin-1'


def cell_text(value: object) -> str:
    """A cell as the user sees it: 13800138000 not 13800138000.0, dates without midnight."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'TRUE' if value else 'FALSE'
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=' ')
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _table(lines: list[tuple[int, list[str]]], **meta: object) -> Table:
    """First non-blank line is the header; later blank lines are dropped; cells padded to the header."""
    rows = [(n, cells) for n, cells in lines if any(c.strip() for c in cells)]
    if not rows:
        raise UnreadableFile('import_empty')
    (_, headers), data = rows[0], rows[1:]
    if len(data) > MAX_ROWS:
        raise UnreadableFile('import_too_many_rows', limit=MAX_ROWS)
    width = len(headers)
    fitted = [(n, (cells + [''] * width)[:width]) for n, cells in data]
    return Table(headers=[h.strip() for h in headers], rows=fitted, **meta)  # type: ignore[arg-type]


def read_csv(data: bytes) -> Table:
    encoding = detect_encoding(data)
    text = data.decode(encoding, errors='replace')
    if text.startswith('\ufeff'):
        text = text[1:]
    first = text.split('\n', 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter)
    lines = [(n, [c.strip() for c in cells]) for n, cells in enumerate(reader, start=1)]  # n: as Excel numbers it
    return _table(lines, encoding='gb18030' if encoding == 'gb18030' else encoding)


def xlsx_sheets(path: Path) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    """The chosen sheet (default: the first), streamed in read-only mode, values not formulas."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken or foreign file
        raise UnreadableFile('import_format') from e
    try:
        names = list(workbook.sheetnames)
        if sheet is not None and sheet not in names:
            raise UnreadableFile('import_sheet', sheet=sheet)
        chosen = sheet or names[0]
        lines = [(n, [cell_text(v) for v in values])
                 for n, values in enumerate(workbook[chosen].iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    return _table(lines, sheets=names, sheet=chosen)


def is_xlsx(path: Path) -> bool:
    with path.open('rb') as f:
        return f.read(4) == b'PK\x03\x04'


def read_table(path: Path, sheet: str | None = None) -> Table:
    """Whatever the file is (by its bytes, not its name): XLSX or CSV."""
    if is_xlsx(path):
        return read_xlsx(path, sheet)
    data = path.read_bytes()
    if data.startswith(b'\xd0\xcf\x11\xe0'):
        raise UnreadableFile('import_xls')  # the old binary Excel format: save as XLSX or CSV
    return read_csv(data)
