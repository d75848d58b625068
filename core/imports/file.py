"""Reading an uploaded spreadsheet: CSV in whatever encoding Excel, WPS or another CRM wrote
(UTF-8, UTF-8 with BOM, GBK/GB18030 — detected, never asked), or XLSX (first or chosen sheet).

Pure functions over a file on disk: the import job re-reads its file on resume and gets the
same rows in the same order, so `rows_done` names exactly the rows already committed.

Memory is bounded by the limits below, never by what a file claims or contains: rows are
streamed one at a time (nothing holds the whole table), a CSV line and a field have a length
limit, and an XLSX is checked before a row is built — its zip's declared unpacked sizes and
compression ratios (Python's zipfile stops reading a member at its declared size, so the
declaration is a real bound), and the sheet's declared dimension. Every refusal is an
`UnreadableFile` whose code names the reason (`err.<code>` in the UI and the CLI)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, TextIO
from xml.etree import ElementTree

from core.errors import DomainError

MAX_ROWS = 100_000
"""The largest file an import takes (data rows, header excluded): counted while reading."""
MAX_COLUMNS = 500
"""Columns a header may have. Bounds a row's width (and the mapping page): a line of commas or a
cell at column XFD cannot make every row a 16,384-cell list."""
MAX_FIELD_CHARS = 128 * 1024
"""One CSV field (Python's csv default, set explicitly here so that the limit is ours)."""
MAX_LINE_CHARS = 1024 * 1024
"""One physical CSV line: a file with no newlines (or a binary file) is refused at its first
megabyte instead of being decoded and split whole."""
XLSX_MAX_UNPACKED = 512 * 1024 * 1024
"""The declared unpacked size of all of an XLSX's parts together. A real 100,000-row sheet
unpacks to well under 100 MB (docs/BENCHMARKS.md)."""
XLSX_MAX_RATIO = 100
"""A part unpacking to more than this many times its packed size (above XLSX_RATIO_FLOOR) is a
zip bomb: deflate reaches ~1000:1 on filler, spreadsheets' XML ~5–20:1."""
XLSX_RATIO_FLOOR = 8 * 1024 * 1024
"""Small parts may compress as they like (an empty styles part is 50:1)."""
XLSX_MAX_SHARED_STRINGS = 48 * 1024 * 1024
"""The shared-string table is needed whole (cells refer to it by index) and is read compactly
(`SharedStrings`: its text and an offset per string, ~1–2 bytes per character + 8 per string —
openpyxl's list and index of Python strings took +257 MB for 32 MB of short strings); its part is
still capped, which bounds the time a hostile table costs (a real 100,000-row sheet: ~15 MB)."""
XLSX_MAX_PARTS = 10_000
DECLARED_ROWS_SLACK = 2
"""A sheet may declare up to this many times MAX_ROWS (formatted blank rows below the data make
Excel's declared range larger than the data); rows themselves are counted as they are read."""
DELIMITERS = (',', ';', '\t', '|')
NAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f]')
"""Control characters (NUL first) in an uploaded file's name: refused, not silently stored."""
_CHUNK = 1024 * 1024

csv.field_size_limit(MAX_FIELD_CHARS)


class UnreadableFile(DomainError):
    """The file is not a CSV or XLSX we can read, or is over a limit; the code says why
    (import_empty, import_format, import_sheet, import_too_many_rows, import_xls, import_too_large,
    import_too_many_columns, import_field_too_long, import_line_too_long, import_sheet_too_big,
    import_xlsx_unpacked, import_xlsx_ratio, import_file_name)."""

    code = 'import_format'


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and first rows (`sample`), and — after a full `scan` — how many data rows
    it has. The rows themselves are read with `data_rows`, never kept."""

    headers: list[str]
    sample: list[tuple[int, list[str]]]
    """(spreadsheet row number, cells as text, one per header); blank rows left out."""
    total_rows: int | None = None
    """None: only the head was read (`peek`)."""
    encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None


def check_file_name(name: str) -> str:
    """The name as it will be stored and shown; a control character (a NUL from a crafted
    request) is refused: PostgreSQL cannot store it and a terminal would act on it."""
    if NAME_UNSAFE.search(name or ''):
        raise UnreadableFile('import_file_name')
    base = Path(name.replace('\\', '/')).name.strip()
    return base[:255] or 'upload'


def detect_encoding(data: bytes) -> str:
    """BOMs first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312: what Chinese
    Excel and WPS write), then charset-normalizer's best guess. A GBK file practically never
    decodes as valid UTF-8, so the order cannot mistake one for the other."""
    return detect_file_encoding(io.BytesIO(data))


def detect_file_encoding(stream: io.BufferedIOBase | io.BytesIO | Any) -> str:
    """`detect_encoding` over a binary stream, decoding it chunk by chunk (a 50 MB file is never
    one string in memory)."""
    head = stream.read(_CHUNK)
    if head.startswith(codecs.BOM_UTF8):
        return 'utf-8-sig'
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 'utf-16'
    for encoding in ('utf-8', 'gb18030'):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)('strict')
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b'', final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    from charset_normalizer import from_bytes

    best = from_bytes(head[:200_000]).best()
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


# ----- the two formats, as (row number, cells) lines ------------------------------------------------

def _csv_lines(path: Path, encoding: str | None) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """(encoding, the file's records): decoded as it is read, each physical line at most
    MAX_LINE_CHARS, each field at most MAX_FIELD_CHARS."""
    if encoding is None:
        with path.open('rb') as raw:
            encoding = detect_file_encoding(raw)

    def lines() -> Iterator[tuple[int, list[str]]]:
        with path.open('r', encoding=encoding, errors='replace', newline='') as text:
            first = _line(text, 1)
            if first.startswith('\ufeff'):
                first = first[1:]
            delimiter = max(DELIMITERS, key=first.count)
            physical = _physical(text, first)
            reader = csv.reader(physical, delimiter=delimiter)
            n = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    if 'field larger than field limit' in str(e):
                        raise UnreadableFile('import_field_too_long', row=n + 1,
                                             limit_kib=MAX_FIELD_CHARS // 1024) from e
                    raise UnreadableFile('import_format') from e
                n += 1  # as Excel numbers it: records, not physical lines
                yield n, cells

    return encoding, lines()


def _line(text: TextIO, number: int) -> str:
    line = text.readline(MAX_LINE_CHARS + 1)
    if len(line) > MAX_LINE_CHARS:
        raise UnreadableFile('import_line_too_long', line=number, limit_kib=MAX_LINE_CHARS // 1024)
    return line


def _physical(text: TextIO, first: str) -> Iterator[str]:
    yield first
    number = 1
    while line := _line(text, number + 1):
        number += 1
        yield line


def check_xlsx_archive(path: Path) -> None:
    """Before openpyxl opens it: the zip's declared sizes and ratios (see the limits above)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise UnreadableFile('import_format') from e
    with archive:
        parts = archive.infolist()
        if len(parts) > XLSX_MAX_PARTS:
            raise UnreadableFile('import_xlsx_unpacked', size_mb=0, limit_mb=XLSX_MAX_UNPACKED >> 20)
        total = 0
        for part in parts:
            total += part.file_size
            if part.file_size > XLSX_RATIO_FLOOR and part.file_size > XLSX_MAX_RATIO * max(part.compress_size, 1):
                raise UnreadableFile('import_xlsx_ratio', ratio=part.file_size // max(part.compress_size, 1),
                                     limit=XLSX_MAX_RATIO)
            if part.filename.lower().endswith('sharedstrings.xml') and part.file_size > XLSX_MAX_SHARED_STRINGS:
                raise UnreadableFile('import_xlsx_unpacked', size_mb=part.file_size >> 20,
                                     limit_mb=XLSX_MAX_SHARED_STRINGS >> 20)
        if total > XLSX_MAX_UNPACKED:
            raise UnreadableFile('import_xlsx_unpacked', size_mb=total >> 20, limit_mb=XLSX_MAX_UNPACKED >> 20)


_MAIN = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _RUN = (f'{_MAIN}{tag}' for tag in ('row', 'c', 'v', 'is', 't', 'r'))
_LETTERS = re.compile(r'[A-Z]+')


class SharedStrings(Sequence[str]):
    """An XLSX's shared strings, read as they stream by: one string of all their text and the
    offset where each ends, so memory is the text itself, not a Python object per string."""

    _SI = f'{_MAIN}si'

    def __init__(self, source: IO[bytes]) -> None:
        text = io.StringIO()
        ends = array('Q')
        position = 0
        root = None
        for event, element in ElementTree.iterparse(source, events=('start', 'end')):
            if event == 'start':
                root = element if root is None else root
                continue
            if element.tag != self._SI:
                continue
            value = ''.join(child.text or '' if child.tag == _TEXT else child.findtext(_TEXT) or ''
                            for child in element if child.tag in (_TEXT, _RUN))  # not rPh: phonetic hints
            value = value.replace('x005F_', '')  # as openpyxl reads Excel's escape
            text.write(value)
            position += len(value)
            ends.append(position)
            if root is not None:
                root.clear()  # the finished <si> leaves the tree
        self._text, self._ends = text.getvalue(), ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        return self._text[self._ends[index - 1] if index else 0:self._ends[index]]


@contextmanager
def _xlsx_lines(path: Path, sheet: str | None) -> Iterator[tuple[list[str], str, Iterator[tuple[int, list[str]]]]]:
    """(sheet names, the chosen one, its rows as present in the file — gaps skipped, cells placed
    by their column, nothing past MAX_COLUMNS). openpyxl reads the workbook's parts (sheets, styles,
    the epoch) but neither the shared strings (`SharedStrings`) nor the rows (`_sheet_rows`): its
    read-only worksheet pads every row to the declared width and yields every missing row."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            """Not openpyxl's (a Python object per string and an index of them all): ours, below."""

    check_xlsx_archive(path)
    raw = path.open('rb')  # a file object: openpyxl then does not insist on the name's extension
    try:
        reader = Reader(raw, read_only=True, data_only=True)
        reader.read()
        workbook = reader.wb
        part = reader.package.find(SHARED_STRINGS)
        shared: Sequence[str] = []
        if part is not None:
            with reader.archive.open(part.PartName[1:]) as source:
                shared = SharedStrings(source)
    except UnreadableFile:
        raw.close()
        raise
    except Exception as e:  # openpyxl raises many kinds for a broken or foreign file
        raw.close()
        raise UnreadableFile('import_format') from e
    try:
        names = list(workbook.sheetnames)
        if sheet is not None and sheet not in names:
            raise UnreadableFile('import_sheet', sheet=sheet)
        chosen = sheet or names[0]
        worksheet = workbook[chosen]  # reads the declared <dimension> only
        rows, columns = worksheet.max_row or 0, worksheet.max_column or 0
        if rows > MAX_ROWS * DECLARED_ROWS_SLACK or columns > MAX_COLUMNS:
            raise UnreadableFile('import_sheet_too_big', rows=f'{rows:,}', columns=f'{columns:,}',
                                 max_rows=f'{MAX_ROWS:,}', max_columns=MAX_COLUMNS)

        def lines() -> Iterator[tuple[int, list[str]]]:
            with worksheet._get_source() as source:
                try:
                    yield from _sheet_rows(source, shared, workbook)
                except UnreadableFile:
                    raise
                except Exception as e:
                    raise UnreadableFile('import_format') from e

        yield names, chosen, lines()
    finally:
        workbook.close()
        raw.close()


def _column(reference: str) -> int:
    letters = _LETTERS.match(reference)
    number = 0
    for ch in letters.group() if letters else '':
        number = number * 26 + ord(ch) - 64
    return number


def _sheet_rows(source: IO[bytes], shared: Sequence[str], workbook: Any) -> Iterator[tuple[int, list[str]]]:
    """A worksheet's rows as (row number, cells as text), one `<row>` element in memory at a time:
    rows missing from the file are not made up, cells are placed by their reference and nothing past
    MAX_COLUMNS is kept. openpyxl's own read-only sheet pads every row to the declared width and
    yields every missing row (and its cell parser costs ~4× this loop); its workbook still supplies
    the shared strings, the date styles and the epoch, so values read as openpyxl reads them."""
    from openpyxl.utils.datetime import from_excel

    dates, durations, epoch = workbook._date_formats, workbook._timedelta_formats, workbook.epoch
    number = 0
    parent = None
    for event, element in ElementTree.iterparse(source, events=('start', 'end')):
        if event == 'start':
            if parent is None and element.tag == f'{_MAIN}sheetData':
                parent = element
            continue
        if element.tag != _ROW:
            continue
        given = element.get('r')
        number = int(float(given)) if given else number + 1
        placed: dict[int, str] = {}
        column = 0
        for cell in element.iter(_CELL):
            reference = cell.get('r')
            column = _column(reference) if reference else column + 1
            if column > MAX_COLUMNS:
                continue
            kind = cell.get('t', 'n')
            value: object = None
            if kind == 'inlineStr':
                inline = cell.find(_INLINE)
                value = ''.join(t.text or '' for t in inline.iter(_TEXT)) if inline is not None else None
            else:
                raw = cell.findtext(_VALUE) or None
                if raw is None:
                    value = None
                elif kind == 'n':
                    value = float(raw) if any(c in raw for c in '.eE') else int(raw)
                    style = int(cell.get('s') or 0)
                    if style and style in dates:
                        try:
                            value = from_excel(value, epoch, timedelta=style in durations)
                        except (OverflowError, ValueError):
                            value = '#VALUE!'
                elif kind == 's':
                    value = shared[int(raw)]
                elif kind == 'b':
                    value = bool(int(raw))
                else:  # str (a formula's text), e (an error such as #N/A), d (ISO date as text)
                    value = raw
            text = cell_text(value)
            if text:
                placed[column] = text
        element.clear()
        if parent is not None:
            parent.clear()  # the finished row leaves the tree: memory stays one row
        width = max(placed, default=0)
        yield number, [placed.get(i, '') for i in range(1, width + 1)]


# ----- header, data rows, limits --------------------------------------------------------------------

def is_xlsx(path: Path) -> bool:
    with path.open('rb') as f:
        return f.read(4) == b'PK\x03\x04'


def _is_xls(path: Path) -> bool:
    with path.open('rb') as f:
        return f.read(4) == b'\xd0\xcf\x11\xe0'  # the old binary Excel format: save as XLSX or CSV


@contextmanager
def _open(path: Path, sheet: str | None, encoding: str | None
          ) -> Iterator[tuple[dict[str, Any], Iterator[tuple[int, list[str]]]]]:
    """(meta for Table, the non-blank records after the header, fitted to it) — the header is read
    first and checked; the caller iterates the rest."""
    if is_xlsx(path):
        with _xlsx_lines(path, sheet) as (names, chosen, raw):
            yield from _split(raw, {'sheets': names, 'sheet': chosen, 'encoding': None})
        return
    if _is_xls(path):
        raise UnreadableFile('import_xls')
    found, raw = _csv_lines(path, encoding)
    yield from _split(raw, {'encoding': found, 'sheets': [], 'sheet': None})


def _split(raw: Iterator[tuple[int, list[str]]], meta: dict[str, Any]
           ) -> Iterator[tuple[dict[str, Any], Iterator[tuple[int, list[str]]]]]:
    nonblank = ((n, cells) for n, cells in raw if any(c.strip() for c in cells))
    head = next(nonblank, None)
    if head is None:
        raise UnreadableFile('import_empty')
    headers = head[1]
    if len(headers) > MAX_COLUMNS:
        raise UnreadableFile('import_too_many_columns', columns=f'{len(headers):,}', limit=MAX_COLUMNS)
    width = len(headers)

    def data() -> Iterator[tuple[int, list[str]]]:
        count = 0
        for n, cells in nonblank:
            count += 1
            if count > MAX_ROWS:
                raise UnreadableFile('import_too_many_rows', limit=MAX_ROWS)
            yield n, (cells + [''] * width)[:width]

    yield {**meta, 'headers': [h.strip() for h in headers]}, data()


def scan(path: Path, sheet: str | None = None, *, sample: int = 5) -> Table:
    """Read the whole file once, one row at a time: every limit checked, the rows counted, the
    first `sample` kept. An upload calls it before the file becomes a job."""
    with _open(path, sheet, None) as (meta, rows):
        head: list[tuple[int, list[str]]] = []
        total = 0
        for row in rows:
            total += 1
            if len(head) < sample:
                head.append(row)
    return Table(sample=head, total_rows=total, **meta)


def peek(path: Path, sheet: str | None = None, *, encoding: str | None = None, rows: int = 20) -> Table:
    """The header and the first `rows` data rows of a file `scan` accepted (no full pass)."""
    with _open(path, sheet, encoding) as (meta, data):
        head = [row for _, row in zip(range(rows), data, strict=False)]
    return Table(sample=head, **meta)


def data_rows(path: Path, sheet: str | None = None, *, encoding: str | None = None,
              skip: int = 0) -> Iterator[tuple[int, list[str]]]:
    """The data rows after the first `skip`, streamed (an import reads them batch by batch)."""
    with _open(path, sheet, encoding) as (_meta, data):
        for i, row in enumerate(data):
            if i >= skip:
                yield row
