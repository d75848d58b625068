"""The scoring rules card on /rules (managers, admins): the rules in order with their points and
both labels, the highest score they can reach, add / edit in a dialog (kind, field — built-in or
custom — value, points, labels), delete, move up and down. Changes score the leads captured or
touched from now on; leads already scored keep their score until then (the card says so), or
until "rescore open leads" (one core action, batched)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from core.capture.scoring import SCORABLE_FIELDS
from core.capture.scoring_rules import ScoringRuleView, reachable
from core.custom_fields.values import Definition
from core.desk import Desk
from store.models import ScoringKind, Source, UserRef

from ..components.custom_fields import field_label
from ..components.rule_custom import testable, value_labels
from ..errors import attempt
from ..i18n import current_language, t
from ..marks import tid

BUILT_IN = (ScoringKind.PRESENT, ScoringKind.EQUALS)
VALUE_WIDGET = {ScoringKind.EQUALS: 'text', ScoringKind.SOURCE_IN: 'sources', ScoringKind.HAS_TAG: 'tag',
                ScoringKind.CUSTOM_EQUALS: 'option'}
"""Which input holds a kind's `value` (the others have none)."""


def label(rule: ScoringRuleView) -> str:
    return rule.label_en if current_language() == 'en' and rule.label_en else rule.label_zh


class ScoringPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.lead_fields: dict[str, Definition] = {}
        self.tags: dict[str, str] = {}

    def field_name(self, rule: ScoringRuleView) -> str:
        if rule.kind in (ScoringKind.CUSTOM_PRESENT, ScoringKind.CUSTOM_EQUALS):
            found = self.lead_fields.get(rule.field)
            return field_label(found) if found else rule.field
        return t(f'field.{rule.field}') if rule.field else ''

    def describe(self, rule: ScoringRuleView) -> str:
        """What the rule tests, in words: "Budget: present", "Product = A"."""
        value = rule.value
        if rule.kind == ScoringKind.CUSTOM_EQUALS:
            value = value_labels(self.lead_fields.get(rule.field)).get(value, value)
        elif rule.kind == ScoringKind.SOURCE_IN:
            value = ', '.join(t(f'source.{s}') for s in value.split(',') if s)
        elif rule.kind == ScoringKind.HAS_TAG:
            value = self.tags.get(value, value)
        return t(f'scoring.kind_{rule.kind}', field=self.field_name(rule), value=value)

    @ui.refreshable_method
    def build(self) -> None:
        rules = self.desk.scoring_rules.rules(self.user)
        self.lead_fields = {f.key: f for f in self.desk.scoring_rules.lead_fields(self.user)}
        language = current_language()
        self.tags = {tag.key: tag.name(language) for tag in self.desk.tags.tag_set().active}
        ui.label(t('scoring.title')).classes('text-h6')
        ui.label(t('scoring.hint')).classes('text-sm text-grey-7')
        tid(ui.label(t('scoring.max', score=reachable(rules))).classes('text-bold'), 'scoring-max')
        with tid(ui.column().classes('w-full gap-1'), 'scoring-rules'):
            for i, rule in enumerate(rules):
                with tid(ui.row().classes('w-full items-center gap-2 no-wrap'), f'scoring-rule-{rule.id}'):
                    points = f'{rule.points:+d}'
                    tid(ui.badge(points, color='positive' if rule.points >= 0 else 'negative'),
                        f'scoring-points-{rule.id}')
                    with ui.column().classes('gap-0 grow min-w-0'):
                        muted = '' if rule.is_active and rule.fires else ' text-grey-6 line-through'
                        ui.label(label(rule)).classes('w-full text-body2 ellipsis' + muted)
                        ui.label(f'{self.describe(rule)} · {rule.label_zh} / {rule.label_en}') \
                            .classes('w-full text-caption text-grey-7 break-words')
                        if not rule.fires:
                            ui.label(t('scoring.retired')).classes('text-caption text-negative')
                    self._buttons(rule, i, len(rules))
        with ui.row().classes('gap-2'):
            tid(ui.button(t('scoring.add'), icon='add', on_click=lambda: self.edit(None)).props('flat'),
                'scoring-add')
            tid(ui.button(t('scoring.rescore'), icon='refresh', on_click=self.rescore).props('flat'),
                'scoring-rescore')

    async def rescore(self) -> None:
        """Every open lead scored afresh with the rules as they are now (batched in core)."""
        changed: list[int] = []
        if await attempt(lambda: changed.append(self.desk.scoring_rules.rescore_open(self.user))):
            ui.notify(t('scoring.rescored', count=changed[0]), type='positive')

    def _buttons(self, rule: ScoringRuleView, index: int, count: int) -> None:
        with ui.row().classes('gap-0 no-wrap'):
            for icon, key, step, enabled in (('arrow_upward', 'up', -1, index > 0),
                                             ('arrow_downward', 'down', 1, index < count - 1)):
                tid(ui.button(icon=icon, on_click=lambda r=rule.id, s=step: self.move(r, s))
                    .props(f'flat dense size=sm aria-label="{t("rules." + key)}"'),
                    f'scoring-{key}-{rule.id}').set_enabled(enabled)
            tid(ui.button(icon='edit', on_click=lambda r=rule: self.edit(r))
                .props(f'flat dense size=sm aria-label="{t("common.edit")}"'), f'scoring-edit-{rule.id}')
            tid(ui.button(icon='delete', on_click=lambda r=rule: self.delete(r))
                .props(f'flat dense size=sm color=negative aria-label="{t("scoring.delete")}"'),
                f'scoring-delete-{rule.id}')

    async def move(self, rule_id: int, step: int) -> None:
        order = [r.id for r in self.desk.scoring_rules.rules(self.user)]
        at = order.index(rule_id)
        order[at], order[at + step] = order[at + step], order[at]
        if await attempt(lambda: self.desk.scoring_rules.reorder_rules(self.user, order)):
            self.build.refresh()

    async def delete(self, rule: ScoringRuleView) -> None:
        with ui.dialog() as dialog, tid(ui.card(), 'scoring-delete-dialog'):
            ui.label(t('scoring.delete_confirm', rule=label(rule)))
            with ui.row():
                ui.button(t('common.cancel'), on_click=lambda: dialog.submit(False)).props('flat')
                tid(ui.button(t('scoring.delete'), on_click=lambda: dialog.submit(True)).props('color=negative'),
                    'scoring-delete-confirm')
        if await dialog and await attempt(lambda: self.desk.scoring_rules.delete_rule(self.user, rule.id)):
            ui.notify(t('common.saved'), type='positive')
            self.build.refresh()

    def edit(self, rule: ScoringRuleView | None) -> None:
        RuleDialog(self, rule).open()


class RuleDialog:
    """Add or edit one rule; the inputs shown follow the kind."""

    def __init__(self, panel: ScoringPanel, rule: ScoringRuleView | None) -> None:
        self.panel, self.rule = panel, rule

    def field_choices(self, kind: str) -> dict[str, str]:
        if kind in BUILT_IN:
            return {f: t(f'field.{f}') for f in SCORABLE_FIELDS}
        fields = list(self.panel.lead_fields.values())
        if kind == ScoringKind.CUSTOM_EQUALS:
            fields = testable(fields)
        return {f.key: field_label(f) for f in fields} if kind in (ScoringKind.CUSTOM_PRESENT,
                                                                      ScoringKind.CUSTOM_EQUALS) else {}

    def open(self) -> None:
        rule = self.rule
        kind = rule.kind if rule else ScoringKind.CUSTOM_EQUALS
        with ui.dialog() as self.dialog, tid(ui.card().classes('w-full max-w-lg'), 'scoring-dialog'):
            ui.label(t('scoring.edit' if rule else 'scoring.add')).classes('text-h6')
            inputs: dict[str, Any] = {
                'kind': tid(ui.select({k.value: t(f'scoring.kind_name_{k.value}') for k in ScoringKind}, value=kind,
                                      label=t('scoring.kind'), on_change=lambda e: self.kind_changed(e.value))
                            .classes('w-full'), 'scoring-kind'),
                'field': tid(ui.select(self.field_choices(kind), value=rule.field if rule and rule.field else None,
                                       label=t('scoring.field'), on_change=lambda e: self.field_changed(e.value))
                             .classes('w-full'), 'scoring-field'),
            }
            value = rule.value if rule else ''
            self.values = {
                'text': tid(ui.input(t('scoring.value'), value=value).props('maxlength=500').classes('w-full'),
                            'scoring-value-text'),
                'sources': tid(ui.select({s.value: t(f'source.{s.value}') for s in Source}, multiple=True,
                                         value=[v for v in value.split(',') if v] if kind == ScoringKind.SOURCE_IN
                                         else [], label=t('scoring.value')).props('use-chips').classes('w-full'),
                               'scoring-value-sources'),
                'tag': tid(ui.select(self.panel.tags, value=value if kind == ScoringKind.HAS_TAG and value else None,
                                     label=t('scoring.value')).classes('w-full'), 'scoring-value-tag'),
                'option': tid(ui.select(value_labels(self.panel.lead_fields.get(rule.field if rule else '')),
                                        value=value if kind == ScoringKind.CUSTOM_EQUALS and value else None,
                                        label=t('scoring.value')).classes('w-full'), 'scoring-value-option'),
            }
            inputs['points'] = tid(ui.number(t('scoring.points'), value=rule.points if rule else 10, min=-100,
                                             max=100, precision=0).classes('w-full'), 'scoring-points')
            inputs['label_zh'] = tid(ui.input(t('scoring.label_zh'), value=rule.label_zh if rule else '')
                                     .props('maxlength=200').classes('w-full'), 'scoring-label-zh')
            inputs['label_en'] = tid(ui.input(t('scoring.label_en'), value=rule.label_en if rule else '')
                                     .props('maxlength=200').classes('w-full'), 'scoring-label-en')
            inputs['is_active'] = tid(ui.switch(t('rules.active'), value=rule.is_active if rule else True),
                                      'scoring-active')
            self.inputs = inputs
            with ui.row().classes('w-full justify-end'):
                ui.button(t('common.cancel'), on_click=self.dialog.close).props('flat')
                tid(ui.button(t('common.save'), on_click=self.save), 'scoring-save')
        self.show_value(kind)
        self.dialog.open()

    def show_value(self, kind: str) -> None:
        self.inputs['field'].set_visibility(kind not in (ScoringKind.SOURCE_IN, ScoringKind.HAS_TAG))
        for name, element in self.values.items():
            element.set_visibility(VALUE_WIDGET.get(ScoringKind(kind)) == name)

    def kind_changed(self, kind: str) -> None:
        self.inputs['field'].set_options(self.field_choices(kind), value=None)
        self.show_value(kind)

    def field_changed(self, key: str | None) -> None:
        if self.inputs['kind'].value == ScoringKind.CUSTOM_EQUALS:
            self.values['option'].set_options(value_labels(self.panel.lead_fields.get(key or '')), value=None)

    async def save(self) -> None:
        kind = self.inputs['kind'].value
        widget = VALUE_WIDGET.get(ScoringKind(kind)) if kind in ScoringKind.__members__.values() else None
        raw = self.values[widget].value if widget else ''
        value = ','.join(raw) if isinstance(raw, list) else (raw or '')
        fields = {**self.inputs, 'value': self.values[widget] if widget else self.inputs['field']}
        rule_id = self.rule.id if self.rule else None
        if await attempt(lambda: self.panel.desk.scoring_rules.save_rule(
                self.panel.user, rule_id, kind=kind, field=self.inputs['field'].value or '', value=value,
                points=self.inputs['points'].value, label_zh=self.inputs['label_zh'].value,
                label_en=self.inputs['label_en'].value, is_active=self.inputs['is_active'].value), fields):
            self.dialog.close()
            ui.notify(t('common.saved'), type='positive')
            self.panel.build.refresh()
