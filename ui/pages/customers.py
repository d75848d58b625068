"""Customers (`/customers`, 客户): accounts that bought, by tier; one customer's page
(`/customers/<id>`) with contacts and deals; the tier rules form for managers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import permissions
from core.accounts.collaborators import CollaboratorPanel
from core.accounts.grants import Grant
from core.accounts.saved_views import View
from core.custom_fields.sorting import CUSTOMERS
from core.custom_fields.values import NO_FIELDS, CustomFields, Definition
from core.customers.accounts import CustomerRow, CustomerView, TierRules
from core.desk import Desk
from core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from core.leads.bulk_matching import MatchingList
from core.pipeline.money import parse_money
from core.tags.catalog import NO_TAGS, TagSet
from store.models import RecordKind, Stage, TagEntity, Tier, UserRef, ViewPage

from .. import live
from ..components.bulk_edit import CUSTOMER_KINDS, PICK_BOX, BulkEdit
from ..components.care_panel import CarePlanForm, CustomerCare
from ..components.collaborators import CollaboratorsCard, shared_badge
from ..components.custom_fields import CustomSection, display, field_label, filter_selects, set_choice
from ..components.grant_line import GrantLine
from ..components.list_sort import default_value, sort_args, sort_choices, sorted_field
from ..components.phone import phone_link
from ..components.saved_views import SavedViews
from ..components.table import show_rows, table_region
from ..components.tags import ROW_CHIPS, RecordTags, row_tags, tag_filter
from ..errors import message
from ..format import amount_text, money, stage_name, when
from ..i18n import t
from ..marks import tid
from ..session import require_user
from ..theme import frame

PAGE_SIZE = 50
DEFAULT_SORT = default_value(CUSTOMERS)
TIER_COLORS = {Tier.VIP: 'deep-orange', Tier.REGULAR: 'primary', Tier.POTENTIAL: 'grey', Tier.DORMANT: 'blue-grey'}


def tier_label(tier: str) -> str:
    return t(f'tier.{tier}') if tier in Tier.__members__.values() else tier


def _columns(sorted_by: Definition | None = None) -> list[dict]:
    """The list's columns; sorted by a custom field, that field's value too."""
    extra = [{'name': 'sorted', 'label': field_label(sorted_by), 'field': 'sorted', 'align': 'left'}] \
        if sorted_by is not None else []
    return [
        {'name': 'name', 'label': t('customers.col_name'), 'field': 'name', 'align': 'left'},
        {'name': 'tier', 'label': t('customers.col_tier'), 'field': 'tier_label', 'align': 'left'},
        {'name': 'owner', 'label': t('field.owner'), 'field': 'owner', 'align': 'left'},
        {'name': 'ltv', 'label': t('customers.col_ltv'), 'field': 'ltv', 'align': 'right'},
        {'name': 'won', 'label': t('customers.col_won'), 'field': 'won', 'align': 'right'},
        {'name': 'last', 'label': t('customers.col_last'), 'field': 'last', 'align': 'left'},
        *extra,
    ]


def _row(r: CustomerRow, tags: TagSet = NO_TAGS, sorted_by: Definition | None = None) -> dict:
    value = display(sorted_by, r.sort_value) if sorted_by is not None and r.sort_value not in (None, '') else ''
    line = t('sort.value_line', field=field_label(sorted_by), value=value) if sorted_by and value else ''
    return {'sorted': value, 'sorted_text': line,
            'tags': row_tags(r.tags, tags), 'id': r.id, 'name': r.name, 'tier': r.tier,
            'tier_label': tier_label(r.tier),
            'color': TIER_COLORS.get(r.tier, 'grey'), 'owner': r.owner_name or t('lead.unassigned'),
            'ltv': money(r.lifetime_value_cents), 'ltv_cents': r.lifetime_value_cents, 'won': r.won_count,
            'last': when(r.last_activity_at), 'won_text': t('customers.card_won', count=r.won_count),
            'last_text': t('customers.card_last', at=when(r.last_activity_at)) if r.last_activity_at else ''}


CARD_TEMPLATE = '''
<div class="col-12 q-pa-xs" :key="props.row.id">
  <div class="q-card q-pa-sm cursor-pointer" @click="$parent.$emit('open', props.row.id)">
    <div class="row items-center justify-between no-wrap" style="gap: 8px">
      ''' + PICK_BOX + '''
      <a :href="'/customers/' + props.row.id" style="flex: 1 1 auto; min-width: 0"
         class="text-primary text-weight-medium ellipsis" @click.stop>{{
        props.row.name }}</a>
      <div :class="'q-badge flex inline items-center no-wrap q-badge--single-line bg-' + props.row.color">{{
        props.row.tier_label }}</div>
    </div>
    <div v-if="props.row.tags && props.row.tags.length">''' + ROW_CHIPS + '''</div>
    <div class="row items-center justify-between no-wrap text-caption text-grey-8" style="gap: 8px">
      <span class="ellipsis">{{ props.row.owner }}</span>
      <span class="no-wrap">{{ props.row.ltv }} · {{ props.row.won_text }}</span>
    </div>
    <div v-if="props.row.last" class="text-caption text-grey-7">{{ props.row.last_text }}</div>
    <div v-if="props.row.sorted_text" class="text-caption text-grey-8 ellipsis">{{ props.row.sorted_text }}</div>
  </div>
</div>'''
"""Below 600 px a customer is a card (Quasar's grid mode of the same rows): name, tier, owner,
lifetime value and deals won, last activity — the table's six columns did not fit a phone — and,
sorted by a custom field, that field's value."""


class CustomerList:
    """One browser's customer list: its filters, its page, refreshed when deals move."""

    def __init__(self, desk: Desk, user: UserRef, custom: tuple[Definition, ...] = (),
                 tags: TagSet = NO_TAGS) -> None:
        self.desk, self.user = desk, user
        self.page, self.total = 1, 0
        self.tags = tags
        """The tag catalogue: the rows' chips and the tag filter's choices."""
        self.tag_ids: list[int] = []
        self.tier: str | None = None
        self.search = ''
        self.custom_fields = custom
        """The customers' custom fields: the selects and yes/no among them filter the list."""
        self.custom: dict[str, str] = {}
        self.generation = 0
        """Counts refreshes: an answer to an older filter that arrives late is dropped."""
        self.applying = False
        """A saved view is setting the controls: their change handlers leave the reading to it."""
        self.sorts = sort_choices(CUSTOMERS, 'customers.sort_', custom)
        """The sort control's choices: built-in orders, then the sortable custom fields."""
        self.sort = DEFAULT_SORT
        self.bulk = BulkEdit(desk, user, filters=self.filter_args, custom=custom, refresh=self.refresh,
                             kinds=CUSTOMER_KINDS, entity=TagEntity.CUSTOMER, source=MatchingList.CUSTOMERS)

    def build(self) -> None:
        ui.label(t('nav.customers')).classes('text-h5')
        with ui.row().classes('w-full items-end gap-3'):
            self.search_input = tid(ui.input(t('customers.search'), on_change=lambda e: self._set(search=e.value or ''))
                                    .props('dense clearable debounce=300 maxlength=100').classes('w-64'),
                                    'customer-search')
            self.tier_select = tid(ui.select({tier.value: tier_label(tier) for tier in Tier},
                                             label=t('customers.col_tier'), clearable=True,
                                             on_change=lambda e: self._set(tier=e.value))
                                   .props('dense').classes('w-40'), 'filter-tier')
            self.custom_selects = filter_selects(self.custom_fields, self._set_custom)
            self.tag_select = tag_filter(self.tags, self._set_tags) if self.tags.active else None
            self.sort_select = tid(ui.select(self.sorts, label=t('customers.sort'), value=self.sort,
                                             on_change=lambda e: self._set_sort(e.value))
                                   .props('dense options-dense').classes('w-48'), 'customer-sort')
            self.views = SavedViews(self.desk, self.user, ViewPage.CUSTOMERS, current=self._current,
                                    apply=self._apply_view)
            self.views.build()
        with table_region(t('nav.customers')):
            self.table = tid(ui.table(rows=[], columns=_columns(), row_key='id')
                             .classes('w-full cursor-pointer gt-xs').props('flat bordered'), 'customers')
        # below 600 px: the same rows as cards, the table hidden
        self.cards = tid(ui.table(rows=[], columns=_columns(), row_key='id')
                         .classes('w-full xs').props('grid hide-header flat'), 'customer-cards')
        self.cards.props['no-data-label'] = t('customers.none')
        self.cards.add_slot('item', CARD_TEMPLATE)
        self.cards.on('open', lambda e: ui.navigate.to(f'/customers/{int(e.args)}'))
        self.table.props['no-data-label'] = t('customers.none')
        self.table.add_slot('body-cell-name', '''
            <q-td :props="props">''' + PICK_BOX + '''<a :href="'/customers/' + props.row.id" class="text-primary"
              @click.stop>{{
              props.value }}</a> ''' + ROW_CHIPS + '''</q-td>''')
        # (a row opens on a click; its name is the keyboard's way in)
        self.table.add_slot('body-cell-tier', '''
            <q-td :props="props"><q-badge :color="props.row.color" :label="props.value" /></q-td>''')
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/customers/{e.args[1]["id"]}'))
        self.bulk.listen(self.table, self.cards)  # a row's or a card's tick box
        self.bulk.build()  # the bar of ticked customers (ui/components/bulk_edit.py)
        with ui.row().classes('w-full items-center justify-end gap-2'):
            self.bulk.history_button()
            self.pager = tid(ui.label(''), 'customers-pager')
            ui.button(icon='chevron_left', on_click=lambda: self._go(-1)) \
                .props(f'flat dense aria-label="{t("common.previous_page")}"')
            ui.button(icon='chevron_right', on_click=lambda: self._go(1)) \
                .props(f'flat dense aria-label="{t("common.next_page")}"')
        live.subscribe(self.desk.events.opportunity_moved, self._on_moved)
        ui.timer(0, self._open, once=True)

    async def _open(self) -> None:
        """The first read: on the view the user opens this page on, if any."""
        opening = await self.views.load()
        if opening is not None:
            await self._apply_view(opening)
        else:
            await self.refresh()

    def _current(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        return {'search': self.search, 'tier': self.tier, 'custom': dict(self.custom), 'tags': list(self.tag_ids),
                'sort': self.sort}, ()

    def filter_args(self) -> dict[str, Any]:
        """The current filters and sort as `CustomerService.customer_filter` takes them (the page and
        "select all N matching")."""
        return {'tier': self.tier, 'search': self.search, 'custom': dict(self.custom) or None,
                'tags': list(self.tag_ids), **sort_args(self.sort)}

    async def _apply_view(self, view: View) -> None:
        """Set the controls to the view's filter, then read once (their own handlers only record)."""
        f = view.filters
        self.applying = True
        try:
            self.search_input.set_value(f.get('search') or '')
            fitted = set_choice(self.tier_select, f.get('tier'))
            saved = f.get('custom') if isinstance(f.get('custom'), dict) else {}
            fitted &= all(k in self.custom_selects for k in saved)
            for key, select in self.custom_selects.items():
                fitted &= set_choice(select, saved.get(key))
            wanted = [i for i in f.get('tags') or () if isinstance(i, int)]
            if self.tag_select is not None:
                kept = [i for i in wanted if i in self.tag_select.options]
                fitted &= len(kept) == len(wanted)
                self.tag_select.set_value(kept)
            else:
                fitted &= not wanted
            sort = f.get('sort') or DEFAULT_SORT  # a view saved before sorts existed: the default order
            fitted &= sort in self.sorts  # a sort field retired or no longer filterable
            self.sort_select.set_value(sort if sort in self.sorts else DEFAULT_SORT)
        finally:
            self.applying = False
        self.sort = str(self.sort_select.value or DEFAULT_SORT)
        self.search, self.tier = str(self.search_input.value or ''), self.tier_select.value
        self.custom = {k: s.value for k, s in self.custom_selects.items() if s.value}
        self.tag_ids = [int(i) for i in (self.tag_select.value or [])] if self.tag_select is not None else []
        if not fitted:
            ui.notify(t('views.not_applied', name=view.name, reason=t('views.changed_fields')), type='warning')
        self.page = 1
        await self.refresh()

    async def refresh(self) -> None:
        self.generation += 1
        generation = self.generation
        try:
            found = await run.io_bound(self.desk.customers.customers, self.user, page=self.page,
                                       page_size=PAGE_SIZE, **self.filter_args())
        except ValidationFailed as e:  # the sort's field was retired or unmarked since the page opened
            if 'sort' not in e.errors:
                raise
            ui.notify(t(f'err.field.{e.errors["sort"]}'), type='warning')
            self.sort = DEFAULT_SORT
            self.applying = True
            try:
                self.sort_select.set_value(DEFAULT_SORT)
            finally:
                self.applying = False
            await self.refresh()
            return
        if found is None or generation != self.generation:
            return
        rows, self.total = found
        pages = max(1, -(-self.total // PAGE_SIZE))
        self.page = min(self.page, pages)
        by = sorted_field(self.sort, self.custom_fields)
        if (columns := _columns(by)) != self.table.columns:  # a sort by a field shows its column
            self.table.columns = columns
            self.cards.columns = columns
        shown = self.bulk.mark([_row(r, self.tags, by) for r in rows])
        self.bulk.total = self.total
        self.bulk.show()
        show_rows(self.table, shown)
        show_rows(self.cards, list(shown))
        self.pager.set_text(t('customers.pager', page=self.page, pages=pages, total=self.total))

    async def _set(self, **filters: str | None) -> None:
        if self.applying or ('search' in filters and (filters['search'] or '') == self.search) \
                or ('tier' in filters and filters['tier'] == self.tier):
            return  # a view set it (its handler runs after the view has read), or nothing changed
        if 'search' in filters:
            self.search = filters['search'] or ''
        if 'tier' in filters:
            self.tier = filters['tier']
        self.page = 1
        await self.refresh()

    async def _set_custom(self, key: str, value: str | None) -> None:
        if self.applying or self.custom.get(key) == (value or None):
            return
        if value:
            self.custom[key] = value
        else:
            self.custom.pop(key, None)
        self.page = 1
        await self.refresh()

    async def _set_sort(self, value: object) -> None:
        value = str(value or DEFAULT_SORT)
        if self.applying or value == self.sort:
            return
        self.sort = value
        self.page = 1
        await self.refresh()

    async def _set_tags(self, ids: list[int]) -> None:
        if self.applying or ids == self.tag_ids:
            return
        self.tag_ids = ids
        self.page = 1
        await self.refresh()

    async def _go(self, step: int) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        new = min(pages, max(1, self.page + step))
        if new != self.page:
            self.page = new
            await self.refresh()

    async def _on_moved(self, _opportunity_id: int, _actor_id: int | None) -> None:
        await self.refresh()  # a won deal may have made a customer or raised a lifetime value


class TierRulesForm:
    """Managers: from which lifetime value a customer is VIP, after how many idle days dormant."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self, rules: TierRules) -> None:
        with tid(ui.card().classes('w-full'), 'tier-rules'):
            ui.label(t('customers.rules_title')).classes('text-subtitle1 font-bold')
            with ui.row().classes('items-start gap-3'):
                self.vip = tid(ui.input(t('customers.vip_min'), value=amount_text(rules.vip_min_cents))
                               .props('dense maxlength=20 inputmode=decimal').classes('w-56'), 'tier-vip-min')
                self.days = tid(ui.number(t('customers.dormant_days'), value=rules.dormant_days, min=1, max=3650,
                                          precision=0).props('dense').classes('w-56'), 'tier-dormant-days')
                tid(ui.button(t('common.save'), on_click=self.save), 'tier-save')
            ui.label(t('customers.rules_hint')).classes('text-xs text-grey-7')

    async def save(self) -> None:
        self.vip.error = self.days.error = None
        try:
            vip_cents = parse_money(self.vip.value)
        except ValueError:
            self.vip.error = t('err.field.invalid')
            return
        if self.days.value is None:
            self.days.error = t('err.field.required')
            return
        values = {'vip_min_cents': vip_cents, 'dormant_days': int(self.days.value)}
        try:
            await run.io_bound(self.desk.customers.set_tier_rules, self.user, values)
        except ValidationFailed:
            self.days.error = t('err.field.out_of_range')
            return
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        ui.notify(t('common.saved'), type='positive')


class CustomerPage:
    def __init__(self, desk: Desk, user: UserRef, view: CustomerView, stages: dict[int | None, Stage],
                 *, custom: CustomFields = NO_FIELDS, tags: RecordTags | None = None,
                 collaborators: CollaboratorPanel | None = None, grant: Grant | None) -> None:
        self.desk, self.user = desk, user
        self.view, self.stages = view, stages
        account_id = view.account.id or 0
        self.grant = GrantLine(desk, user, RecordKind.CUSTOMER, account_id, grant)
        """"Why can I see this?" under the name."""
        self.collaborators = CollaboratorsCard(desk, user, RecordKind.CUSTOMER, account_id, collaborators or
                                               CollaboratorsCard.read(desk, user, RecordKind.CUSTOMER, account_id))
        """Who else works this customer, its deals and its contacts' leads (issue 22)."""
        self.tags = tags
        """The customer's tags under its name."""
        self.custom = CustomSection(custom.definitions, on_save=self.save_custom, editable=view.can_edit)

    async def save_custom(self, values: dict[str, object]) -> bool:
        """Store the custom values that changed (the section marks its fields on ValidationFailed)."""
        if values:
            try:
                await run.io_bound(self.desk.customers.update_customer, self.user, self.view.account.id or 0,
                                   version=self.view.account.version, changes={'custom': values})
            except ValidationFailed:
                raise
            except DomainError as e:
                ui.notify(message(e), type='negative', multi_line=True)
                return False
            view = await run.io_bound(self.desk.customers.customer, self.user, self.view.account.id or 0)
            if view is not None:
                self.view = view
                self.custom.show(view.account.custom or {}, editable=view.can_edit)
        ui.notify(t('common.saved'), type='positive')
        return True

    def build(self) -> None:
        a = self.view.account
        ui.link(t('customer.back'), '/customers')
        with ui.row().classes('w-full items-center gap-3'):
            tid(ui.label(a.name).classes('text-h5'), 'customer-name')
            tid(ui.badge(tier_label(a.tier), color=TIER_COLORS.get(a.tier, 'grey')), 'customer-tier')
            shared_badge(self.collaborators.panel)
            ui.space()
            tid(ui.label(t('lead.owner_is', owner=self.view.owner_name or t('lead.unassigned')))
                .classes('text-grey-8'), 'customer-owner')
        self.grant.render()
        if self.tags is not None:
            self.tags.build()
        with ui.card().classes('w-full'), ui.grid(columns=2).classes('w-full gap-x-8 gap-y-1'):
            for key, value, mark in (
                    ('customers.col_ltv', money(a.lifetime_value_cents), 'customer-ltv'),
                    ('customers.col_won', str(a.won_count), 'customer-won'),
                    ('customers.col_last', when(a.last_activity_at), 'customer-last'),
                    ('customer.since', when(a.created_at), 'customer-since')):
                ui.label(t(key)).classes('text-grey-7')
                tid(ui.label(value), mark)
        self.custom.render(a.custom or {})
        with ui.row().classes('w-full gap-4 items-start no-wrap max-md:flex-wrap'):
            with ui.card().classes('flex-1 min-w-80'):
                ui.label(t('customer.contacts')).classes('text-subtitle1 font-bold')
                with tid(ui.column().classes('w-full gap-2'), 'contacts'):
                    if not self.view.contacts:
                        ui.label(t('customer.no_contacts')).classes('text-grey-7')
                    for c in self.view.contacts:
                        with ui.column().classes('gap-0'):
                            ui.label(c.name + (f' · {c.title}' if c.title else '')).classes('font-medium')
                            with ui.row().classes('items-center gap-2 text-sm text-grey-8'):
                                phone_link(c.phone, f'contact-phone-{c.id}')
                                details = ' · '.join(x for x in (c.email, c.wechat) if x)
                                if details:
                                    ui.label(details)
            with ui.card().classes('flex-1 min-w-80'):
                ui.label(t('customer.deals')).classes('text-subtitle1 font-bold')
                with tid(ui.column().classes('w-full gap-2'), 'deals'):
                    if not self.view.opportunities:
                        ui.label(t('customer.no_deals')).classes('text-grey-7')
                    for o in self.view.opportunities:
                        with ui.row().classes('w-full items-center gap-3'):
                            tid(ui.link(o.name, f'/opportunities/{o.id}'), f'deal-{o.id}')
                            ui.badge(stage_name(self.stages.get(o.stage_id)) or f'#{o.stage_id}').props('outline')
                            ui.space()
                            ui.label(money(o.amount_cents)).classes('font-mono')
                            if o.expected_close:
                                ui.label(o.expected_close.isoformat()).classes('text-grey-7 text-sm')
        with ui.element('div').classes('w-96 max-w-full'):
            self.collaborators.render()


def register(desk: Desk) -> None:
    @ui.page('/customers')
    async def customers_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        # read before the frame starts its timers, so the first response carries the whole page
        rules = await run.io_bound(desk.customers.tier_rules) if permissions.can_assign(user) else None
        plan = await run.io_bound(desk.care.plan) if permissions.can_assign(user) else None
        custom = await run.io_bound(desk.customers.custom_fields)
        tags = await run.io_bound(desk.tags.tag_set)
        with frame(desk, t('nav.customers'), user):
            CustomerList(desk, user, custom.definitions, tags).build()
            if rules is not None:
                TierRulesForm(desk, user).build(rules)
            if plan is not None:
                CarePlanForm(desk, user).build(plan)
        return None

    @ui.page('/customers/{account_id}')
    async def customer_page(request: Request, account_id: str) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        refused = None
        try:
            view = await run.io_bound(desk.customers.customer, user, int(account_id))
            care = await run.io_bound(desk.care.care_view, user, int(account_id))
            stages = {s.id: s for s in await run.io_bound(desk.pipeline.stages)}
            custom = await run.io_bound(desk.customers.custom_fields)
            tags = await run.io_bound(RecordTags.read, desk, user, TagEntity.CUSTOMER, int(account_id))
            collaborators = await run.io_bound(CollaboratorsCard.read, desk, user, RecordKind.CUSTOMER, int(account_id))
            grant = await run.io_bound(GrantLine.read, desk, user, RecordKind.CUSTOMER, int(account_id))
        except (NotFound, ValueError):
            refused = 'not-found'
        except NotAllowed:
            refused = 'not-allowed'
        with frame(desk, t('customer.title'), user):
            if refused == 'not-found':
                tid(ui.label(t('err.not_found')).classes('text-h6'), 'not-found')
            elif refused == 'not-allowed':
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                ui.link(t('customer.back'), '/customers')
            else:
                editable = permissions.can_tag_customer(user, view.account.owner_id)
                CustomerPage(desk, user, view, stages, custom=custom, collaborators=collaborators, grant=grant,
                             tags=RecordTags(desk, user, TagEntity.CUSTOMER, view.account.id or 0, editable=editable,
                                        read=tags)).build()
                CustomerCare(desk, user, care).build()
        return None
