"""Every list's sort control, built from the list's one sort declaration (core/custom_fields/sorting.py
`SortSpec`): one select whose values name a sort and its direction (`score:desc`, `custom:<key>:asc`,
a one-way order by its name alone), kept in the page's filter state (and so in saved views and the
pool's address, under `sort`), and turned into the core's typed arguments (`sort`, `sort_key`,
`sort_desc`) here. When the list is sorted by a custom field, `sorted_field` names it, so the list
shows that field's value beside each record (the user sees what the order is by)."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from core.custom_fields.sorting import CUSTOM_SORT as CUSTOM
from core.custom_fields.sorting import SortSpec, sortable
from core.custom_fields.values import Definition

from ..i18n import t
from .custom_fields import field_label

WAYS = ('asc', 'desc')


def default_value(spec: SortSpec[Any]) -> str:
    """The control's value for the order the list opens on."""
    return _value(spec, spec.default, spec.first_desc.get(spec.default, False))


def _value(spec: SortSpec[Any], by: StrEnum, descending: bool) -> str:
    return f'{by.value}:{"desc" if descending else "asc"}' if spec.is_directed(by) else by.value


def _offered(spec: SortSpec[Any], prefix: str, custom: tuple[Definition, ...]
             ) -> Iterator[tuple[str, str, Definition | None]]:
    """(value, label key, field) for every sort the list offers now."""
    for by in spec.builtins():
        if not spec.is_directed(by):
            yield by.value, f'{prefix}{by.value}', None
            continue
        first = spec.first_desc[by]
        for descending in (first, not first):
            yield _value(spec, by, descending), f'{prefix}{by.value}_{"desc" if descending else "asc"}', None
    for d in custom:
        if sortable(d):
            for way in WAYS:
                yield f'{CUSTOM}:{d.key}:{way}', f'sort.custom_{way}', d


def sort_choices(spec: SortSpec[Any], prefix: str, custom: tuple[Definition, ...]) -> dict[str, str]:
    """Every sort the list offers now, value → label: its built-in orders (label `<prefix><sort>`, or
    `<prefix><sort>_<way>` for one that goes either way, the way most asked for first), then each
    sortable custom field of its record kind both ways."""
    return {value: t(key, field=field_label(d)) if d is not None else t(key)
            for value, key, d in _offered(spec, prefix, custom)}


def sort_values(spec: SortSpec[Any], custom: tuple[Definition, ...]) -> frozenset[str]:
    """The values `sort_choices` offers (no labels: read before the page's language is known)."""
    return frozenset(value for value, _key, _d in _offered(spec, '', custom))


def sort_args(value: object) -> dict[str, Any]:
    """A control value as the core's `sort`, `sort_key` and `sort_desc` (empty: the list's default;
    an unknown one goes to the core as it is, which refuses it by name)."""
    if not value:
        return {'sort': '', 'sort_key': '', 'sort_desc': False}
    parts = str(value).split(':')
    key = parts[1] if parts[0] == CUSTOM and len(parts) == 3 else ''
    return {'sort': parts[0], 'sort_key': key, 'sort_desc': len(parts) > 1 and parts[-1] == 'desc'}


def sorted_field(value: object, custom: tuple[Definition, ...]) -> Definition | None:
    """The custom field a control value sorts by, if it is one of `custom`."""
    args = sort_args(value)
    if args['sort'] != CUSTOM:
        return None
    return next((d for d in custom if d.key == args['sort_key']), None)
