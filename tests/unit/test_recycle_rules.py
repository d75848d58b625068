"""Recycle rules (core/automation/recycle_rules.py): a lead kept out of the pool or given more days
by a custom field, its grade or a tag; the first matching rule wins; the warning moves with the end;
the preview shows what the tick does; a rule naming a retired field or option is broken and matches
nothing; the editor's input is checked as a whole. Evaluated in SQL (mirrored on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from core.automation.recycle_rules import RULES_KEY, Broken
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.models import AppSetting, Role, TagEntity, UserRef
from tests.factories import admin, user

from .db import get
from .test_automation import T0, audits, capture, lead, notices, set_fields, team
from .test_rule_custom import define

END = T0 + timedelta(days=7)
"""A lead captured at T0 is protected for the policy's 7 days."""


def later(name: str, days: int, **condition: Any) -> dict[str, Any]:
    return {'name': name, 'action': 'later', 'days': days, **condition}


def never(name: str, **condition: Any) -> dict[str, Any]:
    return {'name': name, 'action': 'never', **condition}


def setup(desk: Desk) -> tuple[UserRef, UserRef]:
    define(desk)  # product: a / b (single select)
    define(desk, 'lines', 'multi_select')
    define(desk, 'vip', 'yes_no')
    manager, (rep,) = team(desk)
    return manager, rep


def with_custom(desk: Desk, **custom: Any) -> int:
    lead_id = capture(desk)
    set_fields(desk, lead_id, custom=custom)
    return lead_id


def recycled(desk: Desk, at: Any) -> list[int]:
    return desk.automation.tick(at).done['recycle']


def test_never_keeps_a_lead_by_each_kind_of_condition(desk: Desk) -> None:
    manager, rep = setup(desk)
    tag = desk.tags.define_tag(admin(desk), name_zh='重点', name_en='Key')
    desk.recycle_rules.save(manager, [never('Product A', custom_key='product', custom_values=['a']),
                                      never('Lines B', custom_key='lines', custom_values=['b']),
                                      never('VIP', custom_key='vip', custom_values=['yes']),
                                      never('Grade A', grades=['A']),
                                      never('Key', tag_key=tag.key)])
    kept = [with_custom(desk, product='a'), with_custom(desk, lines=['a', 'b']), with_custom(desk, vip=True)]
    graded = capture(desk)
    set_fields(desk, graded, grade='A')
    tagged = capture(desk)
    desk.record_tags.add_tag(manager, TagEntity.LEAD, tagged, tag.id)
    others = [with_custom(desk, product='b'), with_custom(desk, lines=['a']), with_custom(desk, vip=False),
              capture(desk)]
    assert sorted(desk.automation.tick(END - timedelta(days=1)).done['warn']) == sorted(others)
    assert sorted(recycled(desk, END)) == sorted(others)
    for lead_id in (*kept, graded, tagged):
        assert (lead(desk, lead_id).owner_id, lead(desk, lead_id).protected_until) == (rep.id, END)
        assert desk.recycle_rules.for_lead(lead_id).keeps  # type: ignore[union-attr]
    assert recycled(desk, END + timedelta(days=400)) == []


def test_conditions_of_one_rule_all_hold(desk: Desk) -> None:
    manager, _ = setup(desk)
    desk.recycle_rules.save(manager, [never('A product, grade B', custom_key='product', custom_values=['a'],
                                            grades=['B'])])
    both, only_product = with_custom(desk, product='a'), with_custom(desk, product='a')
    set_fields(desk, both, grade='B')
    set_fields(desk, only_product, grade='C')
    assert recycled(desk, END) == [only_product]


def test_later_moves_the_end_and_the_warning_and_names_the_rule(desk: Desk) -> None:
    manager, rep = setup(desk)
    desk.recycle_rules.save(manager, [later('Product A +5', 5, custom_key='product', custom_values=['a'])])
    lead_id = with_custom(desk, product='a')
    assert desk.automation.tick(END - timedelta(days=1)).done['warn'] == []
    assert recycled(desk, END) == []
    assert desk.automation.tick(END + timedelta(days=4)).done['warn'] == [lead_id]
    [warned] = audits(desk, 'warned', lead_id)
    assert warned.reason_params['until'] == (END + timedelta(days=5)).isoformat()
    assert warned.reason_params['rule'] == 'Product A +5'
    assert [n.user_id for n in notices(desk, 'notify.protection_ending', lead_id)] == [rep.id]
    assert recycled(desk, END + timedelta(days=5, seconds=-1)) == []
    assert recycled(desk, END + timedelta(days=5)) == [lead_id]
    [entry] = audits(desk, 'recycled', lead_id)
    assert (entry.reason_key, entry.reason_params['rule'], entry.reason_params['later']) == (
        'reason.recycled_to_pool_by_rule', 'Product A +5', 5)
    assert lead(desk, lead_id).status == 'pool'


def test_first_matching_rule_wins(desk: Desk) -> None:
    manager, _ = setup(desk)
    rules = [later('Grade C +2', 2, grades=['C']), never('Product A', custom_key='product', custom_values=['a'])]
    desk.recycle_rules.save(manager, rules)
    lead_id = with_custom(desk, product='a')
    set_fields(desk, lead_id, grade='C')
    assert recycled(desk, END + timedelta(days=2)) == [lead_id]


def test_order_reversed_the_other_rule_wins(desk: Desk) -> None:
    manager, _ = setup(desk)
    rules = [never('Product A', custom_key='product', custom_values=['a']), later('Grade C +2', 2, grades=['C'])]
    desk.recycle_rules.save(manager, rules)
    lead_id = with_custom(desk, product='a')
    set_fields(desk, lead_id, grade='C')
    assert recycled(desk, END + timedelta(days=30)) == []
    assert desk.recycle_rules.for_lead(lead_id).rule.rule.name == 'Product A'  # type: ignore[union-attr]


def test_a_changed_field_takes_effect_without_rewriting_dates(desk: Desk) -> None:
    manager, _ = setup(desk)
    desk.recycle_rules.save(manager, [never('VIP', custom_key='vip', custom_values=['yes'])])
    lead_id = with_custom(desk, vip=True)
    assert recycled(desk, END + timedelta(days=1)) == []
    set_fields(desk, lead_id, custom={'vip': False})
    assert lead(desk, lead_id).protected_until == END
    assert recycled(desk, END + timedelta(days=1)) == [lead_id]


def test_a_retired_field_or_option_breaks_the_rule_and_the_timer_goes_on(desk: Desk) -> None:
    manager, _ = setup(desk)
    tag = desk.tags.define_tag(admin(desk), name_zh='重点', name_en='Key')
    desk.recycle_rules.save(manager, [never('VIP', custom_key='vip', custom_values=['yes']),
                                      never('Product B', custom_key='product', custom_values=['b']),
                                      never('Key', tag_key=tag.key)])
    vip, product_b, tagged = with_custom(desk, vip=True), with_custom(desk, product='b'), capture(desk)
    desk.record_tags.add_tag(manager, TagEntity.LEAD, tagged, tag.id)
    desk.custom_fields.retire_field(admin(desk), entity='lead', key='vip')
    desk.tags.retire_tag(admin(desk), tag.id)
    stored = json.loads(get(desk, AppSetting, RULES_KEY).value)
    stored[1]['custom_values'] = ['gone']  # an option the field no longer has (options cannot be removed in the app)
    with desk.ctx.write() as s:
        s.merge(AppSetting(key=RULES_KEY, value=json.dumps(stored)))
    shown = desk.recycle_rules.rules(manager)
    assert [r.broken for r in shown] == [Broken.FIELD, Broken.OPTION, Broken.TAG]
    assert sorted(recycled(desk, END)) == sorted([vip, product_b, tagged])
    assert desk.recycle_rules.for_lead(vip) is None


def test_preview_shows_what_the_tick_does(desk: Desk) -> None:
    manager, _ = setup(desk)
    desk.recycle_rules.save(manager, [never('Product A', custom_key='product', custom_values=['a']),
                                      later('Product B +1', 1, custom_key='product', custom_values=['b'])])
    kept, delayed, plain = with_custom(desk, product='a'), with_custom(desk, product='b'), capture(desk)
    now = desk.ctx.clock.advance(days=7, hours=-12)  # type: ignore[attr-defined]
    plan = desk.preview_timer(manager, 48)
    by_lead = {(p.lead_id, p.action): p.at for p in plan if p.lead_id in (kept, delayed, plain)}
    assert by_lead == {(plain, 'warn'): now, (plain, 'recycle'): END, (delayed, 'warn'): END,
                       (delayed, 'recycle'): END + timedelta(days=1)}
    assert desk.automation.tick(now).done['warn'] == [plain]
    at_end = desk.automation.tick(END)
    assert (at_end.done['warn'], at_end.done['recycle']) == ([delayed], [plain])
    assert recycled(desk, END + timedelta(days=1)) == [delayed]
    assert lead(desk, kept).status == 'assigned'


def test_validation_names_each_bad_input_and_stores_nothing(desk: Desk) -> None:
    manager, rep = setup(desk)
    desk.recycle_rules.save(manager, [never('Keep A', grades=['A'])])
    bad = [never(''), later('X', 0, grades=['A']), later('X2', 5, grades=['Z']),
           never('Y', custom_key='missing', custom_values=['a']), never('Z', custom_key='product', custom_values=['q']),
           never('W', tag_key='nope'), {'name': 'V', 'action': 'sometimes', 'grades': ['A']}, never('X', grades=['B'])]
    with pytest.raises(ValidationFailed) as e:
        desk.recycle_rules.save(manager, bad)
    assert e.value.errors == {'rule0.name': 'required', 'rule0.condition': 'recycle_rule_no_condition',
                              'rule1.days': 'recycle_days', 'rule2.grades': 'invalid',
                              'rule3.custom_key': 'unknown_field', 'rule4.custom_values': 'invalid',
                              'rule5.tag_key': 'unknown_tag', 'rule6.action': 'invalid', 'rule7.name': 'duplicate'}
    assert [r.rule.name for r in desk.recycle_rules.rules(manager)] == ['Keep A']
    with pytest.raises(NotAllowed):
        desk.recycle_rules.save(rep, [])
    assert desk.recycle_rules.save(manager, []) == []


def test_a_lead_page_rule_for_a_delayed_lead(desk: Desk) -> None:
    manager, _ = setup(desk)
    desk.recycle_rules.save(manager, [later('B later', 3, grades=['B'])])
    lead_id = capture(desk)
    set_fields(desk, lead_id, grade='B')
    found = desk.recycle_rules.for_lead(lead_id)
    assert found is not None and not found.keeps and found.ends_at == END + timedelta(days=3)
    assert user(desk, Role.MANAGER, name='Other')  # a second manager changes nothing here
