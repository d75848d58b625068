"""The assignment rules editor: validation, saving, reordering and the "who would get it" box."""

from __future__ import annotations

from typing import Any

import pytest

from core.capture.intake import CaptureResult
from core.desk import Desk
from core.errors import NotAllowed, ValidationFailed
from store.models import AssignmentRule, AuditEntry, Role, UserRef
from tests.factories import admin, lead_data, user

from .db import rows


def capture(desk: Desk, **fields: Any) -> CaptureResult:
    return desk.leads.capture_lead(lead_data(**fields), channel='manual', default_source='manual')


def manager(desk: Desk) -> UserRef:
    return user(desk, Role.MANAGER, name='Manager Wang')


def valid(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {'name': 'Referrals', 'strategy': 'round_robin', 'match_sources': ['referral'],
                              'match_grades': [], 'match_regions': [], 'position': 0, 'is_active': True}
    values.update(overrides)
    return values


# ----- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(('overrides', 'errors'), [
    ({'name': '  '}, {'name': 'required'}),
    ({'name': 'x' * 101}, {'name': 'too_long'}),
    ({'strategy': 'coin_flip'}, {'strategy': 'invalid'}),
    ({'match_sources': ['referral', 'carrier_pigeon']}, {'match_sources': 'invalid'}),
    ({'match_grades': ['A', 'D']}, {'match_grades': 'invalid'}),
    ({'match_regions': ['r' * 300, 's' * 300]}, {'match_regions': 'too_long'}),
    ({'position': 1001}, {'position': 'out_of_range'}),
    ({'position': -1}, {'position': 'out_of_range'}),
    ({'position': 'first'}, {'position': 'invalid'}),
    ({'name': '', 'strategy': '', 'position': 5000}, {'name': 'required', 'strategy': 'invalid',
                                                     'position': 'out_of_range'}),
])
def test_invalid_rule_names_the_field_and_stores_nothing(desk: Desk, overrides: dict[str, Any],
                                                         errors: dict[str, str]) -> None:
    boss = manager(desk)
    before = rows(desk, AssignmentRule)
    with pytest.raises(ValidationFailed) as info:
        desk.rules.save_rule(boss, None, **valid(**overrides))
    assert info.value.errors == errors
    assert [(r.id, r.name) for r in rows(desk, AssignmentRule)] == [(r.id, r.name) for r in before]


def test_saved_rule_is_listed_cleaned_and_audited(desk: Desk) -> None:
    boss = manager(desk)
    rule_id = desk.rules.save_rule(boss, None, **valid(name='  South  ', match_sources='Referral, ads',
                                                        match_grades=['b', 'a'], match_regions='广东，广西',
                                                        position=7))
    saved = next(r for r in desk.rules.rules(boss) if r.id == rule_id)
    assert (saved.name, saved.match_sources, saved.match_grades, saved.match_regions, saved.position) == (
        'South', ['referral', 'ads'], ['B', 'A'], ['广东', '广西'], 7)
    trail = rows(desk, AuditEntry, AuditEntry.action == 'rule_saved')
    assert [(a.actor_id, a.reason_key, a.reason_params['rule']) for a in trail] == [
        (boss.id, 'reason.rule_saved', 'South')]


def test_switched_off_rule_is_listed_but_not_used(desk: Desk) -> None:
    boss = manager(desk)
    user(desk, name='North', regions='Beijing')
    south = user(desk, name='South', regions='广东')
    rule_id = desk.rules.save_rule(boss, None, **valid(name='All to round robin', match_sources=[],
                                                        is_active=False))
    assert any(r.id == rule_id and not r.is_active for r in desk.rules.rules(boss))
    outcome = desk.rules.test_rule(boss, source='website', grade='C', region='广东')
    assert outcome.rep_id == south.id and outcome.reason_key == 'reason.assigned.region_match'


# ----- saving and reordering change who gets the next lead ------------------------------------------

def test_source_rule_changes_who_gets_the_next_referral(desk: Desk) -> None:
    boss = manager(desk)
    north = user(desk, name='North', regions='Beijing')
    south = user(desk, name='South', regions='广东')
    first = capture(desk, source='referral', region='Beijing')
    assert first.grade != 'A' and first.owner_id == north.id  # the default region rule
    desk.rules.save_rule(boss, None, **valid())  # referrals: round robin among everyone, tried first
    assert capture(desk, source='referral', region='Beijing').owner_id == south.id
    assert capture(desk, source='website', region='Beijing').owner_id == north.id  # other sources unchanged


def test_edited_rule_takes_effect(desk: Desk) -> None:
    boss = manager(desk)
    north = user(desk, name='North', regions='Beijing')
    south = user(desk, name='South', regions='广东')
    capture(desk, source='referral', region='Beijing')
    rule_id = desk.rules.save_rule(boss, None, **valid(match_sources=['ads']))
    assert capture(desk, source='referral', region='Beijing').owner_id == north.id  # rule does not match
    desk.rules.save_rule(boss, rule_id, **valid(match_sources=['ads', 'referral']))
    assert capture(desk, source='referral', region='Beijing').owner_id == south.id


def test_reorder_changes_precedence(desk: Desk) -> None:
    boss = manager(desk)
    north = user(desk, name='North', regions='Beijing')
    south = user(desk, name='South', regions='广东')
    assert capture(desk, region='Beijing').owner_id == north.id
    assert capture(desk, region='Beijing').owner_id == north.id  # region match beats load
    names = [r.name for r in desk.rules.rules(boss)]
    assert names == ['A leads to senior reps', 'Region match', 'Least loaded']
    least = desk.rules.rules(boss)[2]
    desk.rules.move_rule(boss, least.id, 'up')
    assert [r.name for r in desk.rules.rules(boss)] == ['A leads to senior reps', 'Least loaded', 'Region match']
    assert capture(desk, region='Beijing').owner_id == south.id  # now load decides
    desk.rules.move_rule(boss, least.id, 'down')
    assert [r.name for r in desk.rules.rules(boss)] == names
    assert len(rows(desk, AuditEntry, AuditEntry.action == 'rule_saved')) == 2


def test_moving_past_either_end_changes_nothing(desk: Desk) -> None:
    boss = manager(desk)
    ordered = desk.rules.rules(boss)
    desk.rules.move_rule(boss, ordered[0].id, 'up')
    desk.rules.move_rule(boss, ordered[-1].id, 'down')
    assert [r.id for r in desk.rules.rules(boss)] == [r.id for r in ordered]
    with pytest.raises(ValidationFailed):
        desk.rules.move_rule(boss, ordered[0].id, 'sideways')


def test_move_with_tied_positions_still_swaps(desk: Desk) -> None:
    boss = manager(desk)
    a = desk.rules.save_rule(boss, None, **valid(name='Tie 1', position=50))
    b = desk.rules.save_rule(boss, None, **valid(name='Tie 2', position=50))
    desk.rules.move_rule(boss, b, 'up')
    ids = [r.id for r in desk.rules.rules(boss)]
    assert ids.index(b) < ids.index(a)


# ----- the test box --------------------------------------------------------------------------------

def test_test_rule_answers_what_capture_then_does(desk: Desk) -> None:
    boss = manager(desk)
    user(desk, name='North', regions='Beijing')
    user(desk, name='South', regions='广东')
    desk.rules.save_rule(boss, None, **valid())
    grade = capture(desk, source='referral', region='Beijing').grade  # learn the grade such a lead gets
    for _ in range(3):
        outcome = desk.rules.test_rule(boss, source='referral', grade=grade, region='Beijing')
        actual = capture(desk, source='referral', region='Beijing')
        assert actual.grade == grade
        assert (outcome.rep_id, outcome.rep_name) == (actual.owner_id, actual.owner_name)
        assert outcome.reason_key == 'reason.assigned.round_robin'
        assert outcome.params['rule'] == 'Referrals' and outcome.params['rep'] == actual.owner_name


def test_test_rule_says_pool_when_nobody_can_take_it(desk: Desk) -> None:
    boss = manager(desk)
    outcome = desk.rules.test_rule(boss, source='website', grade='B', region=None)
    assert outcome.pooled and outcome.reason_key == 'reason.no_eligible_rep'
    assert capture(desk, source='website').status == 'pool'


def test_test_rule_validates_the_sample(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as info:
        desk.rules.test_rule(manager(desk), source='pigeon', grade='Z', region='')
    assert info.value.errors == {'source': 'invalid', 'grade': 'invalid'}


# ----- who may ---------------------------------------------------------------------------------------

def test_reps_may_not_see_or_change_rules(desk: Desk) -> None:
    rep = user(desk, name='Rep Li')
    rule_id = desk.rules.rules(admin(desk))[0].id
    for call in (lambda: desk.rules.rules(rep),
                 lambda: desk.rules.save_rule(rep, None, **valid()),
                 lambda: desk.rules.move_rule(rep, rule_id, 'down'),
                 lambda: desk.rules.test_rule(rep, source='website', grade='B', region=None)):
        with pytest.raises(NotAllowed):
            call()
    assert len(rows(desk, AssignmentRule)) == 3
