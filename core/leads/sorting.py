"""The inbox's sort, checked against the custom field definitions before any query: a built-in
order (store/queries/leads.py `InboxSort`) or a custom field's value. A custom sort needs an active
field of a type with an order (text, number, money, date, single select) that an admin marked
filterable, so an expression index serves it (store/custom_indexes.py): sorting a million leads by
a JSON value no index holds would read every one of them on each page."""

from __future__ import annotations

from core.custom_fields.values import CustomFields
from core.errors import ValidationFailed
from store import queries
from store.custom_indexes import NUMERIC
from store.models import CustomFieldType
from store.queries.leads import InboxSort

__all__ = ['DIRECTED', 'SORTABLE', 'InboxSort', 'inbox_order', 'sortable_fields']

SORTABLE = frozenset({CustomFieldType.TEXT, CustomFieldType.NUMBER, CustomFieldType.MONEY, CustomFieldType.DATE,
                      CustomFieldType.SINGLE_SELECT})
"""Custom field types the inbox can sort by (a select by its option key)."""
DIRECTED = frozenset({InboxSort.SCORE, InboxSort.NAME, InboxSort.FOLLOW_UP,
                      InboxSort.CUSTOM})
"""The sorts that go either way (newest, oldest and the default have theirs)."""


def sortable_fields(fields: CustomFields) -> list[str]:
    """The keys of the fields the inbox may sort by now, in their order."""
    return [d.key for d in fields.definitions if not d.is_retired and d.is_filterable and d.type in SORTABLE]


def inbox_order(fields: CustomFields, sort: str | None, *, key: str = '',
                descending: bool = False) -> queries.InboxOrder:
    """`sort` (an `InboxSort` value; empty: the default) as the store's order, or ValidationFailed
    `sort`: `invalid_sort` (no such sort), `unknown_field` / `retired_field` (the key names no
    active field), `not_sortable` (a type without an order, or a field not marked filterable)."""
    try:
        by = InboxSort(sort or InboxSort.DEFAULT)
    except ValueError:
        raise ValidationFailed({'sort': 'invalid_sort'}) from None
    descending = bool(descending) and by in DIRECTED
    if by != InboxSort.CUSTOM:
        return queries.InboxOrder(by=by, descending=descending)
    field = next((d for d in fields.definitions if d.key == key and not d.is_retired), None)
    if field is None:
        raise ValidationFailed({'sort': 'retired_field' if key in fields.retired else 'unknown_field'})
    if field.type not in SORTABLE or not field.is_filterable:
        raise ValidationFailed({'sort': 'not_sortable'})
    return queries.InboxOrder(by=by, descending=descending, key=field.key, numeric=field.type in NUMERIC)
