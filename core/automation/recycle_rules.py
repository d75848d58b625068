"""Recycle rules: an ordered list, edited by managers, that keeps some leads out of the pool
("never recycle") or lets them stay longer ("recycle N days later"), by one custom field, grade
and/or a tag. The first rule a lead matches applies; a lead no rule matches follows the policy.

Why rules are read at tick time (core/automation/due.py, in SQL) and never written into a lead's
dates: a changed field, tag or rule takes effect at the next tick, both ways, and the preview shows
it, with nothing to rewrite. Stored as one JSON setting, validated as a whole (like Policy);
checked against the custom fields and tags each time they are read: a rule whose field, option or
tag was retired since is "broken", shown with a warning and matches no lead (it never stops the timer).

Issue 22 extends this: a condition on the linked customer's tier (`Lead.account_id` → `accounts.tier`:
"VIP never recycles", "VIP recycles 30 days later"), and the action "send to pool X" (recycled on
time, into the pool it names instead of the owner's department's; core/automation/pools.py). A rule
naming a pool deleted since is broken like one naming a retired tag."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from core.capture.config import lead_fields
from core.custom_fields.conditions import check_key, check_values
from core.custom_fields.values import CustomFields
from core.tags.catalog import TagSet, info
from store import queries
from store.models import CustomFieldType, Tier
from store.queries import pools as pool_rows

RULES_KEY = 'recycle_rules'
"""AppSetting holding the rules' JSON."""
MAX_RULES = 50
NAME_LENGTH = 80
DAYS = (1, 365)
GRADES = ('A', 'B', 'C')
TIERS = tuple(t.value for t in Tier)


class RecycleAction(StrEnum):
    NEVER = 'never'
    """The lead is never recycled (nor warned) while the rule matches it."""
    LATER = 'later'
    """The protection ends `days` later than it would (the warning moves with it)."""
    POOL = 'pool'
    """Recycled on time, into the pool `pool_id` names."""


class Broken(StrEnum):
    """Why a stored rule matches nothing now (its condition names something no longer in use)."""

    FIELD = 'field'
    OPTION = 'option'
    TAG = 'tag'
    POOL = 'pool'


@dataclass(frozen=True, slots=True)
class RecycleCondition:
    """What a lead must have; every part given must hold (an empty part is not tested)."""

    custom_key: str = ''
    """A lead custom field (single select, multi select or yes/no) …"""
    custom_values: tuple[str, ...] = ()
    """… whose value is (or, for a multi select, holds) one of these option keys (yes / no)."""
    grades: tuple[str, ...] = ()
    tag_key: str = ''
    tiers: tuple[str, ...] = ()
    """The lead's linked customer (`account_id`) is of one of these tiers (`Tier`)."""


@dataclass(frozen=True, slots=True)
class RecycleRule:
    name: str
    condition: RecycleCondition
    action: RecycleAction
    days: int = 0
    """LATER: how many days later; otherwise 0."""
    pool_id: int | None = None
    """POOL: the pool the lead is recycled into."""

    @property
    def delay(self) -> timedelta | None:
        return None if self.action == RecycleAction.NEVER else timedelta(days=self.days)

    def to_dict(self) -> dict[str, Any]:
        c = self.condition
        return {'name': self.name, 'custom_key': c.custom_key, 'custom_values': list(c.custom_values),
                'grades': list(c.grades), 'tag_key': c.tag_key, 'tiers': list(c.tiers), 'action': self.action.value,
                'days': self.days, 'pool_id': self.pool_id}


@dataclass(frozen=True, slots=True)
class RecycleRules:
    rules: tuple[RecycleRule, ...] = ()

    def to_json(self) -> str:
        return json.dumps([r.to_dict() for r in self.rules], ensure_ascii=False)


NO_RULES = RecycleRules()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ''


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def parse(raw: Any, fields: CustomFields, tags: TagSet, pool_ids: frozenset[int] = frozenset()) -> RecycleRules:
    """The rules an editor sent, checked as a whole against the fields, tags and pools in use now; or
    ValidationFailed naming each bad input as `rule<i>.<part>` (i from 0, in order)."""
    from core.errors import ValidationFailed

    if not isinstance(raw, list | tuple) or not all(isinstance(r, Mapping) for r in raw):
        raise ValidationFailed({'recycle_rules': 'invalid'})
    if len(raw) > MAX_RULES:
        raise ValidationFailed({'recycle_rules': 'out_of_range'})
    errors: dict[str, str] = {}
    rules: list[RecycleRule] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        at = f'rule{i}'
        name = _text(item.get('name'))
        if not name:
            errors[f'{at}.name'] = 'required'
        elif len(name) > NAME_LENGTH:
            errors[f'{at}.name'] = 'too_long'
        elif name.casefold() in names:
            errors[f'{at}.name'] = 'duplicate'
        names.add(name.casefold())
        key, values = _text(item.get('custom_key')), _strings(item.get('custom_values'))
        if key:
            found = check_key(fields, key, errors, f'{at}.custom_key')
            values = check_values(found, values, errors, f'{at}.custom_values') if found else []
        else:
            values = []
        grades = _strings(item.get('grades'))
        if set(grades) - set(GRADES):
            errors[f'{at}.grades'] = 'invalid'
        tag_key = _text(item.get('tag_key'))
        if tag_key:
            tag = tags.find(tag_key)
            if tag is None or tag.key != tag_key:
                errors[f'{at}.tag_key'] = 'unknown_tag'
            elif tag.is_retired:
                errors[f'{at}.tag_key'] = 'retired_tag'
        tiers = _strings(item.get('tiers'))
        if set(tiers) - set(TIERS):
            errors[f'{at}.tiers'] = 'invalid'
        condition = RecycleCondition(custom_key=key, custom_values=tuple(values),
                                     grades=tuple(g for g in GRADES if g in grades), tag_key=tag_key,
                                     tiers=tuple(x for x in TIERS if x in tiers))
        if not (key or grades or tag_key or tiers):
            errors[f'{at}.condition'] = 'recycle_rule_no_condition'
        try:
            action = RecycleAction(item.get('action'))
        except ValueError:
            errors[f'{at}.action'] = 'invalid'
            action = RecycleAction.NEVER
        days = 0
        if action == RecycleAction.LATER:
            try:
                number = float(item.get('days'))
            except (TypeError, ValueError):
                number = 0
            if not number.is_integer() or not DAYS[0] <= number <= DAYS[1]:
                errors[f'{at}.days'] = 'recycle_days'
            days = int(number) if number.is_integer() else 0
        pool_id = None
        if action == RecycleAction.POOL:
            raw_pool = item.get('pool_id')
            pool_id = raw_pool if isinstance(raw_pool, int) and not isinstance(raw_pool, bool) else None
            if pool_id is None or pool_id not in pool_ids:
                errors[f'{at}.pool_id'] = 'unknown_pool'
        rules.append(RecycleRule(name=name, condition=condition, action=action, days=days, pool_id=pool_id))
    if errors:
        raise ValidationFailed(errors)
    return RecycleRules(tuple(rules))


def from_stored(raw: str | None) -> RecycleRules:
    """The stored rules as they were saved (not checked against today's fields: see `resolve`).
    A setting that cannot be read gives no rules rather than a stopped timer."""
    try:
        items = json.loads(raw) if raw else []
        return RecycleRules(tuple(
            RecycleRule(name=str(r['name']), action=RecycleAction(r['action']), days=int(r.get('days') or 0),
                        pool_id=int(r['pool_id']) if r.get('pool_id') is not None else None,
                        condition=RecycleCondition(custom_key=str(r.get('custom_key') or ''),
                                                   custom_values=tuple(map(str, r.get('custom_values') or ())),
                                                   grades=tuple(map(str, r.get('grades') or ())),
                                                   tag_key=str(r.get('tag_key') or ''),
                                                   tiers=tuple(map(str, r.get('tiers') or ()))))
            for r in items))
    except (ValueError, TypeError, KeyError):
        return NO_RULES


@dataclass(frozen=True, slots=True)
class ResolvedRule:
    """A rule as the timer applies it now."""

    rule: RecycleRule
    test: queries.KeepTest
    broken: Broken | None = None


@dataclass(frozen=True)
class ActiveRules:
    """The rules checked against the fields and tags in use now: what due.py hands to SQL."""

    resolved: tuple[ResolvedRule, ...] = ()
    tests: tuple[queries.KeepTest, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'tests', tuple(r.test for r in self.resolved))

    def rule(self, index: int | None) -> RecycleRule | None:
        return None if index is None else self.resolved[index].rule


def _custom_tests(condition: RecycleCondition, fields: CustomFields) -> tuple[tuple[queries.CustomTest, ...],
                                                                              Broken | None]:
    if not condition.custom_key:
        return (), None
    found = next((d for d in fields.definitions if d.key == condition.custom_key), None)
    errors: dict[str, str] = {}
    if found is None or check_key(fields, condition.custom_key, errors, 'key') is None:
        return (), Broken.FIELD
    if check_values(found, condition.custom_values, errors, 'values') != list(condition.custom_values) or errors:
        return (), Broken.OPTION
    if found.type == CustomFieldType.YES_NO:
        return tuple(queries.CustomTest(found.key, queries.CustomTestKind.YES_NO, v == 'yes')
                     for v in condition.custom_values), None
    kind = (queries.CustomTestKind.EQUALS if found.type == CustomFieldType.SINGLE_SELECT
            else queries.CustomTestKind.CONTAINS)
    return tuple(queries.CustomTest(found.key, kind, v) for v in condition.custom_values), None


def resolve(rules: RecycleRules, fields: CustomFields, tags: TagSet,
            pool_ids: frozenset[int] | None = None) -> ActiveRules:
    """Each rule with its SQL test, or marked broken (matching nothing) when what it names is gone
    (`pool_ids` None: pools not checked)."""
    resolved: list[ResolvedRule] = []
    for rule in rules.rules:
        c = rule.condition
        custom, broken = _custom_tests(c, fields)
        tag_ids: tuple[int, ...] = ()
        if c.tag_key and broken is None:
            tag = tags.find(c.tag_key)
            if tag is None or tag.key != c.tag_key or tag.is_retired:
                broken = Broken.TAG
            else:
                tag_ids = (tag.id,)
        if broken is None and rule.action == RecycleAction.POOL and pool_ids is not None \
                and rule.pool_id not in pool_ids:
            broken = Broken.POOL
        test = queries.KeepTest(custom=custom, grades=c.grades, tag_ids=tag_ids, tiers=c.tiers, delay=rule.delay,
                                matches_nothing=broken is not None)
        resolved.append(ResolvedRule(rule, test, broken))
    return ActiveRules(tuple(resolved))


def load_rules(session: Any) -> RecycleRules:
    return from_stored(queries.setting(session, RULES_KEY))


def active_rules(session: Any) -> ActiveRules:
    """The rules as the timer applies them in this transaction (nothing more read when there are none)."""
    rules = load_rules(session)
    if not rules.rules:
        return ActiveRules()
    return resolve(rules, lead_fields(session), TagSet(info(row) for row in queries.all_tags(session)),
                   frozenset(p.id or 0 for p in pool_rows.all_pools(session)))
