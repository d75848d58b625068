"""Custom values as spreadsheet text, both ways: a cell read by an import (an option named by its key
or either label, several options in one cell, 2026/3/1 as a date) turned into what the type check
(`values.CustomFields.check`) accepts, and a stored value written readably by an export (option
labels in the reader's language, 是/否 or Yes/No, money in yuan with two decimals). Pure.

Why here and not in the import or the export: both sides speak the same text, so a file exported
in either language imports back to the same values."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from core.custom_fields.values import FIELD, CustomFields, Definition
from store.models import CustomFieldType

PREFIX = f'{FIELD}.'
"""An import target naming a custom field: `custom.<key>` (also how its errors are named)."""

SEPARATORS = {'zh-CN': '、', 'en': ', '}
YES_NO = {'zh-CN': ('是', '否'), 'en': ('Yes', 'No')}
_SPLIT = re.compile(r'\s*[,，;；、|/\n]\s*')
_DATE = re.compile(r'(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?')


def target(key: str) -> str:
    return PREFIX + key


def key_of(target: str) -> str | None:
    """The custom field's key a mapping target names, or None for a built-in target."""
    return target[len(PREFIX):] if target.startswith(PREFIX) else None


def fold(text: str) -> str:
    """Case-, width- and space-folded: how option names and headers are compared."""
    return re.sub(r'\s+', '', unicodedata.normalize('NFKC', text)).lower()


def label(definition: Definition, language: str) -> str:
    return label_of(definition.label_zh, definition.label_en, language)


class Cells:
    """Reads one configuration's custom values from cells; made once per configuration (`cells`)."""

    def __init__(self, fields: CustomFields) -> None:
        self.fields = fields
        self.by_key = {d.key: d for d in fields.definitions}
        self.options: dict[str, dict[str, str]] = {
            d.key: {fold(name): o.key for o in d.options for name in (o.label_en, o.label_zh, o.key)}
            for d in fields.definitions if d.options}
        """Each select's options by folded key or label (a key wins over another option's label)."""

    def value(self, key: str, text: str) -> Any:
        """A cell as the type check takes it (left as text when it names nothing: the check says why)."""
        definition = self.by_key.get(key)
        if definition is None:
            return text
        if definition.type == CustomFieldType.SINGLE_SELECT:
            return self.options[key].get(fold(text), text)
        if definition.type == CustomFieldType.MULTI_SELECT:
            whole = self.options[key].get(fold(text))  # one option whose label holds a separator
            names = [whole] if whole is not None else [part for part in _SPLIT.split(text.strip()) if part]
            return [self.options[key].get(fold(name), name) for name in names]
        if definition.type == CustomFieldType.DATE:
            found = _DATE.fullmatch(text.strip())
            return f'{found[1]}-{int(found[2]):02d}-{int(found[3]):02d}' if found else text
        return text


@lru_cache(maxsize=8)
def cells(fields: CustomFields) -> Cells:
    """The reader of `fields` (the configuration cache keeps one `CustomFields` per token, so this is
    built once per configuration, not per batch or row)."""
    return Cells(fields)


def readable(definition: Definition, value: Any, language: str) -> Any:
    """A stored value as an export writes it: text, a number, or money as a Decimal in yuan."""
    if value is None or value in ([], ''):
        return None
    kind = definition.type
    if kind in (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT):
        names = {o.key: label_of(o.label_zh, o.label_en, language) for o in definition.options}
        keys = value if isinstance(value, list) else [value]
        return SEPARATORS.get(language, ', ').join(names.get(str(k), str(k)) for k in keys)
    if kind == CustomFieldType.YES_NO:
        yes, no = YES_NO.get(language, YES_NO['en'])
        return yes if value is True else no if value is False else str(value)
    if kind == CustomFieldType.MONEY:
        return Decimal(int(value)).scaleb(-2) if isinstance(value, int) and not isinstance(value, bool) else value
    if kind == CustomFieldType.NUMBER:
        return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    return value if isinstance(value, str) else str(value)


def label_of(zh: str, en: str, language: str) -> str:
    """A name in `language` (the Chinese one where no English was given)."""
    return (en or zh) if language == 'en' else zh


def readable_row(definitions: Mapping[str, Definition], custom: Any, language: str) -> dict[str, Any]:
    """A record's `custom` object as an export row's cells, by key (only the given fields)."""
    if not isinstance(custom, Mapping):
        return {}
    return {k: readable(d, custom.get(k), language) for k, d in definitions.items()}
