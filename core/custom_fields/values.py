"""A custom field's definition as capture reads it, and the check of a `custom` object against the
definitions: each value by its type, normalised for storage. Pure: no session.

Why one immutable `CustomFields` per configuration: capture reads the definitions with the scoring
and assignment rules (core/capture/config.py, cached under the config token), and the same copy
serves every thread. The active fields form a `FieldSet` (core/leads/fields.py), as the built-in
ones do; retired ones are only remembered, to refuse them by name.

Errors name the field as `custom.<key>` with an `err.field.<code>` code, so the API's 422 lists
them beside the built-in fields'."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from core.errors import ValidationFailed
from core.leads.fields import FieldSet, FieldSpec, Kind
from core.leads.normalize import clean_text, normalize_email, normalize_phone
from core.pipeline.money import parse_money
from store.models import CustomField, CustomFieldType

KEY = re.compile(r'[a-z][a-z0-9_]{0,39}')
"""A field's key: what the API, imports and the stored JSON name it by."""

FIELD = 'custom'
"""The request's and the record's name for the object holding the values."""

KINDS: dict[str, Kind] = {
    CustomFieldType.TEXT: Kind.TEXT, CustomFieldType.LONG_TEXT: Kind.LONG_TEXT, CustomFieldType.NUMBER: Kind.NUMBER,
    CustomFieldType.MONEY: Kind.MONEY, CustomFieldType.DATE: Kind.DATE, CustomFieldType.SINGLE_SELECT: Kind.CHOICE,
    CustomFieldType.MULTI_SELECT: Kind.MULTI_CHOICE, CustomFieldType.PHONE: Kind.PHONE,
    CustomFieldType.EMAIL: Kind.EMAIL, CustomFieldType.URL: Kind.URL, CustomFieldType.YES_NO: Kind.YES_NO,
}
"""Each stored type as the field declaration's kind."""

MAX_LENGTHS = {Kind.TEXT: 200, Kind.LONG_TEXT: 5000, Kind.PHONE: 50, Kind.EMAIL: 254, Kind.URL: 500}
"""The longest text each kind accepts (as the built-in fields of the same kind)."""

YES = frozenset({'yes', 'true', '1', 'y', '是'})
NO = frozenset({'no', 'false', '0', 'n', '否'})
"""What a yes/no field accepts as text (a CSV cell, a form post); JSON sends true / false."""


class Requirement(StrEnum):
    """When a field must be filled, as the admin picks it: leads never / at capture / at
    qualification; opportunities never / from a stage on (`required_stage_id`); customers never.
    Stored as `is_required`, `is_required_to_qualify` and `required_stage_id` (store/models.py)."""

    NEVER = 'never'
    CAPTURE = 'capture'
    QUALIFICATION = 'qualification'
    STAGE = 'stage'


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label_zh: str
    label_en: str


@dataclass(frozen=True, slots=True)
class Definition:
    """One custom field as defined (store/models.py `CustomField`)."""

    key: str
    type: str
    label_zh: str
    label_en: str
    options: tuple[Option, ...] = ()
    is_required: bool = False
    is_retired: bool = False
    position: int = 0
    entity: str = 'lead'
    is_required_to_qualify: bool = False
    """Leads: qualifying needs it (core/custom_fields/requirements.py)."""
    required_stage_id: int | None = None
    """Opportunities: needed from this stage on (core/custom_fields/requirements.py)."""
    help_zh: str = ''
    help_en: str = ''
    is_filterable: bool = False
    """An expression index serves filters and sorts on it (store/custom_indexes.py)."""

    @property
    def requirement(self) -> Requirement:
        if self.is_required:
            return Requirement.CAPTURE
        if self.is_required_to_qualify:
            return Requirement.QUALIFICATION
        return Requirement.STAGE if self.required_stage_id is not None else Requirement.NEVER

    @property
    def spec(self) -> FieldSpec:
        """The field as the one field declaration states a field."""
        kind = KINDS[self.type]
        return FieldSpec(self.key, kind, MAX_LENGTHS.get(kind), required=self.is_required, capture=True,
                         options=tuple(o.key for o in self.options), custom=True, description=self.label_en)


def definition(row: CustomField) -> Definition:
    """A stored definition as an immutable one."""
    options = tuple(Option(key=str(o.get('key', '')), label_zh=str(o.get('label_zh', '')),
                           label_en=str(o.get('label_en', ''))) for o in row.options)
    return Definition(key=row.key, type=row.type, label_zh=row.label_zh, label_en=row.label_en, options=options,
                      is_required=row.is_required, is_retired=row.is_retired, position=row.position,
                      entity=row.entity, is_required_to_qualify=row.is_required_to_qualify,
                      required_stage_id=row.required_stage_id, help_zh=row.help_zh or '', help_en=row.help_en or '',
                      is_filterable=bool(row.is_filterable))


class CustomFields:
    """One entity's custom fields: the active ones (a `FieldSet`, in position order) and the keys
    of the retired ones."""

    def __init__(self, definitions: Iterable[Definition] = ()) -> None:
        self.definitions: tuple[Definition, ...] = tuple(sorted(definitions, key=lambda d: (d.position, d.key)))
        self.active = FieldSet(d.spec for d in self.definitions if not d.is_retired)
        self.retired: frozenset[str] = frozenset(d.key for d in self.definitions if d.is_retired)

    def check(self, raw: Any, *, region: str = 'CN', require: bool = False) -> dict[str, Any]:
        """The values normalised for storage (absent and empty values left out), or ValidationFailed
        naming every bad one: `custom` when it is not an object; `custom.<key>` for an unknown key
        (`unknown_field`), a retired one (`retired_field`), a value of the wrong type, or (with
        `require`: the channel can send custom values) a required field left empty."""
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ValidationFailed({FIELD: 'not_object'})
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = f'{FIELD}.{str(key)[:50]}'
            if key in self.retired:
                errors[name] = 'retired_field'
            elif key not in self.active:
                errors[name] = 'unknown_field'
            elif not _empty(value):
                try:
                    values[key] = normalise(self.active[key], value, region)
                except ValueError as e:
                    errors[name] = str(e)
        if require:
            for key in self.active.required:
                if key not in values and f'{FIELD}.{key}' not in errors:
                    errors[f'{FIELD}.{key}'] = 'required'
        if errors:
            raise ValidationFailed(errors)
        return values


NO_FIELDS = CustomFields()
"""None defined: every key is unknown."""


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def normalise(spec: FieldSpec, value: Any, region: str = 'CN') -> Any:
    """One value as stored, or ValueError whose message is the error code."""
    kind = spec.kind
    if kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.PHONE, Kind.EMAIL, Kind.URL):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError('invalid')
        limit = spec.max_length or 200
        text = clean_text(str(value), max_length=limit + 1) or ''
        if len(text) > limit:
            raise ValueError('too_long')
        return _text_kind(kind, text, region)
    if kind == Kind.NUMBER:
        return _number(value)
    if kind == Kind.MONEY:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError('invalid_money')
        try:
            return parse_money(value)  # cents, as every amount is stored
        except ValueError:
            raise ValueError('invalid_money') from None
    if kind == Kind.DATE:
        if not isinstance(value, str):
            raise ValueError('invalid_date')
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise ValueError('invalid_date') from None
    if kind == Kind.CHOICE:
        if not isinstance(value, str) or value not in spec.options:
            raise ValueError('invalid_option')
        return value
    if kind == Kind.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) and v in spec.options for v in value):
            raise ValueError('invalid_option')
        return list(dict.fromkeys(value))
    if kind == Kind.YES_NO:
        return yes_no(value)
    raise ValueError('invalid')


def _text_kind(kind: Kind, text: str, region: str) -> str:
    if kind == Kind.PHONE:
        if normalize_phone(text, region) is None:
            raise ValueError('invalid_phone')
        return text  # as typed, like a lead's own phone (its E.164 form is for dedupe only)
    if kind == Kind.EMAIL:
        email = normalize_email(text)
        if email is None:
            raise ValueError('invalid_email')
        return email
    if kind == Kind.URL:
        parts = urlsplit(text)
        if parts.scheme.lower() not in ('http', 'https') or not parts.hostname or any(c.isspace() for c in text):
            raise ValueError('invalid_url')
    return text


def _number(value: Any) -> int | float:
    """An int when integral (`3`, `"3"`, `3.0`), else a float; finite only."""
    if isinstance(value, bool):
        raise ValueError('not_number')
    if isinstance(value, str):
        text = value.strip().replace(',', '')
        try:
            value = int(text) if re.fullmatch(r'[+-]?\d{1,18}', text) else float(text)
        except ValueError:
            raise ValueError('not_number') from None
    if isinstance(value, int):
        if abs(value) >= 2**53:  # beyond what JSON readers (JavaScript) keep exactly
            raise ValueError('out_of_range')
        return value
    if not isinstance(value, float) or not math.isfinite(value):
        raise ValueError('not_number')
    if abs(value) >= 2**53:
        raise ValueError('out_of_range')
    return int(value) if value.is_integer() else value


def yes_no(value: Any) -> bool:
    """A yes/no value as stored (true / false); ValueError `not_yes_no` otherwise. Also what an inbox
    filter on a yes/no field accepts."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ''
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError('not_yes_no')
