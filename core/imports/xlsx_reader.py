"""Reading an XLSX sheet as rows of text without building the workbook: the zip checked against the
limits before anything is unpacked, the shared strings held compactly, cells placed by their column."""

from __future__ import annotations

import io
import re
import zipfile
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Protocol
from xml.etree import ElementTree

from core.imports.limits import (
    DECLARED_ROWS_SLACK,
    MAX_COLUMNS,
    MAX_ROWS,
    XLSX_MAX_PARTS,
    XLSX_MAX_RATIO,
    XLSX_MAX_SHARED_STRINGS,
    XLSX_MAX_UNPACKED,
    XLSX_RATIO_FLOOR,
    UnreadableFile,
)


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


class Strings(Protocol):
    """What a sheet's cells read of the shared strings: the string at an index (a list, or `SharedStrings`)."""

    def __getitem__(self, index: int, /) -> str: ...


class SharedStrings:
    """An XLSX's shared strings, read as they stream by: one string of all their text and the
    offset where each ends, so memory is the text itself, not a Python object per string. A
    `Strings`, not a `Sequence`: indexed by position only (no slices, so a cell's lookup is one check)."""

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

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        return self._text[self._ends[index - 1] if index else 0:self._ends[index]]


@contextmanager
def xlsx_lines(path: Path, sheet: str | None) -> Iterator[tuple[list[str], str, Iterator[tuple[int, list[str]]]]]:
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
        shared: Strings = []
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


def _sheet_rows(source: IO[bytes], shared: Strings, workbook: Any) -> Iterator[tuple[int, list[str]]]:
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


