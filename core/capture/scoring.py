"""Lead scoring: editable rules → score 0–100, grade A/B/C, temperature.

Every point carries its reason, so the lead page can show why a lead is an A.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.assignment.pick import custom_tokens
from store.models import Grade, ScoringKind, Source, Temperature

if TYPE_CHECKING:
    from core.leads.record import LeadRecord

CUSTOM_KINDS = frozenset({ScoringKind.CUSTOM_PRESENT, ScoringKind.CUSTOM_EQUALS})
"""The kinds whose `field` is a lead custom field's key."""
CUSTOM_FACT = 'custom'
"""The facts' entry holding the lead's custom values by key (`Lead.custom`, in `model_dump`)."""
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
    """A `ScoringKind`."""
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


_P = ScoringKind.PRESENT
DEFAULT_RULES: tuple[tuple[str, str, str, int, str, str], ...] = (
    (_P, 'budget', '', 20, 'Budget stated', '已说明预算'),
    (_P, 'authority', '', 15, 'Decision maker identified', '已确认决策人'),
    (_P, 'need', '', 15, 'Need described', '已描述需求'),
    (_P, 'timeline', '', 15, 'Timeline given', '已给出采购时间'),
    (ScoringKind.SOURCE_IN, 'source', f'{Source.REFERRAL},{Source.TRADE_SHOW}', 10,
     'High-intent source (referral, trade show)', '高意向来源（推荐、展会）'),
    (_P, 'phone', '', 5, 'Phone number given', '留有电话'),
    (_P, 'email', '', 5, 'Email given', '留有邮箱'),
    (_P, 'company', '', 5, 'Company given', '留有公司'),
    (_P, 'title', '', 5, 'Job title given', '留有职位'),
    (_P, 'message', '', 5, 'Left a message', '留有留言'),
)
"""(kind, field, value, points, English label, Chinese label); the maximum is 100."""


def _matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """Whether one rule fires for these facts (the tags' keys under `TAGS_FACT`)."""
    return _matcher(rule)(facts, facts.get(TAGS_FACT, ()))


Matcher = Callable[[Mapping[str, Any], Collection[str]], bool]
"""A rule made ready to test: (the lead's facts, its tag keys) → fires."""


def _matcher(rule: Rule) -> Matcher:
    """The rule's test with its constants (the lower-cased value, a source list's set) worked out
    once: a batch of 2,000 leads tests every rule against every lead, and re-splitting and
    re-lowering the same rule text per lead was ~a third of scoring's time."""
    field_, kind = rule.field, rule.kind
    want = rule.value.strip().lower()
    if kind == ScoringKind.CUSTOM_PRESENT:
        return lambda facts, _tags: bool(custom_tokens((facts.get(CUSTOM_FACT) or {}).get(field_)))
    if kind == ScoringKind.CUSTOM_EQUALS:
        return lambda facts, _tags: want in custom_tokens((facts.get(CUSTOM_FACT) or {}).get(field_))
    if kind == ScoringKind.PRESENT:
        def present(facts: Mapping[str, Any], _tags: Collection[str]) -> bool:
            value = facts.get(field_)
            return bool(value and str(value).strip())
        return present
    if kind == ScoringKind.SOURCE_IN:
        sources = frozenset(v.strip() for v in rule.value.split(',') if v.strip())
        return lambda facts, _tags: str(facts.get('source') or '') in sources
    if kind == ScoringKind.EQUALS:
        def equals(facts: Mapping[str, Any], _tags: Collection[str]) -> bool:
            value = facts.get(field_)
            return value is not None and str(value).strip().lower() == want
        return equals
    if kind == ScoringKind.HAS_TAG:
        return lambda _facts, tags: want in tags
    return lambda _facts, _tags: False


_compiled: tuple[Sequence[Rule], list[tuple[Matcher, Rule]]] | None = None
"""The last rule set's matchers, kept while the same rules object is passed (the capture config
keeps one tuple until the rules change: core/capture/config.py); replaced whole, so threads at
worst compile twice."""


def _matchers(rules: Sequence[Rule]) -> list[tuple[Matcher, Rule]]:
    global _compiled
    cached = _compiled
    if cached is not None and cached[0] is rules:
        return cached[1]
    matchers = [(_matcher(r), r) for r in rules]
    if isinstance(rules, tuple):  # (a list may be changed in place: not kept)
        _compiled = (rules, matchers)
    return matchers


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
    return _score(facts, facts.get(TAGS_FACT, ()), rules)


def _score(facts: Mapping[str, Any], tags: Collection[str], rules: Sequence[Rule]) -> Score:
    reasons: list[dict[str, Any]] = [
        {'rule_id': r.id, 'points': r.points, 'en': r.label_en, 'zh': r.label_zh}
        for fires, r in _matchers(rules) if fires(facts, tags)
    ]
    total = max(0, min(100, sum(r['points'] for r in reasons)))
    return Score(score=total, grade=grade_for(total), temperature=temperature_for(facts), reasons=reasons)


def rescore(lead: LeadRecord, rules: Sequence[Rule], tags: Collection[str] = ()) -> None:
    """Score the lead afresh from its current fields and its tags' keys (a capture, a touch, an
    edit, a merge, a tag put on or taken off)."""
    result = _score(lead.model_dump(), frozenset(tags), rules)
    lead.score, lead.grade, lead.temperature = result.score, result.grade, result.temperature
    lead.score_reasons = result.reasons
