"""Lead scoring: editable rules → score 0–100, grade A/B/C, temperature.

Every point carries its reason, so the lead page can show why a lead is an A.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from store.models import Grade, Source, Temperature

if TYPE_CHECKING:
    from core.leads.record import LeadRecord

HAS_TAG = 'has_tag'
"""The rule kind "the lead holds the tag whose key is `value`" (core/tags)."""
TAGS_FACT = 'tags'
"""The facts' entry holding the lead's tag keys (given by the caller: tags live in `record_tags`)."""
GRADE_A_MIN = 70
GRADE_B_MIN = 40

SCORABLE_FIELDS = ('budget', 'authority', 'need', 'timeline', 'phone', 'email', 'company',
                   'title', 'wechat', 'message', 'industry', 'region', 'city', 'campaign')


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    kind: str
    """present | source_in | equals | has_tag (`value`: a tag's key)"""
    field: str
    value: str
    points: int
    label_en: str
    label_zh: str


@dataclass(frozen=True, slots=True)
class Score:
    score: int
    grade: str
    temperature: str
    reasons: list[dict[str, Any]] = field(default_factory=list)


DEFAULT_RULES: tuple[tuple[str, str, str, int, str, str], ...] = (
    ('present', 'budget', '', 20, 'Budget stated', '已说明预算'),
    ('present', 'authority', '', 15, 'Decision maker identified', '已确认决策人'),
    ('present', 'need', '', 15, 'Need described', '已描述需求'),
    ('present', 'timeline', '', 15, 'Timeline given', '已给出采购时间'),
    ('source_in', 'source', f'{Source.REFERRAL},{Source.TRADE_SHOW}', 10,
     'High-intent source (referral, trade show)', '高意向来源（推荐、展会）'),
    ('present', 'phone', '', 5, 'Phone number given', '留有电话'),
    ('present', 'email', '', 5, 'Email given', '留有邮箱'),
    ('present', 'company', '', 5, 'Company given', '留有公司'),
    ('present', 'title', '', 5, 'Job title given', '留有职位'),
    ('present', 'message', '', 5, 'Left a message', '留有留言'),
)
"""(kind, field, value, points, English label, Chinese label); the maximum is 100."""


def _matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    value = facts.get(rule.field)
    if rule.kind == 'present':
        return bool(value and str(value).strip())
    if rule.kind == 'source_in':
        return str(facts.get('source') or '') in {v.strip() for v in rule.value.split(',') if v.strip()}
    if rule.kind == 'equals':
        return value is not None and str(value).strip().lower() == rule.value.strip().lower()
    if rule.kind == HAS_TAG:
        return rule.value.strip().lower() in facts.get(TAGS_FACT, ())
    return False


def grade_for(score: int) -> str:
    if score >= GRADE_A_MIN:
        return Grade.A
    return Grade.B if score >= GRADE_B_MIN else Grade.C


def temperature_for(facts: Mapping[str, Any]) -> str:
    """Urgency rather than fit: a stated timeline with a need, or repeated arrivals, is hot."""
    touches = int(facts.get('touch_count') or 0)
    if (facts.get('timeline') and facts.get('need')) or touches >= 2:
        return Temperature.HOT
    if facts.get('timeline') or facts.get('need') or facts.get('message') or touches >= 1:
        return Temperature.WARM
    return Temperature.COLD


def score_lead(facts: Mapping[str, Any], rules: Sequence[Rule]) -> Score:
    """Sum the points of every rule that fires, clamp to 0–100, derive grade and temperature."""
    reasons: list[dict[str, Any]] = [
        {'rule_id': r.id, 'points': r.points, 'en': r.label_en, 'zh': r.label_zh}
        for r in rules if _matches(r, facts)
    ]
    total = max(0, min(100, sum(r['points'] for r in reasons)))
    return Score(score=total, grade=grade_for(total), temperature=temperature_for(facts), reasons=reasons)


def rescore(lead: LeadRecord, rules: Sequence[Rule], tags: Collection[str] = ()) -> None:
    """Score the lead afresh from its current fields and its tags' keys (a capture, a touch, an
    edit, a merge, a tag put on or taken off)."""
    result = score_lead(lead.model_dump() | {TAGS_FACT: frozenset(tags)}, rules)
    lead.score, lead.grade, lead.temperature = result.score, result.grade, result.temperature
    lead.score_reasons = result.reasons
