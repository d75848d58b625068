"""The board's sort: the order of the cards inside each stage column (core/custom_fields/sorting.py
`BOARD`: soonest close by default, amount, name, or a sortable custom field of the deals), chosen in
one select beside the filters and kept in saved views (under `sort`). Sorted by a custom field, each
card shows that field's value, so the user sees what the order is by. Part of ui/pages/pipeline.py's
`PipelineBoard` (mixed in), kept here to leave the board's own module alone."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from nicegui import ui

from core.custom_fields.sorting import BOARD
from core.custom_fields.values import Definition

from ..i18n import t
from ..marks import tid
from .custom_fields import display, field_label
from .list_sort import default_value, sort_choices, sort_values, sorted_field

if TYPE_CHECKING:
    from core.pipeline.board import Card

DEFAULT_SORT = default_value(BOARD)


class BoardSorting:
    """Part of the board: see the module docstring."""

    filters: Any
    """The board's `Filters` (ui/pages/pipeline.py): `sort` is the control's value."""
    controls: dict[str, Any]
    applying: bool
    custom_fields: tuple[Definition, ...]
    sort_dropped: bool = False
    """The view opened on sorted by a field no longer offered (`fit_sort`)."""

    if TYPE_CHECKING:
        async def reload(self) -> None: ...

    def sort_control(self) -> ui.select:
        """The sort select, registered with the filter controls (a saved view sets it)."""
        choices = sort_choices(BOARD, 'pipeline.sort_', self.custom_fields)
        if self.filters.sort not in choices or self.sort_dropped:
            self.filters.sort = DEFAULT_SORT
            ui.notify(t('views.sort_dropped'), type='warning')
        self.controls['sort'] = select = tid(
            ui.select(choices, label=t('pipeline.sort'), value=self.filters.sort, on_change=self._set_sort)
            .props('dense options-dense').classes('w-48 max-sm:w-full'), 'board-sort')
        return select

    def fit_sort(self) -> bool:
        """Keep the board's sort only if the deals' fields still offer it (a view saved before a field
        was retired); False when it was reset to the default."""
        if self.filters.sort in sort_values(BOARD, self.custom_fields):
            return True
        self.filters.sort = DEFAULT_SORT
        self.sort_dropped = True  # said once the page is built (`sort_control`)
        return False

    async def _set_sort(self, e: Any) -> None:
        value = str(e.value or DEFAULT_SORT)
        if self.applying or self.filters.sort == value:
            return
        self.filters.sort = value
        await self.reload()

    def sorted_line(self, card: Card) -> str:
        """The card's line naming the value it is sorted by ('' when not sorted by a field or empty)."""
        by = sorted_field(self.filters.sort, self.custom_fields)
        if by is None or card.sort_value in (None, ''):
            return ''
        text = escape(t('sort.value_line', field=field_label(by), value=display(by, card.sort_value)))
        return f'<div class="text-caption text-grey-8 ellipsis" data-testid="opp-sorted-{card.id}">{text}</div>'
