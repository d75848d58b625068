"""How every list sorts, in one place: a list's own orders are a `StrEnum` (the inbox's `InboxSort`,
`PoolSort`, `BoardSort`, `CustomerSort`) that holds a `custom` member, a chosen order is one typed
`ListOrder` of that enum, and the two ORDER BY shapes every list shares are built here: a directed
value (missing values last both ways) and a custom field's value (store/custom_indexes.py
`custom_value`, the expression a filterable field's index holds). Each ends on the record id in the
sort's direction, so offset pages never repeat or skip a record. core/custom_fields/sorting.py checks
a choice against the definitions before any of this runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from ..custom_indexes import custom_value

CUSTOM = 'custom'
"""The member every list's sort enum has: a filterable custom field's value (`ListOrder.key`)."""

S = TypeVar('S', bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ListOrder(Generic[S]):
    """How a list page is sorted: one of the list's orders and, for a custom one, its field."""

    by: S
    descending: bool = False
    """For the orders that go either way (the list's spec says which; the others have their own)."""
    key: str = ''
    """CUSTOM: the field's key (from its definition: `[a-z][a-z0-9_]*`)."""
    numeric: bool = False
    """CUSTOM: a number or money field (PostgreSQL compares its text as a number)."""

    @property
    def is_custom(self) -> bool:
        return self.by == CUSTOM


def directed(value: Any, record_id: Any, descending: bool, *, nullable: bool = True) -> list[Any]:
    """ORDER BY `value` then the id, both one way; a nullable value puts the records without it last
    either way (SQLite puts NULL first ascending), a value never NULL stays a plain order that any
    index walk serves."""
    if not nullable:
        return [value.desc(), record_id.desc()] if descending else [value.asc(), record_id.asc()]
    if descending:
        return [value.desc().nulls_last(), record_id.desc()]
    return [value.asc().nulls_last(), record_id.asc()]


def custom_order(order: ListOrder[Any], custom: Any, record_id: Any, dialect: str) -> list[Any]:
    """ORDER BY a custom field's value in a record's `custom` column, missing values last."""
    return directed(custom_value(custom, order.key, dialect, numeric=order.numeric), record_id, order.descending)
