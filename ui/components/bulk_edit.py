"""Bulk edit on a list (core/leads/bulk.py): which records are ticked (or "all N matching" the
list's filter: the inbox's, the pool's, the customers', the board's), the action bar, the action dialog
with its preview, and the user's recent bulk edits with Undo. A list hooks it in with a few lines: the
rows' tick boxes emit `pick`, `mark` adds each row's ticked state, `total` follows the page's count (the
board: ui/components/board_bulk.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from nicegui import run, ui

from core.custom_fields.values import Definition
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from core.leads.bulk import BulkAction, BulkKind, Preview, Selection, Skip
from core.leads.bulk_matching import MatchingList
from core.leads.fields import LEAD
from core.permissions import can_assign
from core.tags.catalog import NO_TAGS
from store.models import CustomFieldType, StageKind, TagEntity, UserRef

from ..errors import message
from ..format import when
from ..i18n import current_language, t
from ..marks import tid
from .custom_fields import field_label, option_labels

RULES = 0
LEAD_KINDS = (BulkKind.SET_FIELD, BulkKind.TAG_ADD, BulkKind.TAG_REMOVE, BulkKind.DISQUALIFY, BulkKind.REASSIGN,
              BulkKind.POOL)
"""The inbox's actions; a list may offer fewer (the pool: assign and tag)."""
TAG_KINDS = (BulkKind.TAG_ADD, BulkKind.TAG_REMOVE)
CUSTOMER_KINDS = (BulkKind.TAG_ADD, BulkKind.TAG_REMOVE, BulkKind.REASSIGN, BulkKind.SET_FIELD)
"""The customer list's actions (core/customers/bulk.py): a new owner is named, no rules pick one."""
DEAL_KINDS = (BulkKind.MOVE_STAGE, BulkKind.LOSE, BulkKind.SET_FIELD, BulkKind.TAG_ADD, BulkKind.TAG_REMOVE,
              BulkKind.REASSIGN)
"""The board's actions (core/pipeline/bulk_deals.py): Won is not among them (one deal at a time)."""
DEAL_FIELDS = {'amount': 'opp.amount', 'expected_close': 'opp.expected_close'}
"""The deals' built-in fields a bulk edit sets, with their labels."""
NOUN = {TagEntity.LEAD: '', TagEntity.CUSTOMER: '_customer', TagEntity.OPPORTUNITY: '_deal'}
"""The suffix of the messages that name the records (`bulk.title_customer`: "… customers")."""
"""The rep choice that means "through the assignment rules"."""
PICK_STYLE = '''<style>
.ld-pick { width: 20px; height: 20px; margin: 0 8px 0 0; vertical-align: middle; cursor: pointer;
           accent-color: var(--q-primary); }
.ld-bulk-bar { position: sticky; bottom: 0; z-index: 5; background: var(--q-primary); color: white;
               border-radius: 8px; padding: 4px 8px; }
</style>'''


PICK_BOX = '''<input type="checkbox" class="ld-pick" :checked="props.row.picked" :aria-label="props.row.pick_label"
    @click.stop="$parent.$emit('pick', [props.row.id, $event.target.checked])">'''
"""A row's tick box in a table's slot template (rows carry `picked` and `pick_label`: `mark`)."""


class BulkEdit:
    """One list's selection of leads and its bulk actions."""

    def __init__(self, desk: Desk, user: UserRef, *, filters: Callable[[], Mapping[str, Any]],
                 custom: tuple[Definition, ...], refresh: Callable[[], Awaitable[None]],
                 kinds: Sequence[BulkKind] = LEAD_KINDS, matching: bool = True, prefix: str = '',
                 entity: TagEntity = TagEntity.LEAD, source: MatchingList = MatchingList.INBOX) -> None:
        """`kinds`: the actions this list offers (those the user may not do are left out);
        `matching`: whether "select all N matching" the list's `filters` is offered (`source`: which
        list they are of, core/leads/bulk_matching.py); `prefix`: the
        bar's markers when a page has two lists (the pool's review tab); `entity`: leads or customers
        (`custom`: that entity's fields)."""
        self.desk, self.user = desk, user
        self.filters = filters
        """The list's current filters (for the inbox `LeadService.inbox_filter`'s keywords)."""
        self.source = source
        self.custom = custom
        self.refresh = refresh
        self.tags = NO_TAGS
        """The tag catalogue as the action dialog last read it (on opening: tags defined since show)."""
        self.kinds, self.matching, self.prefix, self.entity = tuple(kinds), matching, prefix, entity
        self.leads = entity == TagEntity.LEAD
        self.deals = entity == TagEntity.OPPORTUNITY
        self.noun = NOUN[entity]
        self.picked: set[int] = set()
        self.lists: list[ui.table] = []
        """The page's tables whose rows carry tick boxes (`listen`): a tick is written back to their rows."""
        self.all_matching = False
        self.total = 0
        self.cap: int | None = None
        """Where the list stops counting (the inbox's "10,000+"): a total above it is shown as `cap+`
        (selecting all of them is refused by core: more than BULK_MAX)."""

    # ----- the selection ---------------------------------------------------------------------------

    def mark(self, rows: list[dict]) -> list[dict]:
        """Each row with whether its box is ticked (the row templates' `picked`)."""
        label = t(f'bulk.pick{self.noun}')
        for row in rows:
            row['picked'] = self.all_matching or row['id'] in self.picked
            row['pick_label'] = label
        return rows

    def listen(self, *tables: ui.table) -> None:
        """Take the `pick` events of these tables' tick boxes (rows and cards alike)."""
        for table in tables:
            self.lists.append(table)
            table.on('pick', self.pick)

    async def pick(self, e: Any) -> None:
        """A row's box: `[lead id, ticked]`."""
        lead_id, ticked = int(e.args[0]), bool(e.args[1])
        if self.all_matching:  # unticking one of "all matching": back to the rows as ticked on this page
            self.all_matching = False
        (self.picked.add if ticked else self.picked.discard)(lead_id)
        for table in self.lists:  # the row says it too: a redraw of the table keeps the tick
            for row in table.rows:
                if row.get('id') == lead_id:
                    row['picked'] = ticked
            table.update()
        self.show()

    def selection(self) -> Selection:
        if self.all_matching:
            return Selection(filters=dict(self.filters()), entity=self.entity, matching=self.source)
        return Selection(ids=tuple(self.picked), entity=self.entity)

    def count(self) -> int:
        return self.total if self.all_matching else len(self.picked)

    async def clear(self) -> None:
        if self.picked or self.all_matching:
            self.picked.clear()
            self.all_matching = False
            self.show()
            await self.refresh()

    async def _select_all(self) -> None:
        self.all_matching = True
        self.show()
        await self.refresh()

    # ----- the bar ---------------------------------------------------------------------------------

    def build(self) -> None:
        ui.add_head_html(PICK_STYLE)
        p = self.prefix
        with tid(ui.row().classes('ld-bulk-bar w-full items-center gap-1 no-wrap'), f'{p}bulk-bar') as self.bar:
            self.counter = tid(ui.label('').classes('text-weight-medium ellipsis'), f'{p}bulk-count')
            self.all_link = tid(ui.button(on_click=self._select_all).props('flat dense no-caps color=white'),
                                f'{p}bulk-select-all')
            ui.space()
            tid(ui.button(t('bulk.action'), icon='edit_note', on_click=self._open_action)
                .props('dense unelevated color=white text-color=primary no-caps'), f'{p}bulk-action')
            tid(ui.button(icon='close', on_click=self.clear)
                .props(f'flat dense round color=white aria-label="{t("bulk.clear")}"'), f'{p}bulk-clear')
        self.show()

    def history_button(self) -> None:
        """The header's button for the user's recent bulk edits (with Undo)."""
        tid(ui.button(icon='history', on_click=self._open_recent)
            .props(f'flat dense round aria-label="{t("bulk.recent")}"').tooltip(t('bulk.recent')),
            f'{self.prefix}bulk-recent')

    def show(self) -> None:
        n = self.count()
        self.bar.set_visibility(n > 0)
        every = ('bulk.all_selected_deal' if self.deals else 'bulk.all_selected' if self.leads
                 else 'bulk.all_selected_customer')
        total = f'{self.cap:,}+' if self.cap is not None and self.total > self.cap else self.total
        self.counter.set_text(t(every, count=total) if self.all_matching else t('bulk.selected', count=n))
        self.all_link.set_text(t('bulk.select_all', count=total))
        self.all_link.set_visibility(self.matching and not self.all_matching and self.total > len(self.picked))

    # ----- the action dialog -----------------------------------------------------------------------

    def _kinds(self) -> dict[str, str]:
        managing = (BulkKind.REASSIGN, BulkKind.POOL)
        kinds = [k for k in self.kinds if (k not in managing or can_assign(self.user))
                 and (k != BulkKind.SET_FIELD or self._fields()) and (k not in TAG_KINDS or self.tags.all)]
        return {k.value: t(f'bulk.kind.{k.value}') for k in kinds}

    def _fields(self) -> dict[str, str]:
        builtin = {f: t(f'field.{f}') for f in LEAD.editable} if self.leads else {}
        if self.deals:
            builtin = {f: t(key) for f, key in DEAL_FIELDS.items()}
        return builtin | {f'custom.{d.key}': field_label(d) for d in self.custom}

    async def _open_action(self) -> None:
        self.tags = await run.io_bound(self.desk.tags.tag_set)
        rules = {RULES: t('bulk.through_rules')} if self.leads else {}  # a customer's owner is named
        reps = rules | {r.id: r.name for r in await run.io_bound(self.desk.team.reps)} if can_assign(self.user) else {}
        language = current_language()
        stages: dict[int, str] = {}
        lost_reasons: dict[str, str] = {}
        if self.deals:  # the open stages a deal moves to; Lost's reasons
            stages = {s.id or 0: s.name_zh if language == 'zh-CN' else s.name_en
                      for s in await run.io_bound(self.desk.pipeline.stages) if s.kind == StageKind.OPEN}
            lost_reasons = {key: zh if language == 'zh-CN' else en
                            for key, en, zh in await run.io_bound(self.desk.pipeline.lost_reasons)}
        with ui.dialog() as dialog, tid(ui.card().classes('w-full').style('max-width: 28rem'), 'bulk-dialog'):
            ui.label(t(f'bulk.title{self.noun}', count=self.count())).classes('text-h6')
            kinds = self._kinds()
            kind = tid(ui.select(kinds, value=next(iter(kinds), None), label=t('bulk.what'))
                       .classes('w-full'), 'bulk-kind')
            with ui.column().classes('w-full gap-1') as field_box:
                field = tid(ui.select(self._fields(), value=next(iter(self._fields()), None), label=t('bulk.field'))
                            .classes('w-full'), 'bulk-field')
                value_box = ui.column().classes('w-full')
            reason = tid(ui.input(t('lead.disqualify_reason')).props('maxlength=500').classes('w-full'),
                         'bulk-reason')
            rep = tid(ui.select(reps, value=RULES if self.leads and reps else None,
                                label=t('bulk.rep' if self.leads else 'bulk.owner')).classes('w-full'), 'bulk-rep')
            tag = tid(ui.select({}, label=t('bulk.tag')).classes('w-full'), 'bulk-tag')
            stage = tid(ui.select(stages, label=t('bulk.stage')).classes('w-full'), 'bulk-stage')
            lost = tid(ui.select(lost_reasons, label=t('bulk.lost_reason')).classes('w-full'), 'bulk-lost-reason')
            note = tid(ui.input(t('pipeline.lost_note')).props('maxlength=1000').classes('w-full'), 'bulk-lost-note')
            won_hint = tid(ui.label(t('bulk.won_hint')).classes('text-caption text-grey-7'), 'bulk-won-hint')
            preview = tid(ui.label('').classes('text-body2'), 'bulk-preview')
            values: dict[str, Any] = {}

            def draw_value() -> None:
                value_box.clear()
                with value_box:
                    values['input'] = self._value_input(str(field.value))
                preview.set_text('')

            def shown() -> None:
                k = kind.value
                field_box.set_visibility(k == BulkKind.SET_FIELD)
                reason.set_visibility(k == BulkKind.DISQUALIFY)
                rep.set_visibility(k == BulkKind.REASSIGN)
                tag.set_visibility(k in TAG_KINDS)
                stage.set_visibility(k == BulkKind.MOVE_STAGE)
                won_hint.set_visibility(k == BulkKind.MOVE_STAGE)
                lost.set_visibility(k == BulkKind.LOSE)
                note.set_visibility(k == BulkKind.LOSE)
                if k in TAG_KINDS:  # put on: the active tags; taken off: retired ones too
                    shown_tags = self.tags.active if k == BulkKind.TAG_ADD else self.tags.all
                    options = {x.id: x.name(language) for x in shown_tags}
                    tag.set_options(options, value=tag.value if tag.value in options else None)
                preview.set_text('')

            def action() -> BulkAction:
                k = BulkKind(kind.value)
                setting = k == BulkKind.SET_FIELD
                if k == BulkKind.LOSE:  # the lost reason's key, the note
                    return BulkAction(k, reason=lost.value or '', value=note.value or None)
                return BulkAction(k, field=str(field.value) if setting else None,
                                  value=values['input'].value if setting else None, reason=reason.value or '',
                                  rep_id=(rep.value or None) if k == BulkKind.REASSIGN else None,
                                  tag_id=tag.value if k in TAG_KINDS else None,
                                  stage_id=stage.value if k == BulkKind.MOVE_STAGE else None)

            async def do_preview() -> Preview | None:
                try:
                    found = await run.io_bound(self.desk.bulk.preview, self.user, self.selection(), action())
                except DomainError as e:
                    preview.set_text(_problem(e))
                    return None
                preview.set_text(_preview_text(found, BulkKind(kind.value)))
                return found

            async def do_apply() -> None:
                try:
                    done = await run.io_bound(self.desk.bulk.apply, self.user, self.selection(), action())
                except DomainError as e:
                    preview.set_text(_problem(e))
                    return
                dialog.close()
                ui.notify(t(f'bulk.done{self.noun}', count=done.changed,
                            skipped=sum(done.skipped.values())), type='positive')
                self.picked.clear()
                self.all_matching = False
                self.show()
                await self.refresh()

            kind.on_value_change(shown)
            field.on_value_change(draw_value)
            draw_value()
            shown()
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(t('common.cancel'), on_click=dialog.close).props('flat')
                tid(ui.button(t('bulk.preview'), on_click=do_preview).props('outline'), 'bulk-do-preview')
                tid(ui.button(t('bulk.apply'), on_click=do_apply), 'bulk-apply')
        dialog.open()

    def _value_input(self, name: str) -> Any:
        """The value's widget: a custom select's options, yes/no, or text (empty clears the field)."""
        if self.deals and name == 'expected_close':
            return tid(ui.input(t('bulk.value'), value='').props('type=date').classes('w-full'), 'bulk-value')
        if self.deals and name == 'amount':
            return tid(ui.input(t('bulk.value')).props('inputmode=decimal prefix=¥').classes('w-full'), 'bulk-value')
        d = next((d for d in self.custom if f'custom.{d.key}' == name), None)
        if d is not None and d.type in (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT):
            return tid(ui.select(option_labels(d), label=t('bulk.value'), clearable=True,
                                 multiple=d.type == CustomFieldType.MULTI_SELECT).classes('w-full'), 'bulk-value')
        if d is not None and d.type == CustomFieldType.YES_NO:
            return tid(ui.select({True: t('common.yes'), False: t('common.no')}, label=t('bulk.value'),
                                 clearable=True).classes('w-full'), 'bulk-value')
        return tid(ui.input(t('bulk.value')).props('maxlength=5000').classes('w-full'), 'bulk-value')

    # ----- recent bulk edits and Undo ---------------------------------------------------------------

    async def _open_recent(self) -> None:
        with ui.dialog() as dialog, tid(ui.card().classes('w-full').style('max-width: 32rem'), 'bulk-recent-list'):
            ui.label(t('bulk.recent')).classes('text-h6')
            hint = 'bulk.recent_hint_deal' if self.deals else 'bulk.recent_hint'
            ui.label(t(hint)).classes('text-caption text-grey-7')
            rows = ui.column().classes('w-full gap-1')

            async def draw() -> None:
                batches = await run.io_bound(self.desk.bulk.recent, self.user)
                rows.clear()
                with rows:
                    if not batches:
                        ui.label(t('bulk.none')).classes('text-grey-7')
                    for b in batches:
                        with ui.row().classes('w-full items-center no-wrap gap-2'):
                            noun = NOUN.get(TagEntity(b.entity), '')
                            text = t(f'bulk.batch{noun}', id=b.id,
                                     what=t(f'bulk.kind.{b.action}'), count=b.changed,
                                     at=when(b.created_at))
                            ui.label(text).classes('grow')
                            if b.undone_at is not None:
                                ui.label(t('bulk.undone')).classes('text-grey-7')
                            elif b.can_undo:
                                tid(ui.button(t('bulk.undo'), on_click=lambda _e, i=b.id, of=noun: undo(i, of))
                                    .props('flat dense no-caps'), f'bulk-undo-{b.id}')

            async def undo(batch_id: int, noun: str) -> None:
                try:
                    done = await run.io_bound(self.desk.bulk.undo, self.user, batch_id)
                except DomainError as e:
                    ui.notify(message(e), type='negative')
                    return
                ui.notify(t(f'bulk.undo_done{noun}', count=done.restored,
                            stale=done.stale),
                          type='warning' if done.stale else 'positive')
                await draw()
                await self.refresh()

            await draw()
            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.close'), on_click=dialog.close).props('flat')
        dialog.open()


UNCHANGED_TEXT = {BulkKind.TAG_ADD: 'bulk.skip.has_tag', BulkKind.TAG_REMOVE: 'bulk.skip.lacks_tag'}
"""A tag action's "already so" in its own words: who already has the tag, who lacks it."""


def _preview_text(preview: Preview, kind: BulkKind) -> str:
    parts = [t('bulk.will_change', count=preview.change)]
    same = UNCHANGED_TEXT.get(kind, 'bulk.skip.unchanged')
    parts += [t(same if skip == Skip.UNCHANGED else f'bulk.skip.{skip.value}', count=n)
              for skip, n in preview.skipped.items() if n]
    return ' · '.join(parts)


def _problem(error: DomainError) -> str:
    if isinstance(error, ValidationFailed):
        return '; '.join(f'{t("bulk." + name) if name in _NAMED else name}: '
                         f'{t("err.field." + code)}' for name, code in error.errors.items())
    return message(error)



_NAMED = ('field', 'rep', 'reason', 'leads', 'tag', 'stage', 'lost_reason')
"""The request's parts a refusal names by their label (`bulk.<name>`)."""
