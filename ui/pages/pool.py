"""The public pool (`/pool`, 公海) and, for managers, the review queue (待复盘).

Each list pages, searches, filters and sorts on the server (`PoolService.pool`); its state lives in
the address (`?q=…&region=…&page=2`, the review queue's keys prefixed `review_`), so a reload or a
shared link shows the same page. A rep sees Claim only where the claim would succeed, otherwise the
reason (`check_claim`, the rule the claim applies). Below 600 px the list is a card per lead
instead of a table (Quasar's `xs` / `gt-xs` classes), so nothing scrolls sideways at 390 px."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from nicegui.events import ValueChangeEventArguments

from core import permissions
from core.accounts.saved_views import View
from core.automation.pool import PoolQuery, PoolRow
from core.automation.pool_admin import PoolCard
from core.custom_fields.sorting import POOL
from core.custom_fields.values import Definition
from core.desk import Desk
from core.errors import DomainError
from core.leads.bulk import BulkKind
from core.leads.bulk_matching import MatchingList
from core.tags.catalog import NO_TAGS, TagSet
from store.models import Grade, Role, UserRef, ViewPage

from .. import live
from ..components.bulk_edit import BulkEdit
from ..components.custom_fields import display, field_label
from ..components.list_sort import default_value, sort_args, sort_choices, sorted_field
from ..components.saved_views import SavedViews
from ..components.table import label_selection, table_region
from ..components.tags import ROW_CHIPS, chips, row_tags, tag_filter
from ..errors import message
from ..format import label, when
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame
from .pools import pool_label

PAGE_SIZE = 25
RECYCLED_CHOICES = (0, 1, 2, 3)
"""The times-recycled filter's choices; the last means "that many or more" (`queries.RECYCLED_TOP`)."""
DEFAULT_SORT = default_value(POOL)
POOL_KINDS = (BulkKind.REASSIGN, BulkKind.TAG_ADD, BulkKind.TAG_REMOVE)
"""What a manager does to ticked pool leads: hand them out (to a rep or through the rules), tag them."""
KEYS = ('q', 'region', 'industry', 'grade', 'recycled', 'sort', 'page')


def _columns(sorted_by: Definition | None = None) -> list[dict]:
    """The list's columns; sorted by a custom field, that field's value too (before the action)."""
    extra = [{'name': 'sorted', 'label': field_label(sorted_by), 'field': 'sorted', 'align': 'left'}] \
        if sorted_by is not None else []
    return [
        {'name': 'grade', 'label': t('field.grade'), 'field': 'grade', 'align': 'center'},
        {'name': 'name', 'label': t('field.name'), 'field': 'name', 'align': 'left'},
        {'name': 'company', 'label': t('field.company'), 'field': 'company', 'align': 'left'},
        {'name': 'phone', 'label': t('field.phone'), 'field': 'phone', 'align': 'left'},
        {'name': 'region', 'label': t('field.region'), 'field': 'region', 'align': 'left'},
        {'name': 'source', 'label': t('field.source'), 'field': 'source', 'align': 'left'},
        {'name': 'previous', 'label': t('pool.previous_owner'), 'field': 'previous', 'align': 'left'},
        {'name': 'recycles', 'label': t('pool.recycles'), 'field': 'recycles', 'align': 'right'},
        {'name': 'pooled', 'label': t('pool.pooled_at'), 'field': 'pooled', 'align': 'left'},
        *extra,
        {'name': 'action', 'label': '', 'field': 'action', 'align': 'right'},
    ]


def refusal_text(r: PoolRow) -> str:
    """Why this rep cannot claim the lead, in place of the button ('' when Claim shows or for managers)."""
    if r.refusal is None:
        return ''
    params = dict(r.refusal.params)
    if 'until' in params:
        params['until'] = when(datetime.fromisoformat(str(params['until'])))
    return t(f'pool.reason.{r.refusal.reason}', **params)


def _row(r: PoolRow, action: str, *, link: bool, tags: TagSet = NO_TAGS, sorted_by: Definition | None = None
         ) -> dict:
    return {'tags': row_tags(r.tags, tags), 'id': r.id, 'grade': r.grade,
            'sorted': display(sorted_by, r.sort_value) if sorted_by is not None else '',
            'name': r.name, 'company': r.company or '', 'phone': r.phone_masked,
            'region': r.region or '', 'source': label('source', r.source), 'previous': r.previous_owner_name or '',
            'recycles': r.recycle_count, 'pooled': when(r.pooled_at), 'created': when(r.created_at),
            'action': action, 'reason': refusal_text(r), 'link': link, 'pick': t('pool.select_lead', name=r.name)}


def claim_message(error: DomainError) -> str:
    params = dict(error.params)
    if 'until' in params:
        params['until'] = when(datetime.fromisoformat(str(params['until'])))
    return t(f'err.{error.code}', **params)


class Address:
    """Both lists' search, filters and page, mirrored into the address bar (replaced, not pushed:
    Back leaves the page rather than stepping through every filter change)."""

    def __init__(self, params: Mapping[str, str]) -> None:
        self.values = {k: v for k, v in params.items() if v}

    def get(self, prefix: str, key: str) -> str:
        return self.values.get(prefix + key, '')

    def put(self, prefix: str, values: Mapping[str, object]) -> None:
        for key, value in values.items():
            if value in (None, '') or (key == 'page' and value == 1) or (key == 'sort' and value == DEFAULT_SORT):
                self.values.pop(prefix + key, None)
            else:
                self.values[prefix + key] = str(value)
        query = urlencode(sorted(self.values.items()))
        ui.navigate.history.replace('/pool' + (f'?{query}' if query else ''))


def _int(text: str, *, low: int) -> int | None:
    return int(text) if text.isdigit() and int(text) >= low else None


class PoolTable:
    """One list (pool or review) with its search, filters, pager and actions, refreshed live."""

    def __init__(self, desk: Desk, user: UserRef, *, review: bool, address: Address,
                 pool: PoolCard | None = None, pools: list[PoolCard] | None = None,
                 header: PoolHeader | None = None) -> None:
        self.desk, self.user, self.review, self.address = desk, user, review, address
        self.pool = None if review else pool
        """The pool shown (None: the review queue, every pool's)."""
        self.pools = pools or []
        self.header = header
        """The pool switch's counts and the rep's claims against its limits, re-read on every refresh."""
        self.manager = permissions.can_assign(user)
        self.prefix = 'review_' if review else ''
        self.action = t('pool.send_back') if review else (t('pool.claim') if user.role == Role.REP else '')
        self.card_selected: set[int] = set()
        self.cards_drawn: object = None
        """What the cards were last drawn from: a refresh that reads the same rows keeps them (a tap on a
        card's button while a live refresh runs must land on the button the server still knows)."""
        self._paging = False
        self.custom = tuple(d for d in desk.leads.custom_fields().definitions if not d.is_retired)
        """The leads' active custom fields: the sortable ones are sorts."""
        self.sorts = sort_choices(POOL, 'pool.sort.', self.custom)
        def get(key: str) -> str:
            return address.get(self.prefix, key)

        self.state: dict[str, object] = {
            'q': get('q')[:100], 'region': get('region') or None, 'industry': get('industry') or None,
            'grade': get('grade') if get('grade') in tuple(Grade) else None,
            'recycled': _int(get('recycled'), low=0),
            'sort': get('sort') if get('sort') in self.sorts else DEFAULT_SORT,
            'tags': ','.join(p for p in get('tags').split(',') if p.isdigit())}
        self.tags = desk.tags.tag_set()
        """The tag catalogue: the rows' chips and the tag filter's choices."""
        self.page = _int(get('page'), low=1) or 1
        self.bulk_total = 0
        """How many leads match now (the bulk bar's "select all N matching")."""
        name = self.name = 'review' if review else 'pool'
        self.root = ui.column().classes('w-full gap-2')
        """Refreshes run inside it: a live event's callback has no slot of its own after an await, and
        `t()` finds the page's language through the slot (ui/i18n.py `current_language`)."""
        with self.root:
            self._filters()
            self.bulk: BulkEdit | None = None
            if self.manager:  # ticked leads: assign (to a rep or through the rules) or tag, with preview and undo
                self.bulk = BulkEdit(desk, user, filters=self._matching, custom=(), refresh=self._after_bulk,
                                     kinds=POOL_KINDS, matching=not review, prefix='review-' if review else '',
                                     source=MatchingList.POOL)
            self.move_bar: ui.row | None = None
            if self.bulk is not None and self.pool is not None and len(self.pools) > 1:
                self._move_bar()
            with table_region(t('pool.tab_review' if review else 'pool.tab_pool'), classes='gt-xs'):
                self.table = tid(ui.table(rows=[], columns=_columns(self._sorted_by()), row_key='id',
                                          selection='multiple' if self.manager else None)
                                 .classes('w-full').props('flat bordered'), f'{name}-table')
            if self.manager:
                label_selection(self.table, all_label=t('pool.select_all'), row_label_field='pick')
                self.table.on_select(self._sync_picked)
            self.table.props['no-data-label'] = t('pool.empty')
            self.table.add_slot('body-cell-name', '''
                <q-td :props="props"><a v-if="props.row.link" :href="'/leads/' + props.row.id" class="text-primary">
                  {{ props.value }}</a><span v-else>{{ props.value }}</span> ''' + ROW_CHIPS + '''</q-td>''')
            self.table.add_slot('body-cell-action', '''
                <q-td :props="props"><q-btn v-if="props.value" dense flat no-caps color="primary" :label="props.value"
                  @click.stop="() => $parent.$emit('act', props.row)" />
                  <span v-else-if="props.row.reason" class="text-grey-7 text-caption">{{ props.row.reason }}</span>
                </q-td>''')
            self.table.on('act', lambda e: self.act(int(e.args['id'])))
            self.cards = tid(ui.column().classes('w-full xs gap-2'), f'{name}-cards')
            if self.bulk is not None:
                self.bulk.build()
            with ui.row().classes('w-full items-center justify-end gap-2'):
                if self.bulk is not None:
                    self.bulk.history_button()
                self.total = tid(ui.label(''), f'{name}-total')
                self.pager = tid(ui.pagination(1, 1, direction_links=True, value=self.page, on_change=self._paged)
                                 .props('max-pages=5 boundary-numbers dense'), f'{name}-pager')
        for event in (desk.events.lead_assigned, desk.events.lead_changed, desk.events.lead_captured):
            live.subscribe(event, self._on_event, expect_args=False)
        ui.timer(0, self._start, once=True)

    def _move_bar(self) -> None:
        """Managers: move the ticked leads into another pool."""
        here = self.pool.pool.id if self.pool is not None else None
        others = {c.pool.id: pool_label(c.pool) for c in self.pools if c.pool.id != here}
        with tid(ui.row().classes('w-full items-end gap-2'), f'{self.name}-move-bar') as self.move_bar:
            self.move_to = tid(ui.select(others, label=t('pool.move_to')).props('dense').classes('w-48'),
                               f'{self.name}-move-to')
            self.move_button = tid(ui.button(t('pool.move'), icon='drive_file_move', on_click=self.move)
                                   .props('flat no-caps'), f'{self.name}-move')
        self.move_bar.set_visibility(False)

    async def move(self) -> None:
        picked = sorted(self.bulk.picked) if self.bulk is not None else []
        target = self.move_to.value
        if not picked or target is None:
            ui.notify(t('pool.move_pick'), type='warning')
            return
        try:
            count = await run.io_bound(self.desk.pools.move, self.user, picked, int(target))
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        names = {c.pool.id: pool_label(c.pool) for c in self.pools}
        ui.notify(t('pool.moved', n=count, pool=names.get(int(target), '')), type='positive')
        if self.bulk is not None:
            self.bulk.picked = set()
        await self._after_bulk()

    def _filters(self) -> None:
        name, s = self.name, self.state
        wide = 'grow basis-32 sm:grow-0 sm:w-40'
        with ui.row().classes('w-full items-end gap-2'):
            tid(ui.input(t('pool.search'), value=str(s['q']), on_change=lambda e: self._set('q', e.value or ''))
                .props('dense clearable debounce=300 maxlength=100').classes('w-full sm:w-64'), f'{name}-search')
            self.region = tid(ui.select(self._options(s['region']), value=s['region'], label=t('field.region'),
                                        clearable=True, on_change=lambda e: self._set('region', e.value))
                              .props('dense').classes(wide), f'{name}-region')
            self.industry = tid(ui.select(self._options(s['industry']), value=s['industry'],
                                          label=t('field.industry'), clearable=True,
                                          on_change=lambda e: self._set('industry', e.value))
                                .props('dense').classes(wide), f'{name}-industry')
            tid(ui.select([g.value for g in Grade], value=s['grade'], label=t('field.grade'), clearable=True,
                          on_change=lambda e: self._set('grade', e.value)).props('dense').classes(wide),
                f'{name}-grade')
            recycled = {n: t('pool.recycled_top' if n == RECYCLED_CHOICES[-1] else 'pool.recycled_times', n=n)
                        for n in RECYCLED_CHOICES}
            tid(ui.select(recycled, value=s['recycled'] if s['recycled'] in recycled else None,
                          label=t('pool.recycled_filter'), clearable=True,
                          on_change=lambda e: self._set('recycled', e.value)).props('dense').classes(wide),
                f'{name}-recycled')
            tid(ui.select(self.sorts, value=s['sort'], label=t('pool.sort'),
                          on_change=lambda e: self._set('sort', e.value or DEFAULT_SORT)).props('dense')
                .classes('grow basis-32 sm:grow-0 sm:w-52'),
                f'{name}-sort')
            if self.tags.active:
                tag_filter(self.tags, lambda ids: self._set('tags', ','.join(map(str, ids))), mark=f'{name}-tags',
                           value=self._tag_ids())
            self.views: SavedViews | None = None
            if not self.review:  # the pool's own list: a view is its address (filters, sort)
                self.views = SavedViews(self.desk, self.user, ViewPage.POOL, current=self._current_view,
                                        apply=self._apply_view)
                self.views.build()

    def _current_view(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        s = self.state
        return {'q': s['q'], 'region': s['region'], 'industry': s['industry'], 'grade': s['grade'],
                'recycled': s['recycled'], 'sort': s['sort'], 'tags': list(self._tag_ids())}, ()

    async def _apply_view(self, view: View) -> None:
        """Open the pool at the view's address: its filters and sort, as a link to it would."""
        ui.navigate.to(view_address(view))

    def _tag_ids(self) -> tuple[int, ...]:
        return tuple(int(p) for p in str(self.state['tags']).split(',') if p.isdigit())

    @staticmethod
    def _options(current: object) -> list[str]:
        return [str(current)] if current else []

    def query(self) -> PoolQuery:
        return PoolQuery(**self._matching())

    def _matching(self) -> dict[str, Any]:
        """The list's search, filters and sort as `PoolQuery`'s fields (its page and "all N matching")."""
        s = self.state
        recycled = s['recycled']
        return {'search': str(s['q']) or None, 'region': str(s['region'] or '') or None,
                'industry': str(s['industry'] or '') or None, 'grade': str(s['grade'] or '') or None,
                'recycled': recycled if isinstance(recycled, int) else None, 'tags': self._tag_ids(),
                'pool_id': self.pool.pool.id if self.pool else None, **sort_args(s['sort'])}

    def _sorted_by(self) -> Definition | None:
        return sorted_field(self.state['sort'], self.custom)

    async def _set(self, key: str, value: object) -> None:
        if self.state.get(key) == value:
            return
        self.state[key] = value
        self.page = 1
        self.address.put(self.prefix, {key: value, 'page': 1})
        await self.refresh()

    async def _paged(self) -> None:
        if self._paging or self.pager.value in (None, self.page):
            return
        self.page = int(self.pager.value or 1)
        self.address.put(self.prefix, {'page': self.page})
        await self.refresh()

    async def _start(self) -> None:
        if self.views is not None:
            shown = self.address.get('', 'view')
            await self.views.load(active=int(shown) if shown.isdigit() else None)
        choices = await run.io_bound(self.desk.pool.choices, self.user, review=self.review,
                                     pool_id=self.pool.pool.id if self.pool else None)
        for select, key in ((self.region, 'region'), (self.industry, 'industry')):
            values = choices[key]
            current = self.state[key]
            select.set_options(values + ([str(current)] if current and current not in values else []),
                               value=current)
        await self.refresh()

    async def refresh(self) -> None:
        if self.header is not None and self.header.shows_counts:
            cards = await run.io_bound(self.desk.pools.cards, self.user)
            if cards is None:  # (NiceGUI's run answers None when the app stops)
                return
            self.header.show(cards)
        rows, total = await run.io_bound(self._read)
        pages = max(1, -(-total // PAGE_SIZE))
        if self.page > pages:  # the list shrank under this page (claims, filters): show its last page
            self.page = pages
            rows, total = await run.io_bound(self._read)
        with self.root:
            self._show(rows, total, pages)

    def _show(self, rows: list[PoolRow], total: int, pages: int) -> None:
        link, by = self.manager, self._sorted_by()
        if (columns := _columns(by)) != self.table.columns:  # a sort by a field shows its column
            self.table.columns = columns
        self.table.update_rows([_row(r, self.action if (self.review or r.claimable) else '', link=link,
                                     tags=self.tags, sorted_by=by) for r in rows])
        shown = {r.id for r in rows}
        if self.bulk is not None and self.bulk.all_matching:  # "all N matching": this page's rows ticked too
            self.table.selected[:] = list(self.table.rows)
            self.card_selected = set(shown)
        self.table.selected[:] = [row for row in self.table.selected if row['id'] in shown]  # gone: unticked
        self.bulk_total = total
        self._cards(rows, by)
        self._sync_picked()
        first = (self.page - 1) * PAGE_SIZE + 1
        self.total.set_text(t('pool.range', first=first, last=first + len(rows) - 1, total=total) if rows
                            else t('pool.total', total=total))
        self._paging = True
        try:
            self.pager.max = pages
            self.pager.value = self.page
        finally:
            self._paging = False
        self.pager.set_visibility(pages > 1)

    def _read(self) -> tuple[list[PoolRow], int]:
        return self.desk.pool.pool(self.user, review=self.review, page=self.page, page_size=PAGE_SIZE,
                                   query=self.query())

    def _cards(self, rows: list[PoolRow], by: Definition | None = None) -> None:
        """The phone's list: a card per lead with what decides a claim, and the button or the reason."""
        self.card_selected &= {r.id for r in rows}
        drawn = (tuple(rows), by.key if by else None, frozenset(self.card_selected))
        if drawn == self.cards_drawn:
            return
        self.cards_drawn = drawn
        self.cards.clear()
        with self.cards:
            if not rows:
                ui.label(t('pool.empty')).classes('text-grey-7')
            for r in rows:
                with tid(ui.card().classes('w-full').props('flat bordered'), f'{self.name}-card-{r.id}'):
                    with ui.row().classes('w-full items-center no-wrap gap-2'):
                        if self.manager:
                            tid(ui.checkbox(value=r.id in self.card_selected,
                                            on_change=lambda e, i=r.id: self._pick(i, e.value))
                                .props(f'dense aria-label="{t("pool.select_lead", name=r.name)}"'),
                                f'{self.name}-pick-{r.id}')
                        ui.badge(r.grade).props('outline')
                        if self.manager:
                            ui.link(r.name, f'/leads/{r.id}').classes('font-medium truncate min-w-0 grow')
                        else:
                            ui.label(r.name).classes('font-medium truncate min-w-0 grow')
                    if r.company:
                        ui.label(r.company).classes('text-sm text-grey-8 truncate w-full')
                    if by is not None and r.sort_value not in (None, ''):  # what the order is by
                        tid(ui.label(t('sort.value_line', field=field_label(by), value=display(by, r.sort_value)))
                            .classes('text-xs text-grey-8 truncate w-full'), f'{self.name}-sorted-{r.id}')
                    if r.tags:
                        chips(self.tags.by_id[i] for i in r.tags if i in self.tags.by_id)
                    with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                        facts = ' · '.join(x for x in (r.region, when(r.pooled_at)) if x)
                        ui.label(facts).classes('text-xs text-grey-7 min-w-0')
                        if self.review or r.claimable:
                            tid(ui.button(self.action, on_click=lambda _, i=r.id: self.act(i))
                                .props('dense no-caps unelevated color=primary'), f'{self.name}-act-{r.id}')
                        elif r.refusal is not None:
                            tid(ui.label(refusal_text(r)).classes('text-xs text-grey-7 text-right max-w-[55%]'),
                                f'{self.name}-reason-{r.id}')

    def _pick(self, lead_id: int, on: bool) -> None:
        (self.card_selected.add if on else self.card_selected.discard)(lead_id)
        self._sync_picked(on)

    def _sync_picked(self, e: Any = None) -> None:
        """The bulk bar's selection: the table's ticked rows (wide screens) and the cards' (phones).
        A tick changed by hand (`e`) while "all N matching" is selected: back to the ticked rows."""
        if self.bulk is not None:
            if e is not None:
                self.bulk.all_matching = False
            self.bulk.total = self.bulk_total
            self.bulk.picked = {int(row['id']) for row in self.table.selected} | self.card_selected
            self.bulk.show()
            if self.move_bar is not None:  # shown while leads are ticked, like the bulk bar
                self.move_bar.set_visibility(bool(self.bulk.picked))

    async def _after_bulk(self) -> None:
        """A bulk edit applied or the selection cleared: untick what the bar no longer holds."""
        if self.bulk is not None and not self.bulk.picked:
            self.table.selected.clear()
            self.table.update()
            self.card_selected.clear()
        await self.refresh()

    async def _on_event(self) -> None:
        await self.refresh()

    async def act(self, lead_id: int) -> None:
        """Claim (or send back) one lead. The toast goes out from the list's root: a live refresh may
        have rebuilt the card whose button was pressed while the claim ran."""
        error: DomainError | None = None
        try:
            await run.io_bound(self.desk.pool.send_back if self.review else self.desk.pool.claim_lead,
                               self.user, lead_id)
        except DomainError as e:
            error = e
        with self.root:
            if error is None:
                ui.notify(t('pool.sent_back' if self.review else 'pool.claimed'), type='positive')
            else:
                ui.notify(claim_message(error) if error.code.startswith('claim.') else message(error),
                          type='negative', multi_line=True)
        await self.refresh()


def view_address(view: View) -> str:
    """The pool's address showing a saved view: its filters as the address bar keeps them."""
    f = view.filters
    tags = ','.join(str(i) for i in f.get('tags') or () if isinstance(i, int))
    params = {'q': f.get('q'), 'region': f.get('region'), 'industry': f.get('industry'), 'grade': f.get('grade'),
              'recycled': f.get('recycled'), 'sort': f.get('sort') if f.get('sort') != DEFAULT_SORT else None,
              'tags': tags, 'view': view.id}
    return '/pool?' + urlencode(sorted((k, str(v)) for k, v in params.items() if v not in (None, '')))


def limits_text(card: PoolCard) -> str:
    """A rep's claims today against this pool's limit (and holding against its holding limit)."""
    text = t('pool.limits', pool=pool_label(card.pool), claimed=card.claimed_today, limit=card.claim_limit)
    if card.held is not None:
        text += ' · ' + t('pool.holding', held=card.held, limit=card.pool.hold_limit)
    return text


class PoolHeader:
    """Which pool (when the viewer sees several: a switch reopens the page on it, each choice with how
    many leads wait in it) and, for a rep, today's claims against this pool's limit (and what they
    hold from it against its holding limit). The pool's list re-reads both on every refresh, so a
    claim or a recycled lead shows in the counts as it does in the list."""

    def __init__(self, cards: list[PoolCard], shown: PoolCard | None, address: Address) -> None:
        self.shown = shown
        self.switch: ui.toggle | None = None
        self.limits: ui.label | None = None
        if len(cards) > 1:
            def switch(e: ValueChangeEventArguments) -> None:
                if shown is None or e.value != shown.pool.id:
                    values = {k: v for k, v in address.values.items() if k.startswith('review_') or k == 'tab'}
                    ui.navigate.to('/pool?' + urlencode(sorted((values | {'pool': str(e.value)}).items())))

            self.switch = tid(ui.toggle(self._options(cards), value=shown.pool.id if shown else None,
                                        on_change=switch)
                              .props('no-caps unelevated toggle-color=primary').classes('flex-wrap'), 'pool-switch')
        if shown is not None and shown.claimed_today is not None:
            self.limits = tid(ui.label(limits_text(shown)).classes('text-sm text-grey-8'), 'pool-limits')

    @property
    def shows_counts(self) -> bool:
        """Whether a refresh has anything to update here (one pool and no limits: no read)."""
        return self.switch is not None or self.limits is not None

    @staticmethod
    def _options(cards: list[PoolCard]) -> dict[int, str]:
        return {c.pool.id: t('pool.switch_label', pool=pool_label(c.pool), n=c.waiting) for c in cards}

    def show(self, cards: list[PoolCard]) -> None:
        if self.switch is not None:
            options = self._options(cards)
            if options != self.switch.options and set(options) == set(self.switch.options):
                self.switch.set_options(options, value=self.switch.value)
        card = next((c for c in cards if self.shown is not None and c.pool.id == self.shown.pool.id), None)
        if self.limits is not None and card is not None:
            self.limits.set_text(limits_text(card))


def register(desk: Desk) -> None:
    @ui.page('/pool')
    async def pool_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        if not request.query_params:  # a plain visit opens on the user's chosen view, if any
            opening = await run.io_bound(desk.views.opening_view, user, ViewPage.POOL)
            if opening is not None:
                return RedirectResponse(view_address(opening))
        address = Address(request.query_params)
        cards = await run.io_bound(desk.pools.cards, user)
        asked = address.get('', 'pool')
        shown = (next((c for c in cards if str(c.pool.id) == asked), None)
                 or next((c for c in cards if c.own), None) or (cards[0] if cards else None))
        with frame(desk, t('nav.pool'), user):
            ui.label(t('pool.title')).classes('text-h5')
            ui.label(t('pool.intro')).classes('text-grey-7')
            header = PoolHeader(cards, shown, address)
            if shown is None and not permissions.can_assign(user):
                tid(ui.label(t('pool.no_pool')).classes('text-grey-7'), 'pool-none')
                return None
            if permissions.can_assign(user):
                with ui.tabs().classes('w-full') as tabs:
                    pool_tab = tid(ui.tab('pool', t('pool.tab_pool')), 'pool-tab')
                    review_tab = tid(ui.tab('review', t('pool.tab_review')), 'review-tab')
                start = review_tab if address.get('', 'tab') == 'review' else pool_tab

                def remember(e: ValueChangeEventArguments) -> None:
                    address.put('', {'tab': 'review' if e.value in ('review', review_tab) else None})

                # the panels' overflow is visible: the bulk bar sticks to the screen's bottom (Quasar
                # clips its panels for the slide animation, and a clipping parent stops `sticky`)
                ui.add_head_html('<style>.ld-panels, .ld-panels > .q-panel { overflow: visible !important; }</style>')
                with ui.tab_panels(tabs, value=start, on_change=remember).classes('w-full ld-panels'):
                    with ui.tab_panel(pool_tab).classes('px-0'):
                        PoolTable(desk, user, review=False, address=address, pool=shown, pools=cards, header=header)
                    with ui.tab_panel(review_tab).classes('px-0'):
                        PoolTable(desk, user, review=True, address=address)
            else:
                PoolTable(desk, user, review=False, address=address, pool=shown, pools=cards, header=header)
        return None
