"""A streaming XLSX writer for plain tables: one sheet per table, text as inline strings, numbers
as numbers, no styles. Exports run to hundreds of thousands of rows, and openpyxl builds a Cell
object per value and serialises each through et_xmlfile, even in its write-only mode. Here each
column becomes its cells' XML in one vectorised pandas pass, a block of rows at a time, deflated
straight into the zip: 5.4 s for a 100k-lead export, query included, against openpyxl's 13.6 s
for the bare rows in the same run (bench/export.py)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

BLOCK = 10_000
"""Rows turned into XML at a time: bounds the memory an export takes beyond its data."""
ILLEGAL = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
"""Characters XML 1.0 cannot carry (openpyxl refuses them); they are dropped."""
EMPTY = '<c/>'

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets>'
    '</workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
_SHEET_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              'worksheet" Target="worksheets/sheet{n}.xml"/>')
_SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<dimension ref="A1:{corner}"/><sheetData>')
_SHEET_END = '</sheetData></worksheet>'


def _column_letter(n: int) -> str:
    """1 → A, 27 → AA: the sheet's dimension, which read-only readers size the sheet by."""
    letters = ''
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(ILLEGAL.sub("", value))}</t></is></c>'


def _cell(value: Any) -> str:
    """One value's cell, for columns of mixed kinds."""
    if value is None or (not isinstance(value, str | Decimal) and bool(pd.isna(value))):
        return EMPTY
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c><v>{value}</v></c>'
    return _text(str(value))


def _column_xml(values: pd.Series) -> pd.Series:
    """A column's cells as XML: vectorised for text and plain numbers, value by value otherwise."""
    missing = values.isna()
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == 'empty':
        return pd.Series(EMPTY, index=values.index, dtype=object)
    if kind in ('integer', 'floating', 'decimal'):
        return ('<c><v>' + values.astype(str) + '</v></c>').where(~missing, EMPTY)
    if kind != 'string':
        return pd.Series([_cell(v) for v in values.tolist()], index=values.index, dtype=object)
    text = (values.astype(str).str.replace(ILLEGAL, '', regex=True).str.replace('&', '&amp;', regex=False)
            .str.replace('<', '&lt;', regex=False).str.replace('>', '&gt;', regex=False))
    return ('<c t="inlineStr"><is><t xml:space="preserve">' + text + '</t></is></c>').where(~missing, EMPTY)


def _rows_xml(frame: pd.DataFrame) -> str:
    row = pd.Series('<row>', index=frame.index, dtype=object)
    for name in frame.columns:
        row = row + _column_xml(frame[name])
    return ''.join((row + '</row>').tolist())


def write(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook's bytes: each table a sheet (named by its key, which must suit Excel), a header
    row of its column names, then its rows."""
    buffer = io.BytesIO()
    names = list(tables)
    with zipfile.ZipFile(buffer, 'w', compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr('[Content_Types].xml', _CONTENT_TYPES.format(
            sheets=''.join(_SHEET_TYPE.format(n=n) for n in range(1, len(names) + 1))))
        book.writestr('_rels/.rels', _ROOT_RELS)
        book.writestr('xl/workbook.xml', _WORKBOOK.format(sheets=''.join(
            f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1))))
        book.writestr('xl/_rels/workbook.xml.rels', _WORKBOOK_RELS.format(
            rels=''.join(_SHEET_REL.format(n=n) for n in range(1, len(names) + 1))))
        for n, name in enumerate(names, 1):
            frame = tables[name]
            with book.open(f'xl/worksheets/sheet{n}.xml', 'w', force_zip64=True) as sheet:
                sheet.write(_SHEET_START.format(
                    corner=f'{_column_letter(max(1, len(frame.columns)))}{len(frame) + 1}').encode())
                sheet.write(('<row>' + ''.join(_text(str(c)) for c in frame.columns) + '</row>').encode())
                for start in range(0, len(frame), BLOCK):
                    sheet.write(_rows_xml(frame.iloc[start:start + BLOCK]).encode())
                sheet.write(_SHEET_END.encode())
    return buffer.getvalue()
