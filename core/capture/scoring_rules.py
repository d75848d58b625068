"""The scoring rules editor (managers, admins): list, save (add or edit), delete, reorder.

Every rule that fires adds its points (the order is only how the editor and a lead's reasons list
them). A change is a write to `scoring_rules`, which the config token watches
(store/config_version.py): the next capture reads the rules afresh. Leads already scored keep their
score until something touches them (a capture of a twin, an edit, a merge, a tag)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import permissions
from core.capture.scoring import CUSTOM_KINDS, SCORABLE_FIELDS, rescore
from core.context import Context, audit
from core.custom_fields.conditions import check_key, check_values
from core.custom_fields.values import CustomFields, Definition
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text
from core.tags.catalog import TagSet
from core.tags.records import lead_rule_tags
from store import queries
from store.audit_actions import AuditAction
from store.models import ScoringKind, ScoringRule, Source, UserRef

POINTS_RANGE = (-100, 100)
LABEL_MAX = 200
VALUE_MAX = 500
RESCORE_BATCH = 500
"""Leads rescored per transaction: a long rescore never holds the writer lock for long."""
MAX_SCORE = 100
"""A lead's score is clamped to 0–100 (core/capture/scoring.py `score_lead`)."""


@dataclass(frozen=True, slots=True)
class ScoringRuleView:
    id: int
    position: int
    kind: str
    field: str
    value: str
    points: int
    label_zh: str
    label_en: str
    is_active: bool
    fires: bool = True
    """False for a rule on a custom field retired since: it never fires until the field is restored."""


def reachable(rules: Sequence[ScoringRuleView]) -> int:
    """The highest score a lead can reach with these rules: every positive rule that can fire, capped."""
    return min(MAX_SCORE, sum(r.points for r in rules if r.is_active and r.fires and r.points > 0))


def _view(row: ScoringRule, fields: CustomFields) -> ScoringRuleView:
    return ScoringRuleView(id=row.id or 0, position=row.position, kind=row.kind, field=row.field, value=row.value,
                           points=row.points, label_zh=row.label_zh, label_en=row.label_en, is_active=row.is_active,
                           fires=row.kind not in CUSTOM_KINDS or row.field in fields.active)


def _points(value: Any, errors: dict[str, str]) -> int:
    try:
        number = int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        errors['points'] = 'invalid'
        return 0
    if not POINTS_RANGE[0] <= number <= POINTS_RANGE[1]:
        errors['points'] = 'out_of_range'
    return number


def _label(value: str | None, name: str, errors: dict[str, str]) -> str:
    text = clean_text(value, max_length=LABEL_MAX + 1) or ''
    if not text:
        errors[name] = 'required'
    elif len(text) > LABEL_MAX:
        errors[name] = 'too_long'
    return text


def check_target(kind: str, field: str, value: str, *, fields: CustomFields, tags: TagSet,
                 errors: dict[str, str]) -> tuple[str, str]:
    """The (field, value) a rule of `kind` stores, or `errors` naming `kind`, `field` or `value`."""
    if kind in (ScoringKind.PRESENT, ScoringKind.EQUALS):
        if field not in SCORABLE_FIELDS:
            errors['field'] = 'invalid'
        if kind == ScoringKind.PRESENT:
            return field, ''
        if not value:
            errors['value'] = 'required'
        elif len(value) > VALUE_MAX:
            errors['value'] = 'too_long'
        return field, value
    if kind == ScoringKind.SOURCE_IN:
        sources = [s.strip().lower() for s in value.replace('，', ',').split(',') if s.strip()]
        if not sources:
            errors['value'] = 'required'
        elif any(s not in Source.__members__.values() for s in sources):
            errors['value'] = 'invalid'
        return 'source', ','.join(dict.fromkeys(sources))
    if kind == ScoringKind.HAS_TAG:
        try:
            ids = tags.resolve([value] if value else [], field='value')
        except ValidationFailed as e:
            errors.update(e.errors)
            return '', value
        if not ids:
            errors['value'] = 'required'
        return '', next(iter(tags.keys(ids)), '')
    if kind == ScoringKind.CUSTOM_PRESENT:
        if field in fields.retired:
            errors['field'] = 'retired_field'
        elif field not in fields.active:
            errors['field'] = 'unknown_field'
        return field, ''
    if kind == ScoringKind.CUSTOM_EQUALS:
        found = check_key(fields, field, errors, 'field')
        if found is None:
            return field, value
        chosen = check_values(found, [value], errors, 'value')
        return field, chosen[0] if chosen else value
    errors['kind'] = 'invalid'
    return field, value


class ScoringRulesService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _check(self, actor: UserRef) -> None:
        if not permissions.can_assign(actor):
            raise NotAllowed()

    def lead_fields(self, actor: UserRef) -> list[Definition]:
        """The active lead custom fields, in order: what a scoring or assignment rule may name
        (managers see them here, though only admins define them)."""
        self._check(actor)
        with self.ctx.read() as session:
            fields = self.ctx.capture_config.load(session).custom
        return [d for d in fields.definitions if not d.is_retired]

    def rules(self, actor: UserRef) -> list[ScoringRuleView]:
        """Every scoring rule, switched off ones too, in order."""
        self._check(actor)
        with self.ctx.read() as session:
            fields = self.ctx.capture_config.load(session).custom
            return [_view(r, fields) for r in queries.all_scoring_rules(session)]

    def save_rule(self, actor: UserRef, rule_id: int | None, *, kind: str, field: str = '', value: str = '',
                  points: Any = 0, label_zh: str = '', label_en: str = '', is_active: bool = True) -> int:
        """Add (rule_id None: last) or change a rule; ValidationFailed names every bad input: `kind`,
        `field` (a built-in scorable field, or an active custom field's key), `value` (the option, the
        sources, the tag), `points` (−100…100), `label_zh` and `label_en` (both required)."""
        self._check(actor)
        errors: dict[str, str] = {}
        with self.ctx.read() as session:
            config = self.ctx.capture_config.load(session)
        clean_field = (field or '').strip()
        clean_value = (clean_text(value, max_length=VALUE_MAX + 1) or '').strip()
        clean_field, clean_value = check_target(kind, clean_field, clean_value, fields=config.custom,
                                                tags=config.tags, errors=errors)
        number = _points(points, errors)
        zh, en = _label(label_zh, 'label_zh', errors), _label(label_en, 'label_en', errors)
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            if rule_id:
                rule = session.get(ScoringRule, rule_id)
                if rule is None:
                    raise NotFound()
            else:
                last = max((r.position for r in queries.all_scoring_rules(session)), default=-1)
                rule = ScoringRule(position=last + 1, kind='', label_en='', label_zh='')
            created = rule.id is None
            rule.kind, rule.field, rule.value, rule.points = kind, clean_field, clean_value, number
            rule.label_zh, rule.label_en, rule.is_active = zh, en, bool(is_active)
            session.add(rule)
            session.flush()
            audit(session, AuditAction.SCORING_RULE_SAVED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.scoring_rule_saved', rule=zh, rule_id=rule.id, created=created, kind=kind,
                  field=clean_field, value=clean_value, points=number, active=rule.is_active)
            return rule.id or 0

    def delete_rule(self, actor: UserRef, rule_id: int) -> None:
        """Remove a rule; leads scored by it keep their score (and reason) until touched."""
        self._check(actor)
        with self.ctx.write() as session:
            rule = session.get(ScoringRule, rule_id)
            if rule is None:
                raise NotFound()
            audit(session, AuditAction.SCORING_RULE_DELETED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.scoring_rule_deleted', rule=rule.label_zh, rule_id=rule.id, kind=rule.kind,
                  field=rule.field, value=rule.value, points=rule.points)
            session.delete(rule)

    def reorder_rules(self, actor: UserRef, ordered_ids: Sequence[int]) -> None:
        """The rules take positions 0, 1, … in this order (every rule named once, else `order: stale`)."""
        self._check(actor)
        with self.ctx.write() as session:
            rules = {r.id or 0: r for r in queries.all_scoring_rules(session)}
            if sorted(ordered_ids) != sorted(rules):
                raise ValidationFailed({'order': 'stale'})
            for position, rule_id in enumerate(ordered_ids):
                rules[rule_id].position = position
            session.add_all(rules.values())
            audit(session, AuditAction.SCORING_RULES_REORDERED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.scoring_rules_reordered',
                  order=', '.join(rules[i].label_zh for i in ordered_ids))

    def rescore_open(self, actor: UserRef) -> int:
        """Score every lead not closed afresh with the rules as they are now; returns how many
        changed. Batched (`RESCORE_BATCH` leads per transaction, each lead's tags read with it), so
        captures interleave; one audit line at the end counts the changes."""
        self._check(actor)
        with self.ctx.read() as session:
            ids = queries.rescorable_lead_ids(session)
        changed = 0
        for start in range(0, len(ids), RESCORE_BATCH):
            with self.ctx.write() as session:
                rules = self.ctx.capture_config.load(session).scoring
                now = self.ctx.now()
                for lead in queries.leads_by_id_for_update(session, ids[start:start + RESCORE_BATCH]):
                    before = (lead.score, lead.grade, lead.temperature, lead.score_reasons)
                    rescore(lead, rules, lead_rule_tags(session, lead.id))
                    if (lead.score, lead.grade, lead.temperature, lead.score_reasons) != before:
                        lead.version += 1
                        lead.updated_at = now
                        session.add(lead)
                        changed += 1
        with self.ctx.write() as session:
            audit(session, AuditAction.LEADS_RESCORED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.leads_rescored', count=changed)
        return changed
