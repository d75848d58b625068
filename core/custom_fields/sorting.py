"""Every list's sort, declared once per list (`SortSpec`: the inbox, the pool, the board's columns,
the customers) and checked here against the custom field definitions before any query: a built-in
order of the list (its store enum: `InboxSort`, `PoolSort`, `BoardSort`, `CustomerSort`) or a custom
field's value. The UI builds its sort control from the same spec (ui/components/list_sort.py), so a
list offers exactly what this accepts.

A custom sort needs an active field of the list's record kind, of a type with an order (text,
number, money, date, single select), that an admin marked filterable, so an expression index serves
it (store/custom_indexes.py): sorting a million leads by a JSON value no index holds would read every
one of them on each page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from core.custom_fields.values import CustomFields, Definition
from core.errors import ValidationFailed
from store.custom_indexes import NUMERIC
from store.models import CustomEntity, CustomFieldType
from store.queries.leads import InboxSort
from store.queries.pipeline import BoardSort, CustomerSort
from store.queries.pool import PoolSort
from store.queries.sorting import CUSTOM, ListOrder

__all__ = ['BOARD', 'CUSTOMERS', 'CUSTOM_SORT', 'INBOX', 'POOL', 'SORTABLE', 'SortSpec', 'check_order', 'sortable']

CUSTOM_SORT = CUSTOM
"""The sort value meaning "by a custom field": the UI builds its menu keys from it here, never from store."""

SORTABLE = frozenset({CustomFieldType.TEXT, CustomFieldType.NUMBER, CustomFieldType.MONEY, CustomFieldType.DATE,
                      CustomFieldType.SINGLE_SELECT})
"""Custom field types a list can sort by (a select by its option key)."""

S = TypeVar('S', bound=StrEnum)


@dataclass(frozen=True)
class SortSpec(Generic[S]):
    """One list's sorts: its orders, the one it opens on, the record kind whose custom fields it
    sorts by, and which built-in orders go either way (and which way each lists first: the one most
    asked for). A custom field's order always goes either way, ascending first."""

    sorts: type[S]
    default: S
    entity: CustomEntity
    first_desc: Mapping[S, bool] = field(default_factory=dict)
    """The built-in orders that go either way → whether descending comes first."""

    def builtins(self) -> tuple[S, ...]:
        return tuple(s for s in self.sorts if s != CUSTOM)

    def is_directed(self, by: S) -> bool:
        return by == CUSTOM or by in self.first_desc


INBOX = SortSpec(InboxSort, InboxSort.DEFAULT, CustomEntity.LEAD,
                 {InboxSort.SCORE: True, InboxSort.NAME: False, InboxSort.FOLLOW_UP: False})
POOL = SortSpec(PoolSort, PoolSort.RECENT, CustomEntity.LEAD)
"""The pool's built-in orders each have their one way (recycled newest or oldest first, best first)."""
BOARD = SortSpec(BoardSort, BoardSort.DEFAULT, CustomEntity.OPPORTUNITY,
                 {BoardSort.AMOUNT: True, BoardSort.NAME: False})
"""The order of the cards inside each stage column."""
CUSTOMERS = SortSpec(CustomerSort, CustomerSort.VALUE, CustomEntity.CUSTOMER,
                     {CustomerSort.VALUE: True, CustomerSort.NAME: False, CustomerSort.LAST_ACTIVITY: True})


def sortable(definition: Definition) -> bool:
    """Whether a list may sort by this field now."""
    return not definition.is_retired and definition.is_filterable and definition.type in SORTABLE


def check_order(spec: SortSpec[S], fields: CustomFields, sort: str | None, *, key: str = '',
                descending: bool = False) -> ListOrder[S]:
    """`sort` (a value of the spec's enum; empty: the list's default, its first way) as the store's
    order, or ValidationFailed `sort`: `invalid_sort` (no such sort), `unknown_field` /
    `retired_field` (the key names no active field of the list's record kind), `not_sortable` (a type
    without an order, or a field not marked filterable). `fields`: that record kind's definitions
    (only read for a custom sort)."""
    if not sort:
        return ListOrder(spec.default, descending=spec.first_desc.get(spec.default, False))
    try:
        by = spec.sorts(sort)
    except ValueError:
        raise ValidationFailed({'sort': 'invalid_sort'}) from None
    descending = bool(descending) and spec.is_directed(by)
    if by != CUSTOM:
        return ListOrder(by, descending=descending)
    found = next((d for d in fields.definitions if d.key == key and not d.is_retired), None)
    if found is None:
        raise ValidationFailed({'sort': 'retired_field' if key in fields.retired else 'unknown_field'})
    if not sortable(found):
        raise ValidationFailed({'sort': 'not_sortable'})
    return ListOrder(by, descending=descending, key=found.key, numeric=found.type in NUMERIC)
