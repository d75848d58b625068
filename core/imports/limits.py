"""What an uploaded file may be: the limits that bound memory and time whatever a file claims or
contains, and the error that names which one a file broke (err.<code> in the UI and the CLI)."""

from __future__ import annotations

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


class UnreadableFile(DomainError):
    """The file is not a CSV or XLSX we can read, or is over a limit; the code says why
    (import_empty, import_format, import_sheet, import_too_many_rows, import_xls, import_too_large,
    import_too_many_columns, import_field_too_long, import_line_too_long, import_sheet_too_big,
    import_xlsx_unpacked, import_xlsx_ratio, import_file_name)."""

    code = 'import_format'


