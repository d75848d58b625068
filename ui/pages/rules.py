"""Assignment rules (`/rules`, managers and admins): the ordered rules edited in place,
dragged (or moved up and down) into order, added, and a box that says who a sample lead would go
to now. Conditions: source, grade, region, industry, score range, tags, one custom field (a select or
yes/no); targets: some reps or all, optionally within a department subtree. The scoring rules have
their own card (scoring_rules.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from nicegui.events import SortableEventArguments

from core import permissions
from core.assignment.rules import RuleView
from core.desk import Desk
from core.errors import DomainError, ValidationFailed
from store.models import CustomFieldType, Grade, Source, Strategy, UserRef

from ..components.department_settings import department_options
from ..components.rule_custom import CustomCondition
from ..errors import attempt, clear_field_errors, message, show_field_errors
from ..i18n import current_language, reason, t
from ..marks import tid
from ..session import require_user
from ..theme import frame
from .scoring_rules import ScoringPanel

GRADES = [g.value for g in Grade]


def _strategies() -> dict[str, str]:
    return {s.value: t(f'rules.strategy_{s.value}') for s in Strategy}


def active_tags(desk: Desk) -> dict[str, str]:
    """The active tags by key, each named in the page's language."""
    language = current_language()
    return {tag.key: tag.name(language) for tag in desk.tags.tag_set().active}


def _sources() -> dict[str, str]:
    return {s.value: t(f'source.{s.value}') for s in Source}


class RulesPanel:
    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user
        self.rule_of_element: dict[int, int] = {}
        self.order: list[int] = []
        self.reps: dict[int, str] = {}
        self.tags: dict[str, str] = {}
        """The active tags by key, named in the page's language: the "has tag" condition's choices."""
        self.lead_fields: list[Any] = []
        """The active lead custom fields (the custom condition offers the selects and yes/no ones)."""
        self.departments: dict[int, str] = {}
        """The departments a rule may target, indented by depth."""

    def fields(self, rule: RuleView | None, prefix: str) -> dict[str, Any]:
        """The editable inputs of one rule (a blank set for a new one), in one row."""
        inputs = {
            'name': tid(ui.input(t('rules.name'), value=rule.name if rule else '')
                        .props('dense maxlength=120').classes('w-48'), f'{prefix}-name'),
            'strategy': tid(ui.select(_strategies(), value=rule.strategy if rule else Strategy.LEAST_LOADED.value,
                                      label=t('rules.strategy')).props('dense').classes('w-44'),
                            f'{prefix}-strategy'),
            'match_sources': tid(ui.select(_sources(), multiple=True, value=rule.match_sources if rule else [],
                                           label=t('rules.sources')).props('dense use-chips').classes('w-56'),
                                 f'{prefix}-sources'),
            'match_grades': tid(ui.select(GRADES, multiple=True, value=rule.match_grades if rule else [],
                                          label=t('rules.grades')).props('dense use-chips').classes('w-32'),
                                f'{prefix}-grades'),
            'match_regions': tid(ui.input(t('rules.regions'), value=', '.join(rule.match_regions) if rule else '')
                                 .props('dense maxlength=500').classes('w-44'), f'{prefix}-regions'),
            'match_industries': tid(ui.input(t('rules.industries'),
                                             value=', '.join(rule.match_industries) if rule else '')
                                    .props('dense maxlength=500').classes('w-44'), f'{prefix}-industries'),
            'min_score': tid(ui.number(t('rules.min_score'), value=rule.min_score if rule else None, min=0, max=100,
                                       precision=0).props('dense').classes('w-24'), f'{prefix}-min-score'),
            'max_score': tid(ui.number(t('rules.max_score'), value=rule.max_score if rule else None, min=0, max=100,
                                       precision=0).props('dense').classes('w-24'), f'{prefix}-max-score'),
            'match_tags': tid(ui.select({k: k for k in (rule.match_tags if rule else [])} | self.tags,
                                        multiple=True, value=rule.match_tags if rule else [], label=t('rules.tags'))
                              .props('dense use-chips clearable').classes('w-48'), f'{prefix}-tags'),
            'rep_ids': tid(ui.select(self.reps, multiple=True, value=rule.rep_ids if rule else [],
                                     label=t('rules.reps')).props('dense use-chips clearable').classes('w-56'),
                           f'{prefix}-reps'),
            'department_id': tid(ui.select(self.departments, value=rule.department_id if rule else None,
                                           label=t('rules.department')).props('dense clearable').classes('w-48'),
                                 f'{prefix}-department'),
        }
        custom = CustomCondition(self.lead_fields, key=rule.match_custom_key if rule else '',
                                 values=rule.match_custom_values if rule else [], prefix=prefix)
        return inputs | {'match_custom_key': custom.key, 'match_custom_values': custom.values}

    @ui.refreshable_method
    def build(self) -> None:
        ui.label(t('rules.hint')).classes('text-sm text-grey-7')
        rules = self.desk.rules.rules(self.user)
        self.reps = {r.id: r.name for r in self.desk.team.reps()}
        self.departments = department_options(self.desk.departments.tree(self.user), indent=True)
        self.tags = active_tags(self.desk)
        self.lead_fields = self.desk.scoring_rules.lead_fields(self.user)
        self.order = [r.id for r in rules]
        self.rule_of_element = {}
        with tid(ui.column().classes('w-full gap-2'), 'rules') as box:
            for i, rule in enumerate(rules):
                row = ui.row().classes('w-full items-end gap-2 pb-2').style('border-bottom: 1px solid #e0e0e0')
                with tid(row, f'rule-{rule.id}') as line:
                    self.rule_of_element[line.id] = rule.id
                    ui.icon('drag_indicator', size='sm').classes('ld-rule-handle cursor-grab text-grey-6 self-center') \
                        .tooltip(t('rules.drag'))
                    with ui.column().classes('gap-0'):
                        tid(ui.button(icon='arrow_upward', on_click=lambda rid=rule.id: self.move(rid, 'up'))
                            .props(f'flat dense size=sm aria-label="{t("rules.up")}"')
                            .tooltip(t('rules.up')), f'rule-up-{rule.id}') \
                            .set_enabled(i > 0)
                        tid(ui.button(icon='arrow_downward', on_click=lambda rid=rule.id: self.move(rid, 'down'))
                            .props(f'flat dense size=sm aria-label="{t("rules.down")}"')
                            .tooltip(t('rules.down')), f'rule-down-{rule.id}') \
                            .set_enabled(i < len(rules) - 1)
                    fields = self.fields(rule, f'rule-{rule.id}')
                    active = tid(ui.switch(t('rules.active'), value=rule.is_active), f'rule-{rule.id}-active')
                    tid(ui.button(icon='save', on_click=lambda f=fields, a=active, r=rule:
                                  self.save(r.id, f, is_active=a.value, position=r.position))
                        .props(f'flat dense aria-label="{t("common.save")}"')
                        .tooltip(t('common.save')), f'rule-save-{rule.id}')
        box.make_sortable({'handle': '.ld-rule-handle'}, on_end=self.dropped)
        ui.separator()
        ui.label(t('rules.add')).classes('text-subtitle1')
        with tid(ui.row().classes('w-full items-end gap-2'), 'rule-new'):
            fields = self.fields(None, 'new-rule')
            last = max((r.position for r in rules), default=-1)
            fields['position'] = tid(ui.number(t('rules.position'), value=min(last + 1, 1000), min=0, max=1000,
                                               precision=0).props('dense').classes('w-20'), 'new-rule-position')
            tid(ui.button(t('rules.add'), icon='add', on_click=lambda f=fields: self.save(None, f, is_active=True)),
                'new-rule-save')

    async def save(self, rule_id: int | None, fields: dict[str, Any], *, is_active: bool,
                   position: int | None = None) -> None:
        values = {k: v.value for k, v in fields.items()}
        if position is not None:
            values['position'] = position
        if not await attempt(lambda: self.desk.rules.save_rule(self.user, rule_id, is_active=is_active, **values),
                             fields):
            return
        ui.notify(t('common.saved'), type='positive')
        self.build.refresh()

    async def move(self, rule_id: int, direction: str) -> None:
        if await attempt(lambda: self.desk.rules.move_rule(self.user, rule_id, direction)):
            self.build.refresh()

    async def dropped(self, e: SortableEventArguments) -> None:
        """A rule dragged to a new place: save the whole order (refused if the list changed meanwhile)."""
        rule_id = self.rule_of_element.get(e.item.id)
        order = [r for r in self.order if r != rule_id]
        if rule_id is not None and e.old_index != e.new_index:
            order.insert(e.new_index, rule_id)
            if await attempt(lambda: self.desk.rules.reorder_rules(self.user, order)):
                ui.notify(t('common.saved'), type='positive')
        self.build.refresh()


class SampleBox:
    """Who would a lead like this get right now, and why."""

    def __init__(self, desk: Desk, user: UserRef) -> None:
        self.desk, self.user = desk, user

    def build(self) -> None:
        ui.label(t('rules.test_title')).classes('text-h6')
        with ui.row().classes('items-end gap-2'):
            fields = {
                'source': tid(ui.select(_sources(), value=Source.WEBSITE.value, label=t('rules.test_source'))
                              .props('dense').classes('w-44'), 'test-source'),
                'grade': tid(ui.select(GRADES, value=Grade.B.value, label=t('rules.test_grade'))
                             .props('dense').classes('w-24'), 'test-grade'),
                'region': tid(ui.input(t('rules.test_region')).props('dense maxlength=100').classes('w-44'),
                              'test-region'),
                'industry': tid(ui.input(t('rules.test_industry')).props('dense maxlength=100').classes('w-44'),
                                'test-industry'),
                'score': tid(ui.number(t('rules.test_score'), value=50, min=0, max=100, precision=0)
                             .props('dense').classes('w-24'), 'test-score'),
                'tags': tid(ui.select(active_tags(self.desk), multiple=True, value=[], label=t('rules.test_tags'))
                            .props('dense use-chips').classes('w-44'), 'test-tags'),
            }
            self.custom = CustomCondition(self.desk.scoring_rules.lead_fields(self.user), prefix='test', single=True)
            tid(ui.button(t('rules.test_run'), icon='science', on_click=lambda: self.run(fields)), 'test-run')
        with ui.column().classes('gap-1'):
            self.rep = tid(ui.label('').classes('text-bold'), 'test-rep')
            self.why = tid(ui.label('').classes('text-grey-8'), 'test-reason')

    async def run(self, fields: dict[str, Any]) -> None:
        clear_field_errors(fields)
        try:
            outcome = await run.io_bound(lambda: self.desk.rules.test_rule(
                self.user, source=fields['source'].value, grade=fields['grade'].value,
                region=fields['region'].value or None, industry=fields['industry'].value or None,
                score=fields['score'].value, tags=list(fields['tags'].value or []), custom=self.sample_custom()))
        except ValidationFailed as e:
            show_field_errors(e, fields | {f'custom.{self.custom.key.value}': self.custom.values})
            return
        except DomainError as e:
            ui.notify(message(e), type='negative')
            return
        self.rep.set_text(t('rules.test_pool') if outcome.pooled else outcome.rep_name or '')
        self.why.set_text(reason(outcome.reason_key, outcome.params))


    def sample_custom(self) -> dict[str, Any]:
        """The sample's custom value, as a capture would send it (a multi select's as a list)."""
        key, value = self.custom.key.value, self.custom.values.value
        if not key or value in (None, ''):
            return {}
        field = self.custom.fields.get(key)
        return {key: [value] if field is not None and field.type == CustomFieldType.MULTI_SELECT else value}


def register(desk: Desk) -> None:
    @ui.page('/rules')
    def rules_page(request: Request) -> RedirectResponse | None:
        user = require_user(desk, request)
        if isinstance(user, RedirectResponse):
            return user
        with frame(desk, t('nav.rules'), user):
            if not permissions.can_assign(user):
                tid(ui.label(t('err.not_allowed')).classes('text-h6 text-negative'), 'not-allowed')
                return None
            ui.label(t('rules.title')).classes('text-h5')
            with ui.card().classes('w-full'):
                RulesPanel(desk, user).build()
            with ui.card().classes('w-full'):
                SampleBox(desk, user).build()
            with ui.card().classes('w-full'):
                ScoringPanel(desk, user).build()
        return None
