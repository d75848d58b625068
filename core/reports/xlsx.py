"""Plain tables to an XLSX workbook through pyexcelerate: one sheet per table, numbers as numbers,
text as text, no styles. Exports run to hundreds of thousands of rows; pandas' `to_excel`
(openpyxl cell objects) took ~2.5× openpyxl's write-only mode, which itself is ~2.5× slower than
pyexcelerate's template writer (bench/export.py has the figures)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd
from pyexcelerate import Workbook

ILLEGAL = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
"""Characters XML 1.0 cannot carry (a spreadsheet would refuse the file); they are dropped."""
SHEET_UNSAFE = re.compile(r'[\[\]:*?/\\&<>"\']')
"""Excel refuses []:*?/\\ in a sheet name, and pyexcelerate writes the name into the workbook's XML
unescaped: both become `_` (the names are ours: panel and list names)."""


def _column(values: pd.Series) -> list[Any]:
    """A column's cells: missing → empty, text without XML-illegal characters, Decimal → float."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == 'string':
        values = values.str.replace(ILLEGAL, '', regex=True)
    elif kind in ('mixed', 'mixed-integer', 'decimal'):
        values = values.map(_cell)
    return values.astype(object).where(values.notna(), None).tolist()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL.sub('', value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def write(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook's bytes; a table with no rows still gets its header row."""
    book = Workbook()
    for name, frame in tables.items():
        columns = [_column(frame[c]) for c in frame.columns]
        rows = [[str(c) for c in frame.columns], *map(list, zip(*columns, strict=True))]
        book.new_sheet(SHEET_UNSAFE.sub('_', name)[:31], data=rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
