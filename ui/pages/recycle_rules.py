"""The recycle rules editor on the automation page: an ordered list, each rule a condition (one custom
field, grades, a tag, the linked customer's tier) and "never recycle", "recycle N days later" or
"send to pool X"; saved as a whole (core checks it
all and names each bad input, which shows under that input; what was typed stays)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import run, ui

from core.automation.recycle_rules import Broken, RecycleAction, ResolvedRule
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from store.models import Grade, Tier, UserRef

from ..components.rule_custom import CustomCondition
from ..errors import message, show_field_errors
from ..i18n import t
from ..marks import tid
from .pools import pool_label
from .rules import active_tags

GRADES = [g.value for g in Grade]
BROKEN = {Broken.FIELD: 'recycle.broken_field', Broken.OPTION: 'recycle.broken_option',
          Broken.TAG: 'recycle.broken_tag', Broken.POOL: 'recycle.broken_pool'}


def _row(resolved: ResolvedRule | None) -> dict[str, Any]:
    if resolved is None:
        return {'name': '', 'custom_key': '', 'custom_values': [], 'grades': [], 'tag_key': '', 'tiers': [],
                'action': RecycleAction.NEVER.value, 'days': None, 'pool_id': None, 'broken': None}
    rule = resolved.rule
    return rule.to_dict() | {'days': rule.days or None, 'broken': resolved.broken}


class RecycleRulesEditor:
    def __init__(self, desk: Desk, user: UserRef, on_saved: Callable[[], Awaitable[None]] | None = None) -> None:
        self.desk, self.user, self.on_saved = desk, user, on_saved
        self.rows: list[dict[str, Any]] = []
        self.inputs: list[dict[str, Any]] = []
        self.lead_fields: list[Any] = []
        self.tags: dict[str, str] = {}
        self.pools: dict[int, str] = {}

    def build(self, rules: list[ResolvedRule]) -> None:
        self.rows = [_row(r) for r in rules]
        self.lead_fields = self.desk.scoring_rules.lead_fields(self.user)
        self.tags = active_tags(self.desk)
        self.pools = {p.id: pool_label(p) for p in self.desk.pools.pools()}
        with tid(ui.card().classes('w-full'), 'recycle-rules'):
            ui.label(t('recycle.title')).classes('text-h6')
            ui.label(t('recycle.hint')).classes('text-sm text-grey-8')
            self.body()
            with ui.row().classes('w-full items-center gap-3'):
                tid(ui.button(t('recycle.add'), icon='add', on_click=self.add).props('flat'), 'recycle-add')
                tid(ui.button(t('recycle.save'), icon='save', on_click=self.save), 'recycle-save')

    @ui.refreshable_method
    def body(self) -> None:
        self.inputs = []
        if not self.rows:
            tid(ui.label(t('recycle.empty')).classes('text-grey-7'), 'recycle-empty')
        for i, row in enumerate(self.rows):
            self.inputs.append(self._line(i, row))

    def _line(self, i: int, row: dict[str, Any]) -> dict[str, Any]:
        prefix = f'recycle-{i}'
        line = ui.row().classes('w-full items-end gap-2 pb-2').style('border-bottom: 1px solid #e0e0e0')
        with tid(line, prefix):
            with ui.column().classes('gap-0'):
                tid(ui.button(icon='arrow_upward', on_click=lambda i=i: self.move(i, -1))
                    .props(f'flat dense size=sm aria-label="{t("rules.up")}"').tooltip(t('rules.up')),
                    f'{prefix}-up').set_enabled(i > 0)
                tid(ui.button(icon='arrow_downward', on_click=lambda i=i: self.move(i, 1))
                    .props(f'flat dense size=sm aria-label="{t("rules.down")}"').tooltip(t('rules.down')),
                    f'{prefix}-down').set_enabled(i < len(self.rows) - 1)
            name = tid(ui.input(t('recycle.name'), value=row['name']).props('dense maxlength=80').classes('w-44'),
                       f'{prefix}-name')
            custom = CustomCondition(self.lead_fields, key=row['custom_key'], values=row['custom_values'],
                                     prefix=prefix)
            grades = tid(ui.select(GRADES, multiple=True, value=list(row['grades']), label=t('recycle.grades'))
                         .props('dense use-chips clearable').classes('w-32'), f'{prefix}-grades')
            tag_options = ({row['tag_key']: row['tag_key']} if row['tag_key'] else {}) | self.tags
            tag = tid(ui.select(tag_options, value=row['tag_key'] or None, label=t('recycle.tag'), clearable=True)
                      .props('dense').classes('w-36'), f'{prefix}-tag')
            tiers = tid(ui.select({x.value: t(f'tier.{x.value}') for x in Tier}, multiple=True,
                                  value=list(row.get('tiers') or []), label=t('recycle.tiers'))
                        .props('dense use-chips clearable').classes('w-40'), f'{prefix}-tiers')
            actions = {RecycleAction.NEVER.value: t('recycle.never'), RecycleAction.LATER.value: t('recycle.later'),
                       RecycleAction.POOL.value: t('recycle.to_pool')}
            action = tid(ui.select(actions, value=row['action'], label=t('recycle.action')).props('dense')
                         .classes('w-40'), f'{prefix}-action')
            pool = tid(ui.select(self.pools, value=row.get('pool_id'), label=t('recycle.pool')).props('dense')
                       .classes('w-40'), f'{prefix}-pool')
            pool.bind_visibility_from(action, 'value', backward=lambda v: v == RecycleAction.POOL.value)
            days = tid(ui.number(t('recycle.days'), value=row['days'], min=1, max=365, precision=0,
                                 suffix=t('unit.days')).props('dense').classes('w-28'), f'{prefix}-days')
            days.bind_visibility_from(action, 'value', backward=lambda v: v == RecycleAction.LATER.value)
            tid(ui.button(icon='delete', on_click=lambda i=i: self.remove(i))
                .props(f'flat dense color=negative aria-label="{t("recycle.remove")}"').tooltip(t('recycle.remove')),
                f'{prefix}-remove')
            if row.get('broken'):
                with ui.row().classes('w-full items-center gap-1 text-orange-10'):
                    ui.icon('warning')
                    tid(ui.label(t(BROKEN[row['broken']])), f'{prefix}-broken')
        return {'name': name, 'custom_key': custom.key, 'custom_values': custom.values, 'grades': grades,
                'tag_key': tag, 'tiers': tiers, 'action': action, 'days': days, 'pool_id': pool}

    # ----- the list as typed ----------------------------------------------------------------------

    def _typed(self) -> list[dict[str, Any]]:
        """The rows as they are on screen now (kept across add / move / remove and a refused save)."""
        typed = []
        for row, inputs in zip(self.rows, self.inputs, strict=True):
            values = inputs['custom_values'].value
            typed.append(row | {
                'name': inputs['name'].value or '', 'custom_key': inputs['custom_key'].value or '',
                'custom_values': values if isinstance(values, list) else ([values] if values else []),
                'grades': list(inputs['grades'].value or []), 'tag_key': inputs['tag_key'].value or '',
                'tiers': list(inputs['tiers'].value or []), 'action': inputs['action'].value,
                'days': inputs['days'].value, 'pool_id': inputs['pool_id'].value})
        return typed

    def add(self) -> None:
        self.rows = [*self._typed(), _row(None)]
        self.body.refresh()

    def remove(self, i: int) -> None:
        rows = self._typed()
        del rows[i]
        self.rows = rows
        self.body.refresh()

    def move(self, i: int, step: int) -> None:
        rows = self._typed()
        j = i + step
        if 0 <= j < len(rows):
            rows[i], rows[j] = rows[j], rows[i]
        self.rows = rows
        self.body.refresh()

    async def save(self) -> None:
        rows = self._typed()
        for inputs in self.inputs:
            for element in inputs.values():
                element.error = None
        payload = [{k: v for k, v in row.items() if k != 'broken'} for row in rows]
        try:
            saved = await run.io_bound(self.desk.recycle_rules.save, self.user, payload)
        except ValidationFailed as e:
            fields = {f'rule{i}.{name}': element for i, inputs in enumerate(self.inputs)
                      for name, element in inputs.items()}
            fields |= {f'rule{i}.condition': inputs['custom_key'] for i, inputs in enumerate(self.inputs)}
            show_field_errors(e, fields)
            ui.notify(t('recycle.not_saved'), type='negative')
            return  # what was typed stays on screen
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.rows = [_row(r) for r in saved]
        self.body.refresh()
        ui.notify(t('common.saved'), type='positive')
        if self.on_saved is not None:
            await self.on_saved()
