"""Bulk edit on the pipeline board (ui/pages/pipeline.py): a tick box on every card, the bar of
ticked deals, "select all N matching" the board's filter, and the action dialog and Undo of
ui/components/bulk_edit.py (one machinery for every list). Kept apart from the board's page so the
board only calls a few hooks: `box_html` in a card, `listen` on a column, `total` after a read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nicegui import ui

from core.custom_fields.values import Definition
from core.desk import Desk
from core.leads.bulk_matching import MatchingList
from store.models import TagEntity, UserRef

from ..i18n import t
from .bulk_edit import DEAL_KINDS, PICK_STYLE, BulkEdit

PICK_CHANGE = ('(e) => { const b = e.target.closest("[data-pick]"); '
               'if (b) emit([Number(b.dataset.pick), b.checked]); }')
"""A column forwards its cards' tick boxes (one listener per column, not per card)."""
CSS = '''
.ld-card-pick { width: 18px; height: 18px; margin: 2px 6px 0 0; flex: none; cursor: pointer;
                accent-color: var(--q-primary); }
.ld-card-pick + .ld-card-name { flex: 1 1 auto; min-width: 0; }
@media (max-width: 599.98px) { .ld-card-pick { width: 22px; height: 22px; } }
'''


class BoardBulk:
    """The board's selection of deals and its bulk actions."""

    def __init__(self, desk: Desk, user: UserRef, *, filters: Callable[[], Mapping[str, Any]],
                 custom: tuple[Definition, ...], refresh: Callable[[], Awaitable[None]]) -> None:
        """`filters`: the board's current filters as `core.pipeline.board.board_filter` takes them;
        `refresh`: re-read the board with every card redrawn (its tick boxes follow the selection)."""
        self.edit = BulkEdit(desk, user, filters=filters, custom=custom, refresh=refresh, kinds=DEAL_KINDS,
                             entity=TagEntity.OPPORTUNITY, source=MatchingList.BOARD)
        self.label = ''

    def build(self) -> None:
        """The bar (shown while deals are ticked), sticking to the screen's bottom."""
        ui.add_css(CSS)
        ui.add_head_html(PICK_STYLE)
        self.label = t('bulk.pick_deal')
        self.edit.build()

    def history_button(self) -> None:
        self.edit.history_button()

    def listen(self, column: ui.element) -> None:
        """A column's cards' tick boxes."""
        column.on('change', self.edit.pick, js_handler=PICK_CHANGE)

    def box_html(self, card_id: int) -> str:
        """A card's tick box (the card is escaped HTML: ui/pages/pipeline.py)."""
        ticked = ' checked' if self.edit.all_matching or card_id in self.edit.picked else ''
        return (f'<input type="checkbox" class="ld-card-pick" data-pick="{card_id}" data-testid="pick-{card_id}" '
                f'aria-label="{self.label}" title="{self.label}"{ticked}>')

    def total(self, count: int) -> None:
        """The deals the board's filter matches now (what "select all N matching" takes)."""
        self.edit.total = count
        self.edit.show()

    def reset(self) -> None:
        """A new filter: a new selection."""
        self.edit.picked.clear()
        self.edit.all_matching = False
        self.edit.show()
