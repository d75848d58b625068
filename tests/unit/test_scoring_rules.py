"""Scoring rules on custom fields, and the scoring rules editor: permissions, validation, audit,
and the next capture scoring with the rules as changed."""

from __future__ import annotations

from typing import Any

import pytest

from core.capture.scoring import Rule, score_lead
from core.capture.scoring_rules import reachable
from core.desk import Desk
from core.errors import NotAllowed, NotFound, ValidationFailed
from store.audit_actions import AuditAction
from store.models import AuditEntry, Lead, Role, ScoringKind, ScoringRule, UserRef
from tests.factories import admin, lead_data, user

from .db import get, rows

OPTIONS = [{'key': 'a', 'label_zh': '甲', 'label_en': 'A'}, {'key': 'b', 'label_zh': '乙', 'label_en': 'B'}]


def rule(kind: str, field: str, value: str = '', points: int = 10) -> Rule:
    return Rule(id=1, kind=kind, field=field, value=value, points=points, label_en='x', label_zh='x')


@pytest.mark.parametrize(('kind', 'field', 'value', 'custom', 'fires'), [
    (ScoringKind.CUSTOM_PRESENT, 'product', '', {'product': 'a'}, True),
    (ScoringKind.CUSTOM_PRESENT, 'product', '', {}, False),
    (ScoringKind.CUSTOM_PRESENT, 'lines', '', {'lines': []}, False),
    (ScoringKind.CUSTOM_PRESENT, 'vip', '', {'vip': False}, True),
    (ScoringKind.CUSTOM_EQUALS, 'product', 'a', {'product': 'a'}, True),
    (ScoringKind.CUSTOM_EQUALS, 'product', 'a', {'product': 'b'}, False),
    (ScoringKind.CUSTOM_EQUALS, 'lines', 'b', {'lines': ['a', 'b']}, True),
    (ScoringKind.CUSTOM_EQUALS, 'vip', 'yes', {'vip': True}, True),
    (ScoringKind.CUSTOM_EQUALS, 'vip', 'no', {'vip': True}, False),
    (ScoringKind.CUSTOM_EQUALS, 'vip', 'no', {}, False),
])
def test_custom_kinds_fire_on_the_leads_custom_values(kind: str, field: str, value: str, custom: dict[str, Any],
                                                      fires: bool) -> None:
    assert score_lead({'custom': custom}, [rule(kind, field, value)]).score == (10 if fires else 0)


def define(desk: Desk, key: str = 'product', type: str = 'single_select') -> None:
    desk.custom_fields.define_field(admin(desk), entity='lead', key=key, type=type, label_zh=key, label_en=key,
                                    options=OPTIONS if 'select' in type else ())


def manager(desk: Desk) -> UserRef:
    return user(desk, Role.MANAGER, name='Manager Wang')


def valid(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {'kind': ScoringKind.CUSTOM_EQUALS, 'field': 'product', 'value': 'a', 'points': 30,
                              'label_zh': '意向产品甲', 'label_en': 'Wants product A'}
    values.update(overrides)
    return values


def captured(desk: Desk, **fields: Any) -> Lead:
    result = desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual')
    return get(desk, Lead, result.lead_id)


def test_a_capture_after_a_change_scores_with_the_rules_as_changed(desk: Desk) -> None:
    define(desk)
    boss = manager(desk)
    before = captured(desk, custom={'product': 'a'}).score  # the configuration is now cached
    rule_id = desk.scoring_rules.save_rule(boss, None, **valid())
    lead = captured(desk, custom={'product': 'a'})
    assert lead.score == before + 30
    assert {'rule_id': rule_id, 'points': 30, 'en': 'Wants product A', 'zh': '意向产品甲'} in lead.score_reasons
    assert captured(desk, custom={'product': 'b'}).score == before
    desk.scoring_rules.save_rule(boss, rule_id, **valid(points=-5))
    assert captured(desk, custom={'product': 'a'}).score == max(0, before - 5)
    desk.scoring_rules.delete_rule(boss, rule_id)
    assert captured(desk, custom={'product': 'a'}).score == before
    assert [e.action for e in rows(desk, AuditEntry) if e.action.startswith('scoring_')] == [
        AuditAction.SCORING_RULE_SAVED, AuditAction.SCORING_RULE_SAVED, AuditAction.SCORING_RULE_DELETED]


def test_saved_rules_are_listed_in_order_and_reorder_is_stored(desk: Desk) -> None:
    define(desk, 'vip', 'yes_no')
    boss = manager(desk)
    new_id = desk.scoring_rules.save_rule(boss, None, **valid(kind=ScoringKind.CUSTOM_EQUALS, field='vip',
                                                               value='YES'))
    listed = desk.scoring_rules.rules(boss)
    assert listed[-1].id == new_id and (listed[-1].field, listed[-1].value) == ('vip', 'yes')
    assert reachable(listed) == 100  # the defaults alone reach 100
    order = [new_id, *[r.id for r in listed if r.id != new_id]]
    desk.scoring_rules.reorder_rules(boss, order)
    assert [r.id for r in desk.scoring_rules.rules(boss)] == order
    with pytest.raises(ValidationFailed) as info:
        desk.scoring_rules.reorder_rules(boss, order[1:])
    assert info.value.errors == {'order': 'stale'}
    trail = rows(desk, AuditEntry, AuditEntry.action == AuditAction.SCORING_RULES_REORDERED)
    assert [e.actor_id for e in trail] == [boss.id]


def test_a_rule_on_a_retired_field_never_fires_and_is_shown_so(desk: Desk) -> None:
    define(desk)
    boss = manager(desk)
    for rule_id in [r.id for r in desk.scoring_rules.rules(boss)]:
        desk.scoring_rules.delete_rule(boss, rule_id)
    rule_id = desk.scoring_rules.save_rule(boss, None, **valid(kind=ScoringKind.CUSTOM_PRESENT, value=''))
    assert captured(desk, custom={'product': 'b'}).score == 30
    desk.custom_fields.retire_field(None, entity='lead', key='product')
    [view] = desk.scoring_rules.rules(boss)
    assert (view.id, view.fires, reachable([view])) == (rule_id, False, 0)
    assert captured(desk).score == 0


@pytest.mark.parametrize(('overrides', 'errors'), [
    ({'kind': 'coin_flip'}, {'kind': 'invalid'}),
    ({'field': 'colour'}, {'field': 'unknown_field'}),
    ({'field': 'notes'}, {'field': 'invalid'}),
    ({'field': 'old'}, {'field': 'retired_field'}),
    ({'value': 'c'}, {'value': 'invalid'}),
    ({'value': ''}, {'value': 'required'}),
    ({'kind': ScoringKind.CUSTOM_PRESENT, 'field': 'colour'}, {'field': 'unknown_field'}),
    ({'kind': ScoringKind.PRESENT, 'field': 'password'}, {'field': 'invalid'}),
    ({'kind': ScoringKind.EQUALS, 'field': 'industry', 'value': ''}, {'value': 'required'}),
    ({'kind': ScoringKind.SOURCE_IN, 'value': 'referral,carrier_pigeon'}, {'value': 'invalid'}),
    ({'kind': ScoringKind.HAS_TAG, 'value': 'nope'}, {'value': 'unknown_tag'}),
    ({'points': 101}, {'points': 'out_of_range'}),
    ({'points': -101}, {'points': 'out_of_range'}),
    ({'points': 'many'}, {'points': 'invalid'}),
    ({'label_zh': ' ', 'label_en': ''}, {'label_zh': 'required', 'label_en': 'required'}),
    ({'label_en': 'x' * 201}, {'label_en': 'too_long'}),
])
def test_a_bad_rule_names_the_field_and_stores_nothing(desk: Desk, overrides: dict[str, Any],
                                                       errors: dict[str, str]) -> None:
    define(desk)
    define(desk, 'notes', 'text')
    define(desk, 'old')
    desk.custom_fields.retire_field(None, entity='lead', key='old')
    before = len(rows(desk, ScoringRule))
    with pytest.raises(ValidationFailed) as info:
        desk.scoring_rules.save_rule(manager(desk), None, **valid(**overrides))
    assert info.value.errors == errors
    assert len(rows(desk, ScoringRule)) == before


def test_built_in_kinds_are_saved_cleaned(desk: Desk) -> None:
    boss = manager(desk)
    rule_id = desk.scoring_rules.save_rule(boss, None, **valid(kind=ScoringKind.SOURCE_IN, field='',
                                                                value='ads， referral'))
    stored = get(desk, ScoringRule, rule_id)
    assert (stored.kind, stored.field, stored.value) == ('source_in', 'source', 'ads,referral')
    assert captured(desk, source='ads').score >= 30


def test_reps_may_not_see_or_change_scoring_rules(desk: Desk) -> None:
    rep = user(desk, name='Rep Li')
    rule_id = desk.scoring_rules.rules(manager(desk))[0].id
    for action in (lambda: desk.scoring_rules.rules(rep),
                   lambda: desk.scoring_rules.save_rule(rep, None, **valid()),
                   lambda: desk.scoring_rules.delete_rule(rep, rule_id),
                   lambda: desk.scoring_rules.reorder_rules(rep, [rule_id])):
        with pytest.raises(NotAllowed):
            action()
    with pytest.raises(NotFound):
        desk.scoring_rules.delete_rule(admin(desk), 99999)
    assert len(desk.scoring_rules.rules(admin(desk))) == 10


def test_existing_leads_keep_their_score_until_a_rescore_of_the_open_leads(desk: Desk) -> None:
    define(desk)
    boss = manager(desk)
    user(desk, name='Rep Li')
    kept = captured(desk, custom={'product': 'a'})
    rule_id = desk.scoring_rules.save_rule(boss, None, **valid())
    assert get(desk, Lead, kept.id).score == kept.score  # not touched: unchanged
    assert desk.scoring_rules.rescore_open(boss) == 1
    rescored = get(desk, Lead, kept.id)
    assert rescored.score == kept.score + 30 and rescored.version == kept.version + 1
    assert any(r['rule_id'] == rule_id for r in rescored.score_reasons)
    assert desk.scoring_rules.rescore_open(boss) == 0  # nothing left to change
    trail = rows(desk, AuditEntry, AuditEntry.action == AuditAction.LEADS_RESCORED)
    assert [e.reason_params['count'] for e in trail] == [1, 0]
    with pytest.raises(NotAllowed):
        desk.scoring_rules.rescore_open(user(desk, name='Rep Zhao'))
