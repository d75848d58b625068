"""core/capture/scoring.py: points, reasons, grade and temperature."""

from __future__ import annotations

import pytest

from core.capture.scoring import DEFAULT_RULES, Rule, grade_for, score_lead, temperature_for

RULES = [Rule(id=i + 1, kind=k, field=f, value=v, points=p, label_en=en, label_zh=zh)
         for i, (k, f, v, p, en, zh) in enumerate(DEFAULT_RULES)]


def test_default_rules_add_up_to_exactly_100() -> None:
    full = {'budget': '50万', 'authority': 'CEO', 'need': 'CRM', 'timeline': 'Q3', 'source': 'referral',
            'phone': '+8613812345678', 'email': 'a@b.com', 'company': 'Acme', 'title': 'CTO', 'message': 'hi'}
    assert score_lead(full, RULES).score == 100


def test_score_is_sum_of_fired_rule_points() -> None:
    result = score_lead({'budget': '10k', 'phone': '+8613812345678', 'source': 'website'}, RULES)
    assert result.score == 25


def test_each_reason_carries_points_and_both_labels() -> None:
    result = score_lead({'budget': '10k', 'email': 'a@b.com'}, RULES)
    assert result.reasons == [
        {'rule_id': 1, 'points': 20, 'en': 'Budget stated', 'zh': '已说明预算'},
        {'rule_id': 7, 'points': 5, 'en': 'Email given', 'zh': '留有邮箱'},
    ]
    assert sum(r['points'] for r in result.reasons) == result.score


def test_blank_or_whitespace_field_does_not_score() -> None:
    result = score_lead({'budget': '   ', 'need': '', 'authority': None}, RULES)
    assert result.score == 0
    assert result.reasons == []


@pytest.mark.parametrize('source', ['referral', 'trade_show'])
def test_high_intent_source_scores(source: str) -> None:
    assert score_lead({'source': source}, RULES).score == 10


def test_other_source_does_not_score() -> None:
    assert score_lead({'source': 'ads'}, RULES).score == 0


def test_equals_rule_is_case_insensitive() -> None:
    rule = Rule(id=9, kind='equals', field='industry', value='SaaS', points=12, label_en='SaaS', label_zh='软件')
    assert score_lead({'industry': ' saas '}, [rule]).score == 12
    assert score_lead({'industry': 'retail'}, [rule]).score == 0


def test_unknown_rule_kind_never_fires() -> None:
    rule = Rule(id=9, kind='regex', field='name', value='.*', points=50, label_en='x', label_zh='x')
    assert score_lead({'name': 'Anyone'}, [rule]).score == 0


def test_score_is_clamped_to_0_100() -> None:
    big = [Rule(id=i, kind='present', field='name', value='', points=60, label_en='x', label_zh='x')
           for i in range(3)]
    negative = [Rule(id=1, kind='present', field='name', value='', points=-30, label_en='x', label_zh='x')]
    assert score_lead({'name': 'x'}, big).score == 100
    assert score_lead({'name': 'x'}, negative).score == 0


@pytest.mark.parametrize(('score', 'grade'), [
    (100, 'A'), (70, 'A'), (69, 'B'), (40, 'B'), (39, 'C'), (0, 'C'),
])
def test_grade_thresholds(score: int, grade: str) -> None:
    assert grade_for(score) == grade


def test_score_result_grade_follows_score() -> None:
    facts = {'budget': 'x', 'authority': 'x', 'need': 'x', 'timeline': 'x', 'phone': 'x'}  # 70
    assert score_lead(facts, RULES).grade == 'A'
    facts.pop('phone')  # 65
    assert score_lead(facts, RULES).grade == 'B'


@pytest.mark.parametrize(('facts', 'temperature'), [
    ({'timeline': 'Q3', 'need': 'CRM'}, 'hot'),
    ({'touch_count': 2}, 'hot'),
    ({'timeline': 'Q3'}, 'warm'),
    ({'need': 'CRM'}, 'warm'),
    ({'message': 'call me'}, 'warm'),
    ({'touch_count': 1}, 'warm'),
    ({'budget': '1M', 'authority': 'CEO', 'touch_count': 0}, 'cold'),
    ({}, 'cold'),
])
def test_temperature_rules(facts: dict, temperature: str) -> None:
    assert temperature_for(facts) == temperature
    assert score_lead(facts, RULES).temperature == temperature
