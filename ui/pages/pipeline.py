"""The pipeline board (`/pipeline`): one column per open stage plus Won and Lost; drag a card
(NiceGUI `make_sortable`) or use its "Move to…" menu. On a phone one column at a time, picked by
a row of stage tabs; a card moves by its ⋮ menu (a touch starts a drag only when held). Live:
every board re-reads when a card moves, but not while this browser drags or has its Won/Lost
dialog open (a rebuild would cancel the drag); the update waits and lands after. Headers update
in place; only columns whose cards changed are rebuilt; a card is one element of escaped HTML
(300 cards paint in a fraction of what labels and buttons per card cost)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from html import escape
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from nicegui.element import Element
from nicegui.events import GenericEventArguments, SortableEventArguments

from core import permissions
from core.accounts.saved_views import View
from core.custom_fields.values import Definition
from core.desk import Desk
from core.errors import DomainError
from core.pipeline.board import Card, Column
from core.pipeline.deals import MoveConflict
from core.pipeline.money import parse_money
from core.tags.catalog import NO_TAGS, TagSet
from store.models import Stage, StageKind, UserRef, ViewPage

from .. import live
from ..components.board_bulk import BoardBulk
from ..components.board_sort import DEFAULT_SORT, BoardSorting
from ..components.board_views import BoardViews
from ..components.custom_fields import filter_selects
from ..components.kit import page_header
from ..components.list_sort import sort_args
from ..components.playbook_panel import gated
from ..components.saved_views import SavedViews
from ..components.tags import chips_html, tag_filter
from ..errors import message
from ..format import amount_text, money, money_short, stage_name, zone
from ..i18n import current_language, t
from ..marks import tid
from ..session import require_user
from ..theme import frame

GROUP = 'pipeline'
FIRST_PAINT = 12
"""Cards per column in the board's first update (about a screenful); the rest follow a moment later.
The browser lays out 300 cards (six columns of 50) before it shows any: the first card took 4.6×
an empty page's first paint at 5,000 open deals, 2.4× with 15 a column (bench/board.py)."""
REST_DELAY = 0.1
"""Seconds before the rest of the cards go: the first update leaves on the socket meanwhile."""
SORTABLE_OPTIONS = {'sort': False, 'filter': '.ld-move, .ld-card-pick', 'preventOnFilter': False, 'delay': 250,
                    'delayOnTouchOnly': True}
"""Order inside a column is the server's (soonest close first); buttons and tick boxes on a card do not start a drag;
on a touch screen a card must be held a moment before it drags, so a swipe scrolls."""
CARD_CLASSES = 'q-card q-card--bordered q-card--flat w-full p-2 cursor-grab'
MOVE_CLICK = '(e) => { const b = e.target.closest("[data-move]"); if (b) emit(Number(b.dataset.move)); }'
"""A column forwards its cards' ⋮ clicks with the card id (one listener per column, not per card)."""
CSS = """
.ld-card-name { font-weight: 500; color: #1d1d1d; text-decoration: none; overflow-wrap: anywhere; }
.ld-card-name:hover { text-decoration: underline; }
.ld-move { border: 0; background: none; padding: 0 6px; border-radius: 4px; color: #616161; cursor: pointer;
           font-size: 18px; line-height: 1; }
.ld-move:hover, .ld-move:focus-visible { background: #e0e0e0; }
.ld-repeat { display: inline-block; padding: 0 6px; border-radius: 4px; background: #00897b; color: #fff;
             font-size: 11px; line-height: 18px; }
.ld-rot { border: 2px solid #c10015 !important; }
.ld-stage-switcher { display: none !important; }
@media (max-width: 599.98px) {
  .ld-stage-switcher { display: flex !important; }
  .ld-board > [data-stage-id]:not(.ld-active) { display: none !important; }
  .ld-board > [data-stage-id] { flex: 1 1 100% !important; max-width: none !important; }
  .ld-move { padding: 4px 12px; font-size: 22px; }
}
.ld-avatar { display: inline-flex; align-items: center; justify-content: center; min-width: 24px; height: 24px;
             padding: 0 4px; border-radius: 12px; background: #1f5fbf; color: #fff; font-size: 11px; }
"""
_KIND_ORDER = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}


def _stage_order(stage: Stage) -> tuple[int, int, int]:
    """Open stages in their order, then Won, then Lost."""
    return _KIND_ORDER.get(stage.kind, 3), stage.position, stage.id or 0


def initials(name: str | None) -> str:
    """'Rep Li' → RL; 王小明 → 小明 (how Chinese teams abbreviate a colleague)."""
    if not name:
        return '?'
    if re.search(r'[\u4e00-\u9fff]', name):
        return name.replace(' ', '')[-2:]
    return ''.join(word[0] for word in name.split()[:2]).upper()


def parse_month(text: str | None) -> date | None:
    match = re.fullmatch(r'(\d{4})-(\d{2})', (text or '').strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), 1)


@dataclass
class ColumnView:
    """One column on screen: header labels updated in place, the cards rebuilt when they change."""

    stage: Stage
    count: ui.badge
    amount: ui.label
    weighted: ui.label
    cards: ui.column
    more: ui.label
    key: tuple[Card, ...] | None = None


@dataclass
class Filters:
    owner_id: int | None = None
    close_month: date | None = None
    min_amount: str | None = None
    max_amount: str | None = None
    custom: dict[str, str] = field(default_factory=dict)
    """A select's option key or 'yes' / 'no' per custom field key."""
    tags: list[int] = field(default_factory=list)
    sort: str = DEFAULT_SORT
    """The order of the cards inside each column (ui/components/board_sort.py)."""


class PipelineBoard(BoardViews, BoardSorting):
    """One browser's board: its filters, its columns, the drag and dialog state."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.manager = permissions.can_assign(user)
        self.filters = Filters()
        self.views: dict[int, ColumnView] = {}
        self.stage_of_box: dict[int, Stage] = {}
        self.card_of_element: dict[int, tuple[Card, Stage]] = {}
        self.card_by_id: dict[int, tuple[Card, Stage]] = {}
        self.dragging = self.asking = self.loading = self.pending = False
        self.force: set[int] = set()
        self.drag_count = self.drops_handled = 0
        self.lost_reasons: list[tuple[str, str, str]] | None = None
        self.active: int | None = None
        """The stage a phone shows (the others are hidden by CSS below 600 px)."""
        self.tabs: dict[int, ui.tab] = {}
        self.controls: dict[str, Any] = {}
        """The filter controls by filter key (a saved view sets them); `custom.<key>` for a field's."""
        self.applying = False
        """A saved view is setting the controls: their handlers leave the reading to it."""
        self.opening: View | None = None
        """The saved view the board opened on (its filter was read first; its controls set at build)."""
        self.custom_fields: tuple[Definition, ...] = ()
        """The deals' custom fields (the selects and yes/no among them filter the board); set before `build`."""
        self.tags: TagSet = NO_TAGS
        """The tag catalogue: the cards' chips and the tag filter's choices."""
        self.bulk: BoardBulk | None = None
        """Bulk edit: the cards' tick boxes and the bar (ui/components/board_bulk.py); made by `build`."""
        self.bulk_filters = Filters()
        """The filters the bulk selection was made under (a new filter: a new selection)."""

    # ----- layout ---------------------------------------------------------------------------------

    def build(self) -> None:
        """The shell: filters and the empty columns; `show_first` or `reload()` fills them."""
        ui.add_css(CSS)
        self.move_label = t('pipeline.move_to')
        with page_header(t('pipeline.title')):
            # on a phone the filters fold behind this button: the first column starts above the fold
            self.filter_toggle = tid(ui.button(icon='filter_list', on_click=self._toggle_filters)
                                     .props(f'flat dense round color=grey-8 aria-label="{t("inbox.filters")}" '
                                            'aria-expanded=false').classes('xs'), 'board-filters-toggle')
            self._build_bulk()
        with ui.row().classes('w-full items-end gap-3 gt-xs') as self.filter_row:
            if self.manager:
                reps = {r.id: r.name for r in self.desk.team.reps()}
                self.controls['owner_id'] = tid(ui.select(reps, label=t('field.owner'), clearable=True,
                                                          on_change=self._set_owner)
                                                .props('dense').classes('w-48 max-sm:w-full'), 'filter-owner')
            self.month = tid(ui.input(t('pipeline.close_month'), on_change=self._set_month)
                             .props('dense clearable type=month').classes('w-44 max-sm:w-full'), 'filter-month')
            self.min_amount = tid(ui.input(t('pipeline.min_amount'), on_change=lambda e: self._set_amount('min', e))
                                  .props('dense clearable debounce=400 inputmode=decimal')
                                  .classes('w-36 max-sm:flex-1 max-sm:min-w-0'),
                                  'filter-min')
            self.max_amount = tid(ui.input(t('pipeline.max_amount'), on_change=lambda e: self._set_amount('max', e))
                                  .props('dense clearable debounce=400 inputmode=decimal')
                                  .classes('w-36 max-sm:flex-1 max-sm:min-w-0'),
                                  'filter-max')
            self.controls |= {'close_month': self.month, 'min_amount': self.min_amount,
                              'max_amount': self.max_amount}
            for key, select in filter_selects(self.custom_fields, self._set_custom).items():
                self.controls[f'custom.{key}'] = select
            self.tags = self.desk.tags.tag_set()
            if self.tags.active:
                self.controls['tags'] = tag_filter(self.tags, self._set_tags).classes('max-sm:w-full')
            self.sort_control()
            self.saved_views = SavedViews(self.desk, self.user, ViewPage.BOARD, current=self.current_view,
                                          apply=self.apply_view)
            self.saved_views.build()
        if self.opening is not None:
            self.show_view_controls()
        self._mark_filters()
        ui.timer(0, self.saved_views.load, once=True)
        self.switcher = tid(ui.tabs(on_change=self._switch)
                            .props('dense no-caps mobile-arrows outside-arrows active-color=primary '
                                   'indicator-color=primary align=left')
                            .classes('ld-stage-switcher w-full bg-white rounded-borders'), 'stage-switcher')
        self.host = ui.element('div')  # dialogs and toasts live here: cards may be rebuilt under them
        with self.host:
            self.menu = tid(ui.menu().props('no-parent-event'), 'move-menu')
        self.row = tid(ui.row().classes('ld-board w-full items-start gap-3 no-wrap overflow-x-auto pb-2'), 'board')
        self.row.on('start', self._drag_started, js_handler='() => emit()')  # SortableJS's bubbling DOM events
        self.row.on('end', self._drag_ended, js_handler='() => emit()')
        if self.bulk is not None:
            self.bulk.build()  # the bar of ticked deals, under the board
        live.subscribe(self.desk.events.opportunity_moved, self._on_moved)
        self._build_columns(sorted(self.desk.pipeline.stages(), key=_stage_order))

    def _build_columns(self, stages: list[Stage]) -> None:
        self.row.clear()
        self.views.clear()
        self.stage_of_box.clear()
        self.switcher.clear()
        self.tabs.clear()
        with self.switcher:
            for stage in stages:
                self.tabs[stage.id or 0] = tid(ui.tab(str(stage.id), stage_name(stage)), f'stage-tab-{stage.id}')
        if self.active not in self.tabs:
            self.active = next(iter(self.tabs), None)
        with self.row:
            for stage in stages:
                sid = stage.id or 0
                with tid(ui.column().classes('bg-grey-2 rounded-borders p-2 gap-2'), f'column-{sid}') \
                        .props(f'data-stage-id={sid}').style('flex: 1 0 12rem; max-width: 20rem'):
                    with ui.row().classes('w-full items-center justify-between no-wrap'):
                        ui.label(stage_name(stage)).classes('text-subtitle2 text-weight-bold')
                        count = tid(ui.badge('0', color='grey-7'), f'count-{sid}')
                    with ui.row().classes('w-full items-baseline justify-between no-wrap text-caption'):
                        amount = tid(ui.label(money_short(0)).classes('text-weight-medium'), f'amount-{sid}')
                        with ui.row().classes('items-baseline gap-1 no-wrap text-grey-7'):
                            ui.label(t('pipeline.weighted'))
                            weighted = tid(ui.label(money_short(0)), f'weighted-{sid}')
                    cards = tid(ui.column().classes('w-full gap-2').style('min-height: 6rem'), f'cards-{sid}') \
                        .props(f'data-stage-id={sid}')
                    cards.make_sortable(SORTABLE_OPTIONS, on_end=self._dropped, group=self._group(stage))
                    cards.on('click', self._open_menu, js_handler=MOVE_CLICK)
                    if self.bulk is not None:
                        self.bulk.listen(cards)
                    more = tid(ui.label('').classes('text-caption text-grey-7 self-center'), f'more-{sid}')
                self.views[sid] = ColumnView(stage, count, amount, weighted, cards, more)
                self.stage_of_box[cards.id] = stage
        self._show_active()

    def _show_active(self) -> None:
        for sid, view in self.views.items():
            column = view.cards.parent_slot.parent if view.cards.parent_slot else None
            if column is not None:
                if sid == self.active:
                    column.classes(add='ld-active')
                else:
                    column.classes(remove='ld-active')
        if self.active is not None and self.switcher.value != str(self.active):
            self.switcher.set_value(str(self.active))

    def _switch(self, e: Any) -> None:
        """A phone's stage tab: show that column."""
        if e.value and str(e.value).isdigit() and int(e.value) != self.active:
            self.active = int(e.value)
            self._show_active()

    def _group(self, stage: Stage) -> str | dict[str, Any]:
        """Reps cannot take a card out of Won or Lost (reopening is a manager's call)."""
        if stage.kind == StageKind.OPEN or self.manager:
            return GROUP
        return {'name': GROUP, 'pull': False, 'put': True}

    def _can_move(self, stage: Stage) -> bool:
        return stage.kind == StageKind.OPEN or self.manager

    def _card(self, card: Card, stage: Stage) -> None:
        """One element per card (six columns of up to 50): an HTML block built from escaped values.
        Labels, avatars and buttons as NiceGUI elements cost ~1 s of server time and as much again in
        the browser at 300 cards; the ⋮ button inside reaches the server through its column."""
        classes = CARD_CLASSES + (' ld-rot' if card.rotting_days is not None else '')
        el = ui.html(self._card_html(card, self._can_move(stage)), sanitize=False).classes(classes)  # escaped
        el.mark(f'opp-{card.id}')  # tid(), without a second props update per card
        el.props.update({'data-testid': f'opp-{card.id}', 'data-opp-id': card.id,
                         **({'data-rotting': 1} if card.rotting_days is not None else {})})
        self.card_of_element[el.id] = self.card_by_id[card.id] = (card, stage)

    def _card_html(self, card: Card, movable: bool) -> str:
        name, account, owner = (escape(x or '') for x in (card.name, card.account_name, card.owner_name))
        close = card.expected_close.isoformat() if card.expected_close else '—'
        box = self.bulk.box_html(card.id) if self.bulk is not None else ''
        parts = ['<div class="row no-wrap items-start justify-between gap-1">'
                 f'{box}<a href="/opportunities/{card.id}" draggable="false" class="ld-card-name">{name}</a>']
        if movable:
            parts.append(f'<button type="button" class="ld-move" data-move="{card.id}" data-testid="move-{card.id}" '
                         f'title="{self.move_label}" aria-label="{self.move_label}" aria-haspopup="menu">⋮</button>')
        parts.append('</div>')
        if account:
            parts.append(f'<div class="text-caption text-grey-8 ellipsis">{account}</div>')
        parts.append(self.sorted_line(card))
        if card.tags:
            parts.append(chips_html(card.tags, self.tags))
        if card.is_repeat:
            repeat = escape(t('care.repurchase'))
            parts.append(f'<span class="ld-repeat" data-testid="repeat-{card.id}">{repeat}</span>')
        parts.append(f'<div class="row items-center justify-between no-wrap"><b data-testid="opp-amount-{card.id}">'
                     f'{money(card.amount_cents)}</b><span class="ld-avatar" title="{owner}">'
                     f'{escape(initials(card.owner_name))}</span></div>')
        days = escape(t('pipeline.days_in_stage', days=card.days_in_stage))
        parts.append(f'<div class="text-caption text-grey-7">{close} · {days}</div>')
        if card.rotting_days is not None:
            idle = escape(t('pipeline.idle', days=card.rotting_days))
            parts.append(f'<div class="text-caption text-negative" data-testid="rot-{card.id}">{idle}</div>')
        return ''.join(parts)

    def _open_menu(self, e: GenericEventArguments) -> None:
        """A card's ⋮ was pressed (its column forwards the card id): one menu per board, anchored to
        that button and filled with the other stages."""
        found = self.card_by_id.get(int(e.args)) if str(e.args).isdigit() else None
        if found is None:
            return
        card, stage = found
        was_open = self.menu.value
        self.menu.close()
        self.menu.clear()
        self.menu.props['target'] = f'[data-move="{card.id}"]'
        with self.menu:
            ui.item_label(self.move_label).props('header').classes('text-grey-7')
            for target in self._stages():
                if target.id != stage.id:
                    tid(ui.menu_item(stage_name(target), on_click=partial(self._move_from_menu, card.id, target)),
                        f'move-{card.id}-{target.id}')
        if was_open:  # let Quasar close it at the old anchor first
            ui.timer(0.1, self.menu.open, once=True)
        else:
            self.menu.open()

    async def _move_from_menu(self, card_id: int, target: Stage) -> None:
        """The card as this board shows it now (a live update may have re-rendered it since the menu opened)."""
        found = self.card_by_id.get(card_id)
        if found is not None and found[1].id != target.id:
            await self.move(found[0], found[1], target)

    def _stages(self) -> list[Stage]:
        return [view.stage for view in self.views.values()]

    # ----- reading --------------------------------------------------------------------------------

    async def reload(self) -> None:
        """Re-read the board; coalesced, and deferred while a drag or a dialog is in progress."""
        self._mark_filters()
        self._bulk_follow_filters()
        if self.dragging or self.asking or self.loading:
            self.pending = True
            return
        self.loading = True
        try:
            while True:
                self.pending = False
                columns = await run.io_bound(self._read)
                if self.row.is_deleted:
                    return
                if self.dragging or self.asking:
                    self.pending = True
                    return
                self._apply(columns)
                if not self.pending:
                    return
        finally:
            self.loading = False

    def read_first(self) -> list[Column]:
        """The board under the default filters (a worker thread's call: it queries)."""
        return self._read()

    def show_first(self, columns: list[Column]) -> None:
        """The board as read before the page was built (its first fill: a screenful per column)."""
        self._apply(columns)

    def _read(self) -> list[Column]:
        f = self.filters
        return self.desk.pipeline.board(self.user, owner_id=f.owner_id, close_month=f.close_month,
                                        min_amount=f.min_amount, max_amount=f.max_amount,
                                        custom=dict(f.custom) or None, tags=f.tags, **sort_args(f.sort))

    def _apply(self, columns: list[Column]) -> None:
        columns = sorted(columns, key=lambda c: _stage_order(c.stage))
        shape = [(c.stage.id, c.stage.name_en, c.stage.name_zh, c.stage.kind) for c in columns]
        if shape != [(v.stage.id, v.stage.name_en, v.stage.name_zh, v.stage.kind) for v in self.views.values()]:
            self._build_columns([c.stage for c in columns])
        force, self.force = self.force, set()
        for column in columns:
            sid = column.stage.id or 0
            view = self.views[sid]
            view.stage = column.stage
            view.count.set_text(str(column.count))
            tab = self.tabs.get(sid)
            label = f'{stage_name(column.stage)} · {column.count}'
            if tab is not None and tab.props.get('label') != label:
                tab.props['label'] = label
                tab.update()
            view.amount.set_text(money_short(column.amount_cents))  # a column's total at a glance: ¥1.4万
            view.weighted.set_text(money_short(column.weighted_cents))
            hidden = column.count - len(column.cards)
            view.more.set_text(t('pipeline.more', count=hidden) if hidden > 0 else '')
            view.more.set_visibility(hidden > 0)
            key = tuple(column.cards)
            if key != view.key or sid in force:
                for child in list(view.cards.default_slot.children):
                    card, _ = self.card_of_element.pop(child.id, (None, None))
                    if card is not None and self.card_by_id.get(card.id, (None,))[0] is card:
                        del self.card_by_id[card.id]
                view.cards.clear()
                first = column.cards if view.key is not None else column.cards[:FIRST_PAINT]
                with view.cards:
                    for card in first:
                        self._card(card, column.stage)
                view.key = key
                if len(first) < len(column.cards):
                    rest = column.cards[len(first):]
                    ui.timer(REST_DELAY, lambda view=view, key=key, rest=rest, stage=column.stage:
                             self._fill_rest(view, key, rest, stage), once=True)
        if self.bulk is not None:
            self.bulk.total(sum(column.count for column in columns))

    def _fill_rest(self, view: ColumnView, key: tuple[Card, ...], rest: list[Card], stage: Stage) -> None:
        """The cards after the first screenful of the board's first fill, unless the column was
        refilled (a move, a filter) or a drag started meanwhile (then a reload rebuilds it whole)."""
        if view.cards.is_deleted or view.key != key:
            return
        if self.dragging or self.asking:
            self.force.add(stage.id or 0)
            self.pending = True
            return
        with view.cards:
            for card in rest:
                self._card(card, stage)

    async def _on_moved(self, opportunity_id: int, actor_id: int | None) -> None:
        await self.reload()

    # ----- bulk edit (ui/components/board_bulk.py) --------------------------------------------------

    def _build_bulk(self) -> None:
        """The bulk edit's selection and its header button (recent bulk edits, Undo)."""
        self.bulk = BoardBulk(self.desk, self.user, filters=self._bulk_filter_args, custom=self.custom_fields,
                              refresh=self._bulk_refresh)
        self.bulk.history_button()

    def _bulk_filter_args(self) -> dict[str, Any]:
        """The board's filters as `core.pipeline.board.board_filter` takes them ("all N matching")."""
        f = self.filters
        return {'owner_id': f.owner_id, 'close_month': f.close_month, 'min_amount': f.min_amount,
                'max_amount': f.max_amount, 'custom': dict(f.custom) or None, 'tags': list(f.tags)}

    async def _bulk_refresh(self) -> None:
        """After a bulk edit or a change of selection: every card redrawn with its tick box."""
        self.force |= set(self.views)
        await self.reload()

    def _bulk_follow_filters(self) -> None:
        if self.bulk is not None and self.filters != self.bulk_filters:
            self.bulk_filters = replace(self.filters, custom=dict(self.filters.custom), tags=list(self.filters.tags))
            self.bulk.reset()

    # ----- filters --------------------------------------------------------------------------------

    def _toggle_filters(self) -> None:
        """A phone's filter button: show or fold the filters (on a desk they always show)."""
        folded = 'gt-xs' in self.filter_row.classes
        self.filter_row.classes(remove='gt-xs') if folded else self.filter_row.classes(add='gt-xs')
        self.filter_toggle.props(f'aria-expanded={"true" if folded else "false"}')

    def _mark_filters(self) -> None:
        """The filter button is coloured while a filter is set, so a folded filter is not forgotten."""
        f = self.filters
        active = any((f.owner_id, f.close_month, f.min_amount, f.max_amount, f.custom, f.tags))
        self.filter_toggle.props(f'color={"primary" if active else "grey-8"}')

    async def _set_custom(self, key: str, value: str | None) -> None:
        """A custom select's or yes/no field's filter: its option key, or none (cleared)."""
        if self.applying or self.filters.custom.get(key) == (value or None):
            return
        if value:
            self.filters.custom[key] = value
        else:
            self.filters.custom.pop(key, None)
        await self.reload()

    async def _set_owner(self, e: Any) -> None:
        if self.applying or self.filters.owner_id == e.value:
            return
        self.filters.owner_id = e.value
        await self.reload()

    async def _set_tags(self, ids: list[int]) -> None:
        if self.applying or self.filters.tags == ids:
            return
        self.filters.tags = ids
        await self.reload()

    async def _set_month(self, e: Any) -> None:
        if self.applying:
            return
        try:
            self.filters.close_month = parse_month(e.value) if e.value else None
            self.month.error = None
        except ValueError:
            self.month.error = t('err.field.invalid')
            return
        await self.reload()

    async def _set_amount(self, which: str, e: Any) -> None:
        if self.applying:
            return
        field_ = self.min_amount if which == 'min' else self.max_amount
        text = (e.value or '').strip() or None
        try:
            if text is not None:
                parse_money(text)
        except ValueError:
            field_.error = t('err.field.invalid')
            return
        field_.error = None
        setattr(self.filters, f'{which}_amount', text)
        await self.reload()

    # ----- moving ---------------------------------------------------------------------------------

    def _drag_started(self) -> None:
        self.dragging = True

    def _drag_ended(self) -> None:
        """SortableJS's `end` arrives just before NiceGUI's `sortend`. If that one never reaches `_dropped`
        (its card was rebuilt in the instant before the server heard `start`), re-read everything."""
        self.drag_count += 1
        seen = self.drag_count

        async def check() -> None:
            if self.drops_handled < seen:
                self.dragging = False
                self.force |= set(self.views)
                await self.reload()

        ui.timer(1.0, check, once=True)

    async def _dropped(self, e: SortableEventArguments) -> None:
        """Fires on the source column when a drag ends (NiceGUI already moved the element)."""
        self.dragging = False
        self.drops_handled = self.drag_count
        found = self.card_of_element.get(e.item.id)
        target = self.stage_of_box.get(e.target.id)
        if e.source is e.target or found is None or target is None:
            if e.source is not e.target:
                self.force |= {s.id or 0 for s in (self.stage_of_box.get(e.source.id), target) if s}
            await self.reload()
            return
        card, source = found
        await self.move(card, source, target)

    async def move(self, card: Card, source: Stage, target: Stage) -> None:
        """Move with the version this board showed; Lost asks a reason, Won the final amount.
        Whatever happens, the two columns are re-read from the server."""
        extra: dict[str, Any] | None = {}
        with self.host:
            if target.kind == StageKind.LOST:
                extra = await self._ask(self._lost_dialog, card)
            elif target.kind == StageKind.WON:
                extra = await self._ask(self._won_dialog, card)
            if extra is not None:
                try:
                    self.asking = True  # the checklist may ask: live rebuilds wait
                    try:  # open checklist items: confirm first; required ones refuse
                        moved, _ = await gated(lambda warn: self.desk.pipeline.move_opportunity(
                            self.user, card.id, to_stage_id=target.id or 0, version=card.version, warn_open=warn,
                            **extra))
                    finally:
                        self.asking = False
                    if moved:
                        ui.notify(t('reason.stage_moved', opportunity=card.name, stage_en=target.name_en,
                                    stage_zh=target.name_zh), type='positive')
                except MoveConflict as error:
                    ui.notify(message(error), type='warning', multi_line=True)
                except DomainError as error:
                    ui.notify(message(error), type='negative', multi_line=True)
        self.force |= {source.id or 0, target.id or 0}
        await self.reload()

    async def _ask(self, build: Callable[[Card, ui.dialog], None], card: Card) -> dict[str, Any] | None:
        """Open a dialog and wait: dismissing it (Esc, outside click, Cancel) answers None."""
        self.asking = True
        dialog: ui.dialog | None = None
        try:
            if build == self._lost_dialog and self.lost_reasons is None:
                self.lost_reasons = await run.io_bound(self.desk.pipeline.lost_reasons)
            with ui.dialog() as dialog:
                build(card, dialog)
            return await dialog
        finally:
            self.asking = False
            if dialog is not None:
                dialog.delete()

    def _lost_dialog(self, card: Card, dialog: ui.dialog) -> None:
        zh = current_language() == 'zh-CN'
        reasons = {key: zh_label if zh else en for key, en, zh_label in self.lost_reasons or []}
        with tid(ui.card().classes('w-96'), 'lost-dialog'):
            ui.label(t('pipeline.lost_title')).classes('text-h6')
            ui.label(card.name).classes('text-grey-8')
            reason = tid(ui.select(reasons, label=t('pipeline.lost_reason')).classes('w-full'), 'lost-reason')
            note = tid(ui.textarea(t('pipeline.lost_note')).props('maxlength=1000 autogrow').classes('w-full'),
                       'lost-note')

            def confirm() -> None:
                if not reason.value:
                    reason.error = t('err.field.required')
                    return
                dialog.submit({'lost_reason': reason.value, 'lost_note': note.value or None})

            _buttons(dialog, confirm, t('pipeline.mark_lost'), 'lost', color='negative')

    def _won_dialog(self, card: Card, dialog: ui.dialog) -> None:
        today = self.desk.ctx.now().astimezone(zone()).date()
        with tid(ui.card().classes('w-96'), 'won-dialog'):
            ui.label(t('pipeline.won_title')).classes('text-h6')
            ui.label(card.name).classes('text-grey-8')
            amount = tid(ui.input(t('pipeline.final_amount'), value=amount_text(card.amount_cents))
                         .props('inputmode=decimal prefix=¥').classes('w-full'), 'won-amount')
            closed = tid(ui.input(t('pipeline.close_date'), value=today.isoformat()).props('type=date')
                         .classes('w-full'), 'won-date')

            def confirm() -> None:
                try:
                    parse_money(amount.value)
                    amount.error = None
                except ValueError:
                    amount.error = t('err.field.invalid')
                    return
                try:
                    when = date.fromisoformat(closed.value or '')
                except ValueError:
                    closed.error = t('err.field.invalid')
                    return
                dialog.submit({'won_amount': amount.value, 'close_date': when})

            _buttons(dialog, confirm, t('pipeline.mark_won'), 'won', color='positive')


def _buttons(dialog: ui.dialog, confirm: Callable[[], None], label: str, name: str, *, color: str) -> Element:
    with ui.row().classes('w-full justify-end gap-2') as row:
        tid(ui.button(t('common.cancel'), on_click=lambda: dialog.submit(None)).props('flat'), f'{name}-cancel')
        tid(ui.button(label, on_click=confirm).props(f'color={color}'), f'{name}-confirm')
    return row


def register(desk: Desk) -> None:
    @ui.page('/pipeline')
    async def pipeline_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        board = PipelineBoard(desk, user)
        board.custom_fields = (await run.io_bound(desk.pipeline.custom_fields)).definitions
        board.opening = await run.io_bound(desk.views.opening_view, user, ViewPage.BOARD)
        if board.opening is not None:
            board.preset_view(board.opening)
            board.fit_sort()  # a sort field retired since: the default order (said once built)
        # Read before the frame (its timers await the socket, and NiceGUI then sends an async page at
        # once): the first screenful of cards goes out with the HTML, the rest over the socket.
        columns = await run.io_bound(board.read_first)
        with frame(desk, t('nav.pipeline'), user):
            board.build()
            board.show_first(columns)
        return None
