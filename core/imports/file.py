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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from core.imports.limits import (
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_LINE_CHARS,
    MAX_ROWS,
    UnreadableFile,
)
from core.imports.xlsx_reader import xlsx_lines

DELIMITERS = (',', ';', '\t', '|')
NAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f]')
"""Control characters (NUL first) in an uploaded file's name: refused, not silently stored."""
_CHUNK = 1024 * 1024

csv.field_size_limit(MAX_FIELD_CHARS)


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
        with xlsx_lines(path, sheet) as (names, chosen, raw):
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
