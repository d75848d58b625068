"""The inbox (`/`): own open leads for a rep, all for managers; live as leads arrive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import context, run, ui

from core.accounts.views import CUSTOM_COLUMN, INBOX_COLUMNS
from core.capture.intake import CaptureResult
from core.custom_fields.sorting import INBOX
from core.custom_fields.values import NO_FIELDS, CustomFields, Definition
from core.desk import Desk
from core.errors import ValidationFailed
from core.events import DeskEvents
from core.leads.actions import INBOX_COUNT_CAP, inbox_count_cap, traffic_light
from core.permissions import in_reach, reach
from core.tags.catalog import NO_TAGS, TagSet
from store.models import (
    OPEN_STATUSES,
    CustomFieldType,
    Grade,
    LeadRow,
    LeadStatus,
    NotifyKind,
    RecordKind,
    Source,
    UserRef,
    ViewPage,
)

from .. import live
from ..components.bulk_edit import BulkEdit
from ..components.care_panel import MyDayRevisits
from ..components.custom_fields import display, field_label, option_labels
from ..components.inbox_views import InboxViews
from ..components.lead_form import open_new_lead
from ..components.list_sort import default_value, sort_args, sort_choices, sorted_field
from ..components.phone import COPY_SCRIPT
from ..components.saved_views import SavedViews
from ..components.table import show_rows
from ..components.tags import ROW_CHIPS, row_tags, tag_filter
from ..format import label, phone, when
from ..i18n import current_language, t
from ..live_views import Failed, LiveViews
from ..marks import tid
from ..session import require_user
from ..theme import frame
from ..toasts import Burst

PAGE_SIZE = 25
DEFAULT_SORT = default_value(INBOX)


OPEN: WeakKeyDictionary[DeskEvents, LiveViews] = WeakKeyDictionary()
"""Each running desk's open inboxes (by its events: the tests and bench count the reads and refreshes)."""
LiveAsk = tuple[UserRef, int, dict[str, object]]
"""An inbox's live read: reader, page number, `filter_args()`."""


def _columns(show_owner: bool, custom: tuple[Definition, ...] = ()) -> list[dict]:
    """Every column the inbox can show (core/accounts/views.py `INBOX_COLUMNS`); owner for team views only;
    then each active custom field's (`custom.<key>`, its value as the lead page shows it, filled in
    by `_row` so the row template's plain `{{ col.value }}` shows it)."""
    labels = {'grade': t('field.grade'), 'name': t('field.name'), 'company': t('field.company'),
              'phone': t('field.phone'), 'source': t('field.source'), 'status': t('field.status'),
              'owner': t('field.owner'), 'score': t('field.score'), 'next': t('inbox.next_step'),
              'sla': t('inbox.sla'), 'created': t('field.created_at')}
    fields = {'source': 'source_label', 'status': 'status_label'}
    align = {'grade': 'center', 'score': 'right'}
    return [{'name': c, 'label': labels[c], 'field': fields.get(c, c), 'align': align.get(c, 'left')}
            for c in INBOX_COLUMNS if c != 'owner' or show_owner] + [
        {'name': CUSTOM_COLUMN + d.key, 'label': field_label(d), 'field': CUSTOM_COLUMN + d.key, 'align': 'left'}
        for d in custom]


ROW_TEMPLATE = '''
<tr :key="props.row.id" class="cursor-pointer ld-row" tabindex="0" :data-lead="props.row.id"
    @click="$parent.$emit('open', props.row.id)" @keydown.enter.self="$parent.$emit('open', props.row.id)">
  <td v-for="col in props.cols" :key="col.name" :class="'text-' + col.align
      + (col.name === 'sla' && props.row.sla_late ? ' text-negative text-weight-bold' : '')">
    <input v-if="col.name === props.cols[0].name" type="checkbox" class="ld-pick" :checked="props.row.picked"
        :aria-label="props.row.pick_label" @click.stop="$parent.$emit('pick', [props.row.id, $event.target.checked])">
    <div v-if="col.name === 'grade'" role="status" :aria-label="col.value"
         :class="'q-badge flex inline items-center no-wrap q-badge--single-line bg-'
                 + ({A: 'red', B: 'orange'}[col.value] || 'grey')">{{ col.value }}</div>
    <template v-else-if="col.name === 'next'"><i aria-hidden="true" style="font-size: 18px"
        :class="'q-icon notranslate material-icons q-mr-xs text-'
                + ({green: 'positive', red: 'negative'}[props.row.light] || 'grey-5')">circle</i>{{
      col.value }}</template>
    <span v-else-if="col.name === 'phone' && col.value" class="no-wrap"><a v-if="props.row.tel"
        :href="props.row.tel" class="text-primary" @click.stop>{{ col.value }}</a><template v-else>{{
      col.value }}</template><button type="button" class="ld-copy" :data-phone="col.value" :title="props.row.copy"
        :aria-label="props.row.copy" onclick="event.stopPropagation(); ldCopy(this.dataset.phone)"><i
        aria-hidden="true" class="q-icon notranslate material-icons">content_copy</i></button></span>
    <template v-else-if="col.name === 'name'">{{ col.value }} ''' + ROW_CHIPS + '''</template>
    <template v-else>{{ col.value }}</template>
  </td>
</tr>'''
"""One row as plain HTML with Quasar's table, badge and icon classes (the markup QTable, q-badge and
q-icon render): one component per row instead of eight (three cell slots, their q-td, a q-badge, a
q-icon) for the browser to mount, 105 on the page instead of 680 (bench/inbox_paint.py). Text goes
through `{{ }}`, so a lead's markup still shows as text. The phone is a `tel:` link and a plain copy
button (`ldCopy`, ui/components/phone.py): a tap on either does not open the lead."""
CARD_TEMPLATE = '''
<div class="col-12 q-pa-xs" :key="props.row.id">
  <div class="q-card q-pa-sm cursor-pointer ld-row ld-card" tabindex="0" :data-lead="props.row.id"
       @click="$parent.$emit('open', props.row.id)" @keydown.enter.self="$parent.$emit('open', props.row.id)">
    <div class="row items-center no-wrap" style="gap: 8px">
      <input type="checkbox" class="ld-pick" :checked="props.row.picked" :aria-label="props.row.pick_label"
          @click.stop="$parent.$emit('pick', [props.row.id, $event.target.checked])">
      <div role="status" :aria-label="props.row.grade"
           :class="'q-badge flex inline items-center no-wrap q-badge--single-line bg-'
                   + ({A: 'red', B: 'orange'}[props.row.grade] || 'grey')">{{ props.row.grade }}</div>
      <div class="text-weight-medium ellipsis">{{ props.row.name }}</div>
    </div>
    <div v-if="props.row.company" class="text-grey-8 ellipsis">{{ props.row.company }}</div>
    <div v-if="props.row.tags && props.row.tags.length" class="q-my-xs">''' + ROW_CHIPS + '''</div>
    <div v-for="col in props.cols.filter(c => c.name.startsWith('custom.') && c.value)" :key="col.name"
         class="text-caption text-grey-8 ellipsis ld-card-custom">{{ col.label }}: {{ col.value }}</div>
    <div class="row items-center justify-between no-wrap" style="gap: 8px">
      <span class="no-wrap"><a v-if="props.row.tel" :href="props.row.tel" class="text-primary ld-tel"
          @click.stop>{{ props.row.phone }}</a><template v-else>{{ props.row.phone }}</template></span>
      <span v-if="props.row.next" class="text-caption no-wrap"><i aria-hidden="true" style="font-size: 14px"
          :class="'q-icon notranslate material-icons q-mr-xs text-'
                  + ({green: 'positive', red: 'negative'}[props.row.light] || 'grey-5')">circle</i>{{
        props.row.next }}</span>
    </div>
  </div>
</div>'''
"""Below 600 px a lead is a card (Quasar's grid mode of the same rows): name, company, grade, tags,
the custom columns the user chose (label: value, only those with a value), the phone as a `tel:`
link, the next follow-up."""
ROW_STYLE = '''<style>
.ld-row:focus-visible { outline: 2px solid var(--q-primary); outline-offset: -2px; }
.ld-row:focus-visible td { background: rgba(25, 118, 210, .06); }
.ld-card .ld-tel { display: inline-block; padding: 6px 0; }
.ld-kbd { display: inline-block; min-width: 1.8em; padding: 1px 6px; border: 1px solid #bdbdbd;
          border-bottom-width: 2px; border-radius: 4px; font-family: monospace; text-align: center;
          background: #fafafa; }
.ld-copy { border: 0; background: none; padding: 2px 4px; margin-left: 2px; cursor: pointer; color: #757575;
           border-radius: 50%; vertical-align: middle; line-height: 1; }
.ld-copy:hover, .ld-copy:focus-visible { background: rgba(0, 0, 0, .08); color: inherit; }
.ld-copy .q-icon { font-size: 16px; }
</style>'''


KEYS_SCRIPT = '''<script>
if (!window.ldInboxKeys) {
  window.ldInboxKeys = true;
  let lastLead = null;  // the row j/k last moved to, by lead id: it survives the row being redrawn
  const visibleRows = () => [...document.querySelectorAll('.ld-row')].filter((r) => r.offsetParent !== null);
  document.addEventListener('focusin', (e) => {
    const row = e.target && e.target.closest && e.target.closest('.ld-row');
    if (row) lastLead = row.dataset.lead;
  });
  let pointerAt = 0;  // a click elsewhere takes the focus away on purpose: it is not given back
  document.addEventListener('pointerdown', () => { pointerAt = Date.now(); }, true);
  document.addEventListener('focusout', (e) => {
    const row = e.target;
    if (e.relatedTarget || !row.classList || !row.classList.contains('ld-row')) return;
    setTimeout(() => {  // a live refresh redrew or moved the row under the focus: give the focus back
      if (Date.now() - pointerAt < 1000) return;
      if (document.activeElement && document.activeElement !== document.body) return;
      const again = visibleRows().find((r) => r.dataset.lead === row.dataset.lead);
      if (again) again.focus({preventScroll: true});
    }, 0);
  });
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const target = e.target;
    if (target && target.closest && target.closest('input, textarea, select, [contenteditable=""], '
                                                    + '[contenteditable="true"], .q-dialog')) return;
    if (!document.querySelector('[data-testid="inbox-table"]')) return;
    const rows = visibleRows();
    if (e.key === 'j' || e.key === 'k') {
      if (!rows.length) return;
      let at = rows.indexOf(document.activeElement);
      if (at < 0 && (!document.activeElement || document.activeElement === document.body)) {
        at = rows.findIndex((r) => r.dataset.lead === lastLead);  // the focus was lost to a redraw
      }
      const next = at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + (e.key === 'j' ? 1 : -1)));
      rows[next].focus();
      rows[next].scrollIntoView({block: 'nearest'});
      e.preventDefault();
    } else if (e.key === '/') {
      const field = document.querySelector('[data-testid="inbox-search"]');
      const search = field && (field.matches('input') ? field : field.querySelector('input'));
      if (search) { search.focus(); e.preventDefault(); }
    } else if (e.key === '?') {
      emitEvent('inbox_help');
      e.preventDefault();
    }
  });
}
</script>'''
"""The inbox's keys, in the browser (no round trip to move a focus ring): j/k move between rows (or
cards), Enter opens the focused one (the row's own handler), `/` goes to search, `?` asks the server
for the list of keys. Ignored while typing in a field or with a dialog open."""
SHORTCUTS = (('j', 'inbox.key_next'), ('k', 'inbox.key_previous'), ('Enter', 'inbox.key_open'),
             ('/', 'inbox.key_search'), ('?', 'inbox.key_help'))


def _sla_text(r: LeadRow) -> str:
    if r.sla_status == 'due' and r.sla_due_at:
        return t('inbox.sla_due', at=when(r.sla_due_at))
    return t(f'inbox.sla_{r.sla_status}') if r.sla_status in ('failed', 'fulfilled') else ''


def _row(r: LeadRow, now: datetime, custom: tuple[Definition, ...] = (), tags: TagSet = NO_TAGS) -> dict:
    shown = phone(r.phone)
    values = {CUSTOM_COLUMN + d.key: display(d, r.custom.get(d.key)) for d in custom}
    return values | {'id': r.id, 'grade': r.grade, 'name': r.name, 'company': r.company or '', 'phone': shown.text,
            'tel': shown.href, 'copy': t('phone.copy'),
            'source_label': label('source', r.source), 'status_label': label('status', r.status),
            'score': r.score, 'owner': r.owner_name or t('lead.unassigned'), 'created': when(r.created_at),
            'light': traffic_light(r.next_follow_up_at, now), 'next': when(r.next_follow_up_at),
            'sla': _sla_text(r), 'sla_late': r.sla_status == 'failed', 'tags': row_tags(r.tags, tags)}


class Inbox(InboxViews):
    """One browser's inbox: its filters, its page, and the live refresh."""

    def __init__(self, desk: Desk, user: UserRef, columns: list[str] | None = None,
                 fields: CustomFields = NO_FIELDS, tags: TagSet = NO_TAGS) -> None:
        self.desk, self.user = desk, user
        self.tags = tags
        """The tag catalogue: the rows' chips and the tag filter's choices."""
        self.manager_view = reach(user).everyone or len(reach(user).owner_ids) > 1
        """Leads of more than one owner (everyone's, or a department's): the owner column and a team title."""
        self.custom = tuple(d for d in fields.definitions if not d.is_retired)
        """The active custom fields: optional columns, and the selects among them filters."""
        self.all_columns = _columns(self.manager_view, self.custom)
        known = {c['name'] for c in self.all_columns}
        self.chosen = [c for c in (columns or INBOX_COLUMNS) if c in known] or ['name']
        self.page = 1
        self.total = 0
        self.filters: dict[str, object] = {'search': '', 'status': None, 'grade': None, 'source': None,
                                           'unassigned': False, 'include_pool': False, 'agenda': None,
                                           'custom': {}, 'tags': [], 'sort': DEFAULT_SORT}
        self.sorts = sort_choices(INBOX, 'inbox.sort_', self.custom)
        """The sort control's choices (value → label): built-in orders, then filterable custom fields."""
        self.controls: dict[str, Any] = {}
        self.applying = False
        """A saved view is setting the controls: their handlers leave the reading to it."""
        self.live_marked = False
        """Marked by ui/live_views.py: a live event touched what this page shows (refreshed at the next tick)."""
        self.live: LiveViews | None = None
        self.arrived = Burst('inbox.arrived', 'inbox.arrived_many', allowed=self._toast_allowed())
        self.assigned = Burst('inbox.assigned_to_you', 'inbox.assigned_to_you_many',
                              allowed=self._toast_allowed(NotifyKind.ASSIGNED))

    def _toast_allowed(self, kind: NotifyKind | None = None) -> Callable[[], Awaitable[bool]]:
        async def allowed() -> bool:
            return bool(await run.io_bound(self.desk.team.toast_allowed, self.user, kind))
        return allowed

    def build(self, first: tuple[list[LeadRow], int] | None = None) -> None:
        """The page; with `first` (the first page, read before anything awaited the socket) the
        rows go out with the HTML instead of after the websocket connects: one round trip and one
        render fewer before a user sees their leads (bench/inbox_paint.py)."""
        self.help = self._help_dialog()
        self.bulk = BulkEdit(self.desk, self.user, filters=self.filter_args, custom=self.custom, refresh=self.refresh)
        self.bulk.cap = INBOX_COUNT_CAP  # (`_show` sets the one for the page's search)
        ui.on('inbox_help', self.help.open)
        with ui.row().classes('w-full items-center justify-between'):
            title = ('inbox.title_all' if reach(self.user).everyone else 'inbox.title_reach') if self.manager_view \
                else 'inbox.title_mine'  # a department's manager sees their department's leads, not all
            ui.label(t(title)).classes('text-h5')
            with ui.row().classes('items-center gap-1'):
                self._column_chooser()
                self.bulk.history_button()
                tid(ui.button(icon='keyboard', on_click=self.help.open)
                    .props(f'flat dense round aria-label="{t("inbox.keys_title")}"')
                    .tooltip(t('inbox.keys_title')).classes('gt-xs'), 'inbox-keys')
                tid(ui.button(t('lead.new'), icon='add',
                              on_click=lambda: open_new_lead(self.desk, self.user, self._created)), 'new-lead')
        agendas = {'all': t('inbox.agenda_all'), 'my_day': t('inbox.agenda_my_day'),
                   'due_today': t('inbox.agenda_due_today'), 'overdue': t('inbox.agenda_overdue')}
        f = self.filters  # the page's own defaults, or the view it opens on
        self.controls['agenda'] = tid(ui.toggle(agendas, value=f['agenda'] or 'all', on_change=lambda e: self._set(
            'agenda', None if e.value == 'all' else e.value)).props('dense no-caps'), 'inbox-agenda')
        self.revisits = MyDayRevisits(self.desk, self.user)
        self.revisits.build()
        with ui.row().classes('w-full items-end gap-3'):
            with ui.row().classes('w-full sm:w-auto items-end gap-1 no-wrap'):
                self.controls['search'] = tid(ui.input(t('inbox.search'), value=str(f['search']),
                                                       on_change=lambda e: self._set('search', e.value or ''))
                                              .props('dense clearable debounce=300 maxlength=100')
                                              .classes('grow sm:w-64'), 'inbox-search')
                # the order: on a desk and a phone alike (not folded with the filters)
                self.controls['sort'] = tid(ui.select(self.sorts, label=t('inbox.sort'),
                                                      value=f['sort'] if f['sort'] in self.sorts else DEFAULT_SORT,
                                                      on_change=lambda e: self._set('sort', e.value or DEFAULT_SORT))
                                            .props('dense options-dense').classes('w-32 sm:w-48'), 'inbox-sort')
                # on a phone the filters fold behind this button: the leads start above the fold
                self.filter_toggle = tid(ui.button(icon='filter_list', on_click=self._toggle_filters)
                                         .props(f'flat dense round color=grey-8 aria-label="{t("inbox.filters")}" '
                                                'aria-expanded=false').classes('xs'), 'inbox-filters-toggle')
            with ui.row().classes('gt-xs items-end gap-3') as self.filter_row:
                self.views = SavedViews(self.desk, self.user, ViewPage.INBOX, current=self.current_view,
                                        apply=self.apply_view)
                self.views.build()
                statuses = {s: t(f'status.{s}') for s in (*OPEN_STATUSES, LeadStatus.POOL, LeadStatus.CONVERTED,
                                                          LeadStatus.DISQUALIFIED)}
                self.controls['status'] = tid(ui.select(statuses, label=t('field.status'), clearable=True,
                                                        value=f['status'] if f['status'] in statuses else None,
                                                        on_change=lambda e: self._set('status', e.value))
                                              .props('dense').classes('w-40'), 'filter-status')
                grades = [g.value for g in Grade]
                self.controls['grade'] = tid(ui.select(grades, label=t('field.grade'), clearable=True,
                                                       value=f['grade'] if f['grade'] in grades else None,
                                                       on_change=lambda e: self._set('grade', e.value))
                                             .props('dense').classes('w-28'), 'filter-grade')
                sources = {s.value: t(f'source.{s.value}') for s in Source}
                self.controls['source'] = tid(ui.select(sources, label=t('field.source'), clearable=True,
                                                        value=f['source'] if f['source'] in sources else None,
                                                        on_change=lambda e: self._set('source', e.value))
                                              .props('dense').classes('w-40'), 'filter-source')
                for d in self.custom:
                    choices = {'yes': t('common.yes'), 'no': t('common.no')} if d.type == CustomFieldType.YES_NO \
                        else option_labels(d)
                    if d.type in (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT, CustomFieldType.YES_NO):
                        chosen = self._custom_filter().get(d.key)
                        self.controls[f'custom.{d.key}'] = tid(
                            ui.select(choices, label=field_label(d), clearable=True,
                                      value=chosen if chosen in choices else None,
                                      on_change=lambda e, key=d.key: self._set_custom(key, e.value))
                            .props('dense').classes('w-40'), f'filter-custom-{d.key}')
                self.tag_select = tag_filter(self.tags, lambda ids: self._set('tags', ids),
                                             value=f['tags'] if isinstance(f['tags'], list) else ())
                self.controls['tags'] = self.tag_select
                self.tag_select.set_visibility(bool(self.tags.active))
                if self.manager_view:
                    self.controls['unassigned'] = tid(ui.checkbox(
                        t('inbox.unassigned'), value=bool(f['unassigned']),
                        on_change=lambda e: self._set('unassigned', e.value)), 'filter-unassigned')
                    self.controls['include_pool'] = tid(ui.checkbox(
                        t('inbox.include_pool'), value=bool(f['include_pool']),
                        on_change=lambda e: self._set('include_pool', e.value)), 'filter-pool')
        self.bulk.build()  # the bar of ticked leads (ui/components/bulk_edit.py)
        self.table = tid(ui.table(rows=[], columns=self._shown_columns(), row_key='id')
                         .classes('w-full cursor-pointer gt-xs').props('flat bordered'), 'inbox-table')
        self.table.props['no-data-label'] = t('inbox.empty')
        self.table.add_slot('body', ROW_TEMPLATE)
        # below 600 px: the same rows as cards (Quasar's grid mode), the table hidden
        self.cards = tid(ui.table(rows=[], columns=self._shown_columns(), row_key='id')
                         .classes('w-full xs').props('grid hide-header flat'), 'inbox-cards')
        self.cards.props['no-data-label'] = t('inbox.empty')
        self.cards.add_slot('item', CARD_TEMPLATE)
        ui.add_head_html(COPY_SCRIPT + ROW_STYLE + KEYS_SCRIPT)
        for table in (self.table, self.cards):
            table.on('open', lambda e: ui.navigate.to(f'/leads/{int(e.args)}'))
        self.bulk.listen(self.table, self.cards)
        with ui.row().classes('w-full items-center justify-end gap-2'):
            self.pager = tid(ui.label(''), 'inbox-pager')
            ui.button(icon='chevron_left', on_click=lambda: self._go(-1)) \
                .props(f'flat dense aria-label="{t("common.previous_page")}"')
            ui.button(icon='chevron_right', on_click=lambda: self._go(1)) \
                .props(f'flat dense aria-label="{t("common.next_page")}"')
        events = self.desk.events
        self.client = context.client
        self.slot = context.slot
        live.subscribe(events.tags_changed, self._on_tags_changed)
        live.subscribe(events.shares_changed, self._on_shares_changed)
        # the lead events: heard once for every open inbox (ui/live_views.py), from when the socket connects
        if self.live is not None:
            self.live.join(self)
        if first is None:
            ui.timer(0, self.refresh, once=True)
        else:
            self._show(*first)
        ui.timer(0, self.views.load, once=True)
        self._mark_filters()

    def _toggle_filters(self) -> None:
        """A phone's filter button: show or fold the filters (on a desk they always show)."""
        folded = 'gt-xs' in self.filter_row.classes
        if folded:
            self.filter_row.classes(remove='gt-xs')
        else:
            self.filter_row.classes(add='gt-xs')
        self.filter_toggle.props(f'aria-expanded={"true" if folded else "false"}')
        self._mark_filters()

    def _mark_filters(self) -> None:
        """The filter button is coloured while a filter is set, so a folded filter is not forgotten."""
        f = self.filters
        active = any(f[k] for k in ('status', 'grade', 'source', 'unassigned', 'include_pool', 'custom', 'tags'))
        self.filter_toggle.props(f'color={"primary" if active else "grey-8"}')

    def _shown_columns(self) -> list[dict]:
        """The chosen columns, and the custom field the inbox is sorted by (the user sees what the
        order is by, on the phone's card too) whether chosen or not."""
        by = sorted_field(self.filters.get('sort'), self.custom)
        extra = CUSTOM_COLUMN + by.key if by is not None else None
        return [c for c in self.all_columns if c['name'] in self.chosen or c['name'] == extra]

    def _column_chooser(self) -> None:
        """Which columns show: a menu of ticks, remembered for this user (desk.team.set_inbox_columns)."""
        with tid(ui.button(icon='view_column').props(f'flat dense round aria-label="{t("inbox.columns")}"')
                 .tooltip(t('inbox.columns')).classes('gt-xs'), 'inbox-columns'):
            with ui.menu(), ui.column().classes('gap-0 q-pa-sm'):
                ui.label(t('inbox.columns')).classes('text-caption text-grey-7')
                self.column_ticks = {
                    c['name']: tid(ui.checkbox(c['label'], value=c['name'] in self.chosen,
                                               on_change=lambda e, name=c['name']: self._choose(name, e.value)),
                                   f'inbox-col-{c["name"]}')
                    for c in self.all_columns}

    async def _choose(self, name: str, shown: bool) -> None:
        if self.applying:
            return  # a view shows its columns; the user's own choice stays as it was
        chosen = [c['name'] for c in self.all_columns
                  if (c['name'] == name and shown) or (c['name'] != name and c['name'] in self.chosen)]
        if not chosen:  # the last column stays
            self.column_ticks[name].set_value(True)
            return
        if chosen == self.chosen:
            return
        self.chosen = chosen
        self.table.columns = self._shown_columns()
        self.cards.columns = self._shown_columns()
        await run.io_bound(self.desk.team.set_inbox_columns, self.user, chosen)

    def _help_dialog(self) -> ui.dialog:
        with ui.dialog() as dialog, tid(ui.card().classes('min-w-72'), 'inbox-help'):
            ui.label(t('inbox.keys_title')).classes('text-h6')
            with ui.grid(columns='auto 1fr').classes('items-center gap-x-4 gap-y-2'):
                for key, text in SHORTCUTS:
                    ui.html(f'<kbd class="ld-kbd">{key}</kbd>', sanitize=False)
                    ui.label(t(text))
            with ui.row().classes('w-full justify-end'):
                tid(ui.button(t('common.close'), on_click=dialog.close).props('flat'), 'inbox-help-close')
        return dialog

    def read(self) -> tuple[list[LeadRow], int]:
        """This page of the inbox under the current filters (a worker thread's call: it queries)."""
        return self.desk.leads.inbox(self.user, page=self.page, page_size=PAGE_SIZE, **self.filter_args())

    def filter_args(self) -> dict[str, object]:
        """The current filters as `LeadService.inbox_filter` takes them (the page and bulk edit)."""
        f = self.filters
        return {'status': f['status'], 'grade': f['grade'], 'source': f['source'], 'search': f['search'],
                'unassigned': bool(f['unassigned']), 'include_pool': bool(f['include_pool']),
                'agenda': f['agenda'], 'custom': self._custom_filter(),
                'tags': list(f['tags']) if isinstance(f['tags'], list) else [], **sort_args(f.get('sort'))}

    def _custom_filter(self) -> dict[str, object]:
        custom = self.filters['custom']
        return dict(custom) if isinstance(custom, dict) else {}

    async def refresh(self) -> None:
        try:
            result = await run.io_bound(self.read)
        except ValidationFailed as e:  # the sort's field was retired or unmarked since the page opened
            if 'sort' not in e.errors:
                raise
            ui.notify(t(f'err.field.{e.errors["sort"]}'), type='warning')
            self.filters['sort'] = DEFAULT_SORT
            self.applying = True
            try:
                self.controls['sort'].set_value(DEFAULT_SORT)
            finally:
                self.applying = False
            result = await run.io_bound(self.read)
        self._show(*result)

    def _show(self, rows: list[LeadRow], total: int) -> None:
        self.total = total
        pages = max(1, -(-self.total // PAGE_SIZE))
        self.page = min(self.page, pages)
        now = self.desk.ctx.now()
        shown = self.bulk.mark([_row(r, now, self.custom, self.tags) for r in rows])
        self.bulk.total = total
        cap = self.bulk.cap = inbox_count_cap(str(self.filters['search'] or ''))
        self.bulk.show()
        if (columns := self._shown_columns()) != self.table.columns:  # a sort by a field shows its column
            self.table.columns = columns
            self.cards.columns = columns
        if shown != self.table.rows:  # a live refresh whose rows did not change sends nothing
            show_rows(self.table, shown)
            show_rows(self.cards, list(shown))
        more = self.total > cap  # the count stopped there
        self.pager.set_text(t('inbox.pager', page=self.page, pages=f'{pages - 1}+' if more else pages,
                              total=f'{cap:,}+' if more else self.total))

    def _refresh_live(self) -> None:
        """A live event touched this page: refreshed at the next tick of the desk's `LiveViews` (a
        burst coalesces into one refresh per tick; pages showing the same view share one read)."""
        if self.live is not None:
            self.live.mark(self)

    def live_ask(self) -> LiveAsk:
        """The read this page would do now: its reader, page and filters (compared when the rows come)."""
        return self.user, self.page, self.filter_args()

    def live_key(self, ask: LiveAsk) -> str:
        """The resolved filter and page: two readers whose scope resolves alike (two managers, two
        tabs of one rep) share one read. `now` counts only for an agenda (the rest ignores it)."""
        user, page, args = ask
        f = self.desk.leads.inbox_filter(user, **args)
        if not f.agenda:
            f = replace(f, now=None, day_end=None)
        return repr((f, page))

    def live_read(self, ask: LiveAsk) -> tuple[list[LeadRow], int]:
        user, page, args = ask
        return self.desk.leads.inbox(user, page=page, page_size=PAGE_SIZE, **args)

    async def live_show(self, ask: LiveAsk, result: object) -> None:
        """The tick's rows, unless the user moved on since (a filter or page: their own refresh shows)."""
        if ask != self.live_ask():
            return
        with self.slot:
            if isinstance(result, Failed):
                await self.refresh()  # it reports a retired sort field; anything else raises there
                return
            rows, total = result  # type: ignore[misc]
            self._show(rows, total)

    def hears_captured(self, lead_id: int, owner_id: int | None) -> bool:
        if not self._concerns_me(owner_id):
            return False
        with self.slot:
            self.arrived.add()
        return True

    def hears_changed(self, lead_id: int, owner_id: int | None) -> bool:
        return self._concerns_me(owner_id, lead_id=lead_id)

    def hears_imported(self, owners: list[int | None]) -> bool:
        """An import batch (one event for its hundreds of leads): one refresh."""
        return any(in_reach(self.user, owner) for owner in owners)

    def hears_assigned(self, lead_id: int, owner_id: int | None, previous_id: int | None) -> bool:
        if not self._concerns_me(owner_id, previous_id, lead_id):
            return False
        if owner_id == self.user.id:
            with self.slot:
                self.assigned.add()
        return True

    async def _set(self, key: str, value: object) -> None:
        if self.applying or self.filters.get(key) == value:
            return  # a view is setting it (it reads once itself), or nothing changed
        self.filters[key] = value
        self.page = 1
        self.bulk.picked.clear()  # a new filter: a new selection
        self.bulk.all_matching = False
        self._mark_filters()
        if key == 'agenda':
            await self.revisits.show(value == 'my_day')
        await self.refresh()

    async def _set_custom(self, key: str, option: str | None) -> None:
        """A custom select's filter: its option key, or none (cleared)."""
        custom = {k: v for k, v in self._custom_filter().items() if k != key}
        if option:
            custom[key] = option
        await self._set('custom', custom)

    async def _go(self, step: int) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        new = min(pages, max(1, self.page + step))
        if new != self.page:
            self.page = new
            await self.refresh()

    async def _created(self, _result: CaptureResult) -> None:
        await self.refresh()

    def _concerns_me(self, owner_id: int | None, previous_id: int | None = None, lead_id: int | None = None) -> bool:
        """The lead is in this inbox's reach: by its owner (now or before) or shared with the reader."""
        return in_reach(self.user, owner_id) or (previous_id is not None and in_reach(self.user, previous_id)) \
            or reach(self.user).shares(RecordKind.LEAD, lead_id)

    async def _on_shares_changed(self, user_id: int) -> None:
        """The reader was added to or taken off a record: their reach (read when the page opened) is
        read again, so the shared lead shows, or goes, without a reload."""
        if user_id != self.user.id or reach(self.user).everyone:
            return
        fresh = await run.io_bound(self.desk.collaborators.reach_now, self.user)
        if fresh is None:  # the app stops or the page is gone
            return
        self.user = fresh
        self._refresh_live()

    async def _on_tags_changed(self) -> None:
        """A tag defined, renamed, recoloured or retired: the filter's choices and the chips follow."""
        self.tags = await run.io_bound(self.desk.tags.tag_set)
        language = current_language()
        self.tag_select.set_options({tag.id: tag.name(language) for tag in self.tags.active},
                                    value=[i for i in self.tag_select.value or [] if i in self.tags.by_id])
        self.tag_select.set_visibility(bool(self.tags.active))
        self._refresh_live()


def listen(desk: Desk) -> LiveViews:
    """The desk's open inboxes, and the lead events heard once for all of them: each marks the pages it
    concerns (flags; their reads run at the next tick, ui/live_views.py)."""
    views = LiveViews()
    events = desk.events

    def each(hears: Callable[..., bool]) -> Callable[..., None]:
        def heard(*args: Any) -> None:
            views.mark_where(lambda page: hears(page, *args))
        return heard

    events.lead_captured.subscribe(each(Inbox.hears_captured), expect_args=True)
    events.lead_touched.subscribe(each(Inbox.hears_changed), expect_args=True)
    events.lead_changed.subscribe(each(Inbox.hears_changed), expect_args=True)
    events.lead_assigned.subscribe(each(Inbox.hears_assigned), expect_args=True)
    events.leads_imported.subscribe(each(Inbox.hears_imported), expect_args=True)
    OPEN[events] = views
    return views


def forget(desk: Desk) -> None:
    """Let go of the desk's open inboxes when its app stops (see `forget_bells`)."""
    OPEN.pop(desk.events, None)


def register(desk: Desk) -> None:
    views = listen(desk)

    @ui.page('/')
    async def inbox_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        inbox = Inbox(desk, user, await run.io_bound(desk.team.inbox_columns, user),
                      await run.io_bound(desk.leads.custom_fields), await run.io_bound(desk.tags.tag_set))
        inbox.live = views
        opening = await run.io_bound(desk.views.opening_view, user, ViewPage.INBOX)
        if opening is not None:
            inbox.preset_view(opening)
        # Read before the frame: its timers await the socket, and NiceGUI sends an async page as soon
        # as anything does — so the rows would only follow over the websocket.
        first = await run.io_bound(inbox.read)
        with frame(desk, t('nav.inbox'), user):
            inbox.build(first)
        return None
