"""core/assignment/pick.py: pick_assignee rules, eligibility and fair tie-breaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.assignment.pick import LeadFacts, RepLoad, RuleSpec, pick_assignee, pool_reason, split_list

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rep(id: int, **kw: Any) -> RepLoad:
    values: dict[str, Any] = {
        'id': id, 'name': f'Rep {id}', 'open_count': 0, 'capacity': 10, 'assigned_today': 0, 'daily_quota': 5,
        'seniority': 1, 'regions': frozenset(), 'available': True, 'last_assigned_at': None,
    }
    values.update(kw)
    return RepLoad(**values)


def rule(strategy: str, *, name: str = 'R', grades: str = '', sources: str = '', regions: str = '') -> RuleSpec:
    return RuleSpec(id=1, name=name, strategy=strategy, match_sources=split_list(sources),
                    match_grades=split_list(grades), match_regions=split_list(regions))


LEAD = LeadFacts(source='website', grade='B', region=None)
LEAST = [rule('least_loaded')]


def picked(lead: LeadFacts, rules: list[RuleSpec], reps: list[RepLoad]) -> int | None:
    pick = pick_assignee(lead, rules, reps)
    return None if pick is None else pick.rep_id


# ----- round robin -------------------------------------------------------------------------------

def test_round_robin_picks_who_was_assigned_longest_ago() -> None:
    reps = [rep(1, last_assigned_at=T0), rep(2, last_assigned_at=T0 - timedelta(hours=1)),
            rep(3, last_assigned_at=T0 - timedelta(minutes=5))]
    assert picked(LEAD, [rule('round_robin')], reps) == 2


def test_round_robin_never_assigned_rep_goes_first() -> None:
    reps = [rep(1, last_assigned_at=T0 - timedelta(days=30)), rep(2, last_assigned_at=None)]
    assert picked(LEAD, [rule('round_robin')], reps) == 2


def test_round_robin_ignores_load() -> None:
    reps = [rep(1, open_count=9, last_assigned_at=T0 - timedelta(hours=2)), rep(2, open_count=0, last_assigned_at=T0)]
    assert picked(LEAD, [rule('round_robin')], reps) == 1


def test_round_robin_cycles_through_reps_as_they_get_leads() -> None:
    reps = {i: rep(i) for i in (1, 2, 3)}
    order = []
    for n in range(6):
        chosen = picked(LEAD, [rule('round_robin')], list(reps.values()))
        assert chosen is not None
        order.append(chosen)
        reps[chosen] = rep(chosen, last_assigned_at=T0 + timedelta(minutes=n))
    assert order == [1, 2, 3, 1, 2, 3]


# ----- least loaded ------------------------------------------------------------------------------

def test_least_loaded_uses_open_to_capacity_ratio_not_raw_count() -> None:
    reps = [rep(1, open_count=3, capacity=5), rep(2, open_count=8, capacity=20)]  # 60% vs 40%
    assert picked(LEAD, LEAST, reps) == 2


def test_least_loaded_tie_goes_to_who_waited_longest_not_seniority() -> None:
    reps = [rep(1, open_count=2, seniority=3, last_assigned_at=T0),
            rep(2, open_count=2, seniority=1, last_assigned_at=T0 - timedelta(hours=3))]
    assert picked(LEAD, LEAST, reps) == 2


def test_least_loaded_tie_has_no_id_bias_when_wait_differs() -> None:
    reps = [rep(1, open_count=1, last_assigned_at=T0), rep(9, open_count=1, last_assigned_at=T0 - timedelta(seconds=1))]
    assert picked(LEAD, LEAST, reps) == 9


def test_least_loaded_tie_prefers_never_assigned_rep() -> None:
    reps = [rep(1, last_assigned_at=T0 - timedelta(days=365)), rep(2, last_assigned_at=None)]
    assert picked(LEAD, LEAST, reps) == 2


def test_least_loaded_prefers_lower_load_over_longer_wait() -> None:
    reps = [rep(1, open_count=5, last_assigned_at=None), rep(2, open_count=1, last_assigned_at=T0)]
    assert picked(LEAD, LEAST, reps) == 2


# ----- grade aware -------------------------------------------------------------------------------

def test_grade_aware_sends_a_lead_to_most_senior_rep_with_room() -> None:
    reps = [rep(1, seniority=1), rep(2, seniority=3, open_count=10, capacity=10),  # senior but full
            rep(3, seniority=2, open_count=4), rep(4, seniority=2, open_count=1)]
    lead = LeadFacts(source='website', grade='A', region=None)
    assert picked(lead, [rule('grade_aware')], reps) == 4


def test_grade_aware_b_lead_goes_to_least_loaded_of_all() -> None:
    reps = [rep(1, seniority=3, open_count=5), rep(2, seniority=1, open_count=0)]
    assert picked(LEAD, [rule('grade_aware')], reps) == 2


def test_rule_limited_to_grade_a_skips_b_lead_to_next_rule() -> None:
    rules = [rule('grade_aware', name='Senior', grades='A'), rule('round_robin', name='RR')]
    pick = pick_assignee(LEAD, rules, [rep(1)])
    assert pick is not None
    assert pick.rule_name == 'RR'


# ----- region match ------------------------------------------------------------------------------

def test_region_match_picks_rep_covering_the_region() -> None:
    reps = [rep(1), rep(2, regions=frozenset({'广东', 'shanghai'}), open_count=5)]
    lead = LeadFacts(source='website', grade='B', region=' Shanghai ')
    pick = pick_assignee(lead, [rule('region_match', name='Region'), *LEAST], reps)
    assert pick is not None
    assert (pick.rep_id, pick.rule_name) == (2, 'Region')


def test_region_match_falls_through_when_no_rep_covers_region() -> None:
    reps = [rep(1, regions=frozenset({'北京'})), rep(2, open_count=1)]
    lead = LeadFacts(source='website', grade='B', region='上海')
    pick = pick_assignee(lead, [rule('region_match', name='Region'), rule('least_loaded', name='LL')], reps)
    assert pick is not None
    assert (pick.rep_id, pick.rule_name) == (1, 'LL')


def test_region_match_falls_through_when_lead_has_no_region() -> None:
    reps = [rep(1, regions=frozenset({''})), rep(2)]
    pick = pick_assignee(LEAD, [rule('region_match', name='Region'), rule('least_loaded', name='LL')], reps)
    assert pick is not None
    assert pick.rule_name == 'LL'


def test_rule_conditions_on_source_and_region_must_match() -> None:
    rules = [rule('least_loaded', name='Ads only', sources='ads'),
             rule('least_loaded', name='East', regions='上海，江苏'),
             rule('least_loaded', name='Fallback')]
    east = pick_assignee(LeadFacts(source='website', grade='B', region='江苏'), rules, [rep(1)])
    ads = pick_assignee(LeadFacts(source='ads', grade='B', region='江苏'), rules, [rep(1)])
    other = pick_assignee(LeadFacts(source='website', grade='B', region='北京'), rules, [rep(1)])
    assert (east and east.rule_name, ads and ads.rule_name, other and other.rule_name) == \
        ('East', 'Ads only', 'Fallback')


# ----- eligibility -------------------------------------------------------------------------------

def test_rep_on_leave_is_skipped() -> None:
    reps = [rep(1, available=False), rep(2, open_count=9)]
    assert picked(LEAD, LEAST, reps) == 2


def test_rep_at_capacity_is_skipped() -> None:
    reps = [rep(1, open_count=10, capacity=10, last_assigned_at=None), rep(2, last_assigned_at=T0)]
    assert picked(LEAD, [rule('round_robin')], reps) == 2


def test_rep_with_zero_capacity_is_skipped() -> None:
    reps = [rep(1, capacity=0), rep(2, open_count=9)]
    assert picked(LEAD, LEAST, reps) == 2


def test_rep_at_daily_quota_is_skipped() -> None:
    reps = [rep(1, assigned_today=5, daily_quota=5), rep(2, open_count=9)]
    assert picked(LEAD, LEAST, reps) == 2


def test_nobody_eligible_returns_none() -> None:
    reps = [rep(1, available=False), rep(2, open_count=10, capacity=10), rep(3, assigned_today=5)]
    rules = [rule('grade_aware'), rule('region_match'), rule('round_robin'), rule('least_loaded')]
    assert pick_assignee(LEAD, rules, reps) is None


def test_no_reps_or_no_rules_returns_none() -> None:
    assert pick_assignee(LEAD, LEAST, []) is None
    assert pick_assignee(LEAD, [], [rep(1)]) is None


def test_pool_reason_names_the_quota_when_reps_with_room_are_all_at_quota() -> None:
    reps = [rep(1, assigned_today=5, daily_quota=5), rep(2, assigned_today=3, daily_quota=3, open_count=2)]
    assert pick_assignee(LEAD, LEAST, reps) is None
    assert pool_reason(LEAD, LEAST, reps) == 'reason.quota_reached'


def test_pool_reason_is_no_eligible_rep_when_nobody_has_room_quota_aside() -> None:
    reps = [rep(1, available=False, assigned_today=5), rep(2, open_count=10, capacity=10, assigned_today=5)]
    assert pool_reason(LEAD, LEAST, reps) == 'reason.no_eligible_rep'
    assert pool_reason(LEAD, LEAST, []) == 'reason.no_eligible_rep'


def test_pool_reason_asks_only_reps_the_matching_rules_may_pick() -> None:
    """A region rule whose only rep is at quota, and no other rule: the quota is why."""
    lead = LeadFacts(source='website', grade='B', region='上海')
    reps = [rep(1, regions=frozenset({'上海'}), assigned_today=5), rep(2, regions=frozenset({'广东'}))]
    assert pool_reason(lead, [rule('region_match')], reps) == 'reason.quota_reached'
    assert pool_reason(lead, [rule('region_match')], [reps[1]]) == 'reason.no_eligible_rep'


# ----- explanation -------------------------------------------------------------------------------

def test_pick_reason_names_rule_rep_load_and_quota_left() -> None:
    reps = [rep(7, name='王芳', open_count=4, capacity=20, assigned_today=2, daily_quota=5)]
    pick = pick_assignee(LEAD, [rule('least_loaded', name='Least loaded')], reps)
    assert pick is not None
    assert pick.reason() == ('reason.assigned.least_loaded', {
        'rule': 'Least loaded', 'rep': '王芳', 'open': 4, 'capacity': 20, 'quota_left': 3})


def test_split_list_accepts_fullwidth_commas_and_lowercases() -> None:
    assert split_list(' A, b，C ,, ') == frozenset({'a', 'b', 'c'})
    assert split_list(None) == frozenset()
