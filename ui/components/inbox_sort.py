"""The inbox's sort control: one select whose values name a sort and its direction
(`score:desc`, `custom:<key>:asc`), kept in the page's filter state (and so in saved views, under
`sort`), and turned into `LeadService.inbox_filter`'s typed arguments here."""

from __future__ import annotations

from core.custom_fields.values import Definition
from core.leads.sorting import SORTABLE, InboxSort

from ..i18n import t
from .custom_fields import field_label

DEFAULT = InboxSort.DEFAULT.value
DIRECTED = (InboxSort.SCORE, InboxSort.NAME, InboxSort.FOLLOW_UP)
FIRST_WAY = {InboxSort.SCORE: 'desc', InboxSort.NAME: 'asc', InboxSort.FOLLOW_UP: 'asc'}
"""Which direction each built-in sort lists first (the one most asked for)."""


def sort_choices(custom: tuple[Definition, ...]) -> dict[str, str]:
    """Every sort the inbox offers now, value → label: the built-in ones, then each active
    filterable field of a sortable type both ways."""
    choices = {DEFAULT: t('inbox.sort_default'), InboxSort.NEWEST.value: t('inbox.sort_newest'),
               InboxSort.OLDEST.value: t('inbox.sort_oldest')}
    for by in DIRECTED:
        first = FIRST_WAY[by]
        for way in (first, 'asc' if first == 'desc' else 'desc'):
            choices[f'{by.value}:{way}'] = t(f'inbox.sort_{by.value}_{way}')
    for d in custom:
        if not d.is_retired and d.is_filterable and d.type in SORTABLE:
            for way in ('asc', 'desc'):
                choices[f'{InboxSort.CUSTOM.value}:{d.key}:{way}'] = t(f'inbox.sort_custom_{way}', field=field_label(d))
    return choices


def sort_args(value: object) -> dict[str, object]:
    """A control value as `inbox_filter`'s `sort`, `sort_key` and `sort_desc` (an unknown one goes
    to the core as it is, which refuses it by name)."""
    parts = str(value or DEFAULT).split(':')
    key = parts[1] if parts[0] == InboxSort.CUSTOM.value and len(parts) == 3 else ''
    return {'sort': parts[0], 'sort_key': key, 'sort_desc': len(parts) > 1 and parts[-1] == 'desc'}
