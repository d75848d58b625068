"""Assignment rules that test a lead custom field: matching, validation, a retired field, capture
and the "who would get it" box."""

from __future__ import annotations

from typing import Any

import pytest

from core.assignment.pick import LeadFacts, RuleSpec, rule_matches
from core.desk import Desk
from core.errors import ValidationFailed
from store.models import AssignmentRule, AuditEntry, Lead, Role, UserRef
from tests.factories import admin, lead_data, user

from .db import get, rows

OPTIONS = [{'key': 'a', 'label_zh': '甲', 'label_en': 'A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'B'}]


def define(desk: Desk, key: str = 'product', type: str = 'single_select') -> None:
    desk.custom_fields.define_field(admin(desk), entity='lead', key=key, type=type, label_zh=key, label_en=key,
                                    options=OPTIONS if 'select' in type else ())


def spec(key: str, *values: str) -> RuleSpec:
    return RuleSpec(id=1, name='r', strategy='least_loaded', match_sources=frozenset(), match_grades=frozenset(),
                    match_regions=frozenset(), match_custom_key=key, match_custom_values=frozenset(values))


def facts(**custom: Any) -> LeadFacts:
    return LeadFacts(source='website', grade='B', region=None, custom=custom)


def test_a_custom_condition_matches_a_select_a_multi_select_and_a_yes_no() -> None:
    assert rule_matches(spec('product', 'a', 'b'), facts(product='b'))
    assert not rule_matches(spec('product', 'a'), facts(product='b'))
    assert not rule_matches(spec('product', 'a'), facts())
    assert rule_matches(spec('lines', 'b'), facts(lines=['a', 'b']))
    assert not rule_matches(spec('lines', 'b'), facts(lines=[]))
    assert rule_matches(spec('vip', 'yes'), facts(vip=True))
    assert rule_matches(spec('vip', 'no'), facts(vip=False))
    assert not rule_matches(spec('vip', 'no'), facts())  # not answered is neither yes nor no
    assert not rule_matches(spec('product'), facts(product='a'))  # a key without values (retired): nothing
    assert rule_matches(spec(''), facts())  # no condition: every lead


def manager(desk: Desk) -> UserRef:
    return user(desk, Role.MANAGER, name='Manager Wang')


def routed(desk: Desk) -> tuple[UserRef, UserRef, int]:
    """Leads whose product is `a` go to Alice, every other to Bob (both rules tried first)."""
    define(desk)
    boss, alice, bob = manager(desk), user(desk, name='Alice'), user(desk, name='Bob')
    rule_id = desk.rules.save_rule(boss, None, name='Product A', strategy='least_loaded', rep_ids=[alice.id],
                                   match_custom_key='product', match_custom_values=['a'])
    desk.rules.save_rule(boss, None, name='Everyone else', strategy='least_loaded', rep_ids=[bob.id])
    return alice, bob, rule_id


def owner(desk: Desk, **custom: Any) -> int | None:
    result = desk.leads.capture_lead(lead_data(custom=custom), channel='manual', default_source='manual')
    return get(desk, Lead, result.lead_id).owner_id


def test_capture_routes_by_the_custom_value_and_the_rule_is_stored_and_audited(desk: Desk) -> None:
    alice, bob, rule_id = routed(desk)
    assert owner(desk, product='a') == alice.id
    assert owner(desk, product='b') == bob.id
    assert owner(desk) == bob.id
    stored = get(desk, AssignmentRule, rule_id)
    assert (stored.match_custom_key, stored.match_custom_values) == ('product', 'a')
    view = next(r for r in desk.rules.rules(manager(desk)) if r.id == rule_id)
    assert (view.match_custom_key, view.match_custom_values) == ('product', ['a'])
    trail = [e.reason_params for e in rows(desk, AuditEntry) if e.reason_params.get('rule') == 'Product A']
    assert trail[0]['custom_key'] == 'product' and trail[0]['custom_values'] == 'a'


def test_the_timer_gives_a_waiting_lead_by_its_custom_value(desk: Desk) -> None:
    alice, bob, _ = routed(desk)
    boss = manager(desk)
    for rep in (alice, bob):
        desk.team.update_user(boss, rep.id, {'is_on_leave': True})
    waiting = desk.leads.capture_lead(lead_data(custom={'product': 'a'}), channel='manual',
                                      default_source='manual').lead_id
    assert get(desk, Lead, waiting).owner_id is None
    for rep in (alice, bob):
        desk.team.update_user(boss, rep.id, {'is_on_leave': False})
    desk.automation.tick()
    assert get(desk, Lead, waiting).owner_id == alice.id


def test_a_retired_field_makes_its_rule_match_no_lead(desk: Desk) -> None:
    """Decision: the condition stays and matches nothing (a narrowed rule never widens to every
    lead); the lead's stored value is kept, and restoring the field brings the rule back."""
    alice, bob, _ = routed(desk)
    boss = manager(desk)
    for rep in (alice, bob):
        desk.team.update_user(boss, rep.id, {'is_on_leave': True})
    waiting = desk.leads.capture_lead(lead_data(custom={'product': 'a'}), channel='manual',
                                      default_source='manual').lead_id
    desk.custom_fields.retire_field(None, entity='lead', key='product')
    for rep in (alice, bob):
        desk.team.update_user(boss, rep.id, {'is_on_leave': False})
    desk.automation.tick()
    assert get(desk, Lead, waiting).owner_id == bob.id
    desk.custom_fields.restore_field(None, entity='lead', key='product')
    assert owner(desk, product='a') == alice.id


@pytest.mark.parametrize(('key', 'values', 'errors'), [
    ('colour', ['a'], {'match_custom_key': 'unknown_field'}),
    ('notes', ['a'], {'match_custom_key': 'invalid'}),
    ('product', ['c'], {'match_custom_values': 'invalid'}),
    ('product', [], {'match_custom_values': 'required'}),
    ('vip', ['maybe'], {'match_custom_values': 'invalid'}),
    ('old', ['a'], {'match_custom_key': 'retired_field'}),
])
def test_a_bad_custom_condition_names_the_field_and_stores_nothing(desk: Desk, key: str, values: list[str],
                                                                  errors: dict[str, str]) -> None:
    define(desk)
    define(desk, 'notes', 'text')
    define(desk, 'vip', 'yes_no')
    define(desk, 'old')
    desk.custom_fields.retire_field(None, entity='lead', key='old')
    before = len(rows(desk, AssignmentRule))
    with pytest.raises(ValidationFailed) as info:
        desk.rules.save_rule(manager(desk), None, name='R', strategy='least_loaded',
                             match_custom_key=key, match_custom_values=values)
    assert info.value.errors == errors
    assert len(rows(desk, AssignmentRule)) == before


def test_a_yes_no_condition_and_the_sample_box(desk: Desk) -> None:
    define(desk, 'vip', 'yes_no')
    boss, alice = manager(desk), user(desk, name='Alice')
    user(desk, name='Bob')
    desk.rules.save_rule(boss, None, name='VIP', strategy='least_loaded', rep_ids=[alice.id],
                         match_custom_key='vip', match_custom_values='yes')
    assert owner(desk, vip=True) == alice.id
    sample = desk.rules.test_rule(boss, source='website', grade='B', custom={'vip': 'yes'})
    assert sample.rep_id == alice.id and sample.params['rule'] == 'VIP'
    assert desk.rules.test_rule(boss, source='website', grade='B', custom={'vip': 'no'}).params.get('rule') != 'VIP'
    with pytest.raises(ValidationFailed) as info:
        desk.rules.test_rule(boss, source='website', grade='B', custom={'vip': 'maybe'})
    assert 'custom.vip' in info.value.errors
