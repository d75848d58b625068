"""Who gets a new lead: ordered rules, first match wins, fair tie-breaks.

Pure: the caller passes the rules and each rep's current load; nothing here
reads the database or the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from store.models import Grade, Strategy

_NEVER = datetime.min.replace(tzinfo=UTC)
NO_CUSTOM: Mapping[str, Any] = MappingProxyType({})
YES, NO = 'yes', 'no'
"""How a rule names a yes/no field's two values (the lead stores True / False)."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: int
    name: str
    strategy: str
    match_sources: frozenset[str]
    match_grades: frozenset[str]
    match_regions: frozenset[str]
    match_industries: frozenset[str] = frozenset()
    min_score: int | None = None
    max_score: int | None = None
    rep_ids: frozenset[int] = frozenset()
    """The reps this rule may pick from; empty: every rep."""
    match_tags: frozenset[str] = frozenset()
    """Tag keys: the lead holds any of them (empty: any lead)."""
    match_custom_key: str = ''
    """A lead custom field's key; empty: no custom condition."""
    match_custom_values: frozenset[str] = frozenset()
    """Option keys (yes/no: `yes` / `no`) the field's value must be or hold. Empty while a key is
    set (its field was retired since): the rule matches no lead (see `custom_tokens`)."""
    department_id: int | None = None
    """The rule picks only among reps of this department's subtree (None: no such limit)."""
    department_ids: frozenset[int | None] = frozenset()
    """That subtree, resolved when the rules are read (core/capture/config.py); None in it stands
    for reps placed in no department, who belong to the root. Empty with `department_id` set (the
    department was removed): nobody, so the rule never widens to every rep."""
    department_name: str = ''
    """The department's name for the reason (the root's stored default is translated by the UI)."""


@dataclass(frozen=True, slots=True)
class RepLoad:
    id: int
    name: str
    open_count: int
    capacity: int
    assigned_today: int
    daily_quota: int
    seniority: int
    regions: frozenset[str]
    available: bool
    """Active, a rep, not on leave and on shift."""
    last_assigned_at: datetime | None
    department_id: int | None = None
    """The rep's department (None: placed in none, i.e. the root's)."""
    has_room: bool = field(init=False, repr=False, compare=False)
    load: float = field(init=False, repr=False, compare=False)
    fair_key: tuple[float, datetime, int] = field(init=False, repr=False, compare=False)
    """Lowest load first; equal loads go to whoever waited longest (no seniority bias)."""

    def __post_init__(self) -> None:
        # Worked out once per load rather than per look: every captured lead compares every rep
        # (an import of 100k leads among 20 reps looked 2M times).
        load = self.open_count / self.capacity if self.capacity > 0 else 1.0
        object.__setattr__(self, 'has_room', self.available and self.open_count < self.capacity
                           and self.assigned_today < self.daily_quota)
        object.__setattr__(self, 'load', load)
        object.__setattr__(self, 'fair_key', (load, self.last_assigned_at or _NEVER, self.id))


@dataclass(frozen=True, slots=True)
class LeadFacts:
    source: str
    grade: str
    region: str | None
    industry: str | None = None
    score: int = 0
    tags: frozenset[str] = frozenset()
    """The keys of the lead's tags."""
    custom: Mapping[str, Any] = field(default_factory=lambda: NO_CUSTOM)
    """The lead's custom field values by key (`Lead.custom`)."""


@dataclass(frozen=True, slots=True)
class Pick:
    rep_id: int
    rep_name: str
    rule_name: str
    strategy: str
    open_count: int
    capacity: int
    quota_left: int
    department: str = ''
    """The department the rule picked within ('' : the rule targets none)."""

    def reason(self) -> tuple[str, dict[str, object]]:
        """The i18n key and parameters that explain this pick (a department rule's names the department)."""
        params: dict[str, object] = {
            'rule': self.rule_name, 'rep': self.rep_name, 'open': self.open_count,
            'capacity': self.capacity, 'quota_left': self.quota_left,
        }
        if self.department:
            return f'reason.assigned.{self.strategy}_department', {**params, 'department': self.department}
        return f'reason.assigned.{self.strategy}', params


def split_list(text: str | None) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in (text or '').replace('，', ',').split(',') if part.strip())


def split_ids(text: str | None) -> frozenset[int]:
    return frozenset(int(part) for part in (text or '').split(',') if part.strip().isdigit())


def custom_tokens(value: Any) -> frozenset[str]:
    """A stored custom value as the option keys a rule compares: a single select's key, a multi
    select's keys, a yes/no's `yes` / `no`; nothing for an empty value."""
    if isinstance(value, bool):
        return frozenset({YES if value else NO})
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(str(v).lower() for v in value)
    return frozenset({str(value).lower()}) if value not in (None, '') else frozenset()


def rule_matches(rule: RuleSpec, lead: LeadFacts) -> bool:
    if rule.match_sources and lead.source.lower() not in rule.match_sources:
        return False
    if rule.match_grades and lead.grade.lower() not in rule.match_grades:
        return False
    if rule.match_regions and (lead.region or '').strip().lower() not in rule.match_regions:
        return False
    if rule.match_industries and (lead.industry or '').strip().lower() not in rule.match_industries:
        return False
    if rule.min_score is not None and lead.score < rule.min_score:
        return False
    if rule.match_tags and not rule.match_tags & lead.tags:
        return False
    if rule.match_custom_key and not rule.match_custom_values & custom_tokens(lead.custom.get(rule.match_custom_key)):
        return False
    return not (rule.max_score is not None and lead.score > rule.max_score)


_fair_key: Callable[[RepLoad], tuple[float, datetime, int]] = attrgetter('fair_key')


def _eligible(strategy: str, lead: LeadFacts, room: Sequence[RepLoad]
              ) -> tuple[Sequence[RepLoad], Callable[[RepLoad], Any]]:
    """Of the reps with room, those a strategy may choose from, and its order (smallest key first)."""
    if strategy == Strategy.ROUND_ROBIN:
        return room, lambda r: (r.last_assigned_at or _NEVER, r.id)
    if strategy == Strategy.GRADE_AWARE and lead.grade == Grade.A:
        top = max((r.seniority for r in room), default=0)
        room = [r for r in room if r.seniority == top]
    elif strategy == Strategy.REGION_MATCH:
        region = (lead.region or '').strip().lower()
        room = [r for r in room if region in r.regions] if region else []
    return room, _fair_key


def candidates(strategy: str, lead: LeadFacts, reps: Sequence[RepLoad]) -> list[RepLoad]:
    """Eligible reps for a strategy, best first; empty when the strategy cannot place the lead."""
    room, key = _eligible(strategy, lead, [r for r in reps if r.has_room])
    return sorted(room, key=key)


def _best(strategy: str, lead: LeadFacts, room: Sequence[RepLoad]) -> RepLoad | None:
    """`candidates(…)[0]` of reps known to have room, without sorting them all."""
    eligible, key = _eligible(strategy, lead, room)
    return min(eligible, key=key, default=None)


def targets(rule: RuleSpec, reps: Sequence[RepLoad]) -> Sequence[RepLoad]:
    """The reps a rule may pick from: its named reps (if any), within its department subtree (if any)."""
    if rule.rep_ids:
        reps = [r for r in reps if r.id in rule.rep_ids]
    if rule.department_id is not None:
        reps = [r for r in reps if r.department_id in rule.department_ids]
    return reps


def pick_assignee(lead: LeadFacts, rules: Sequence[RuleSpec], reps: Sequence[RepLoad]) -> Pick | None:
    """The first matching rule that has a candidate decides; None sends the lead to the pool."""
    reps = [r for r in reps if r.has_room]  # once, not per rule (every captured lead asks this)
    for rule in rules:
        if not rule_matches(rule, lead):
            continue
        best = _best(rule.strategy, lead, targets(rule, reps))
        if best is not None:
            return Pick(rep_id=best.id, rep_name=best.name, rule_name=rule.name, strategy=rule.strategy,
                        open_count=best.open_count, capacity=best.capacity,
                        quota_left=best.daily_quota - best.assigned_today,
                        department=rule.department_name if rule.department_id is not None else '')
    return None


def pool_reason(lead: LeadFacts, rules: Sequence[RuleSpec], reps: Sequence[RepLoad]) -> str:
    """Why `pick_assignee` found nobody, as an i18n key: `reason.quota_reached` when some matching
    rule would have had a rep but for today's quota, else `reason.no_eligible_rep`."""
    free = [r for r in reps if r.available and r.open_count < r.capacity]  # room, quota aside
    for rule in rules:
        if rule_matches(rule, lead) and _best(rule.strategy, lead, targets(rule, free)):
            return 'reason.quota_reached'
    return 'reason.no_eligible_rep'


DEFAULT_RULES: tuple[tuple[str, str, str, str], ...] = (
    ('A leads to senior reps', Strategy.GRADE_AWARE, 'A', ''),
    ('Region match', Strategy.REGION_MATCH, '', ''),
    ('Least loaded', Strategy.LEAST_LOADED, '', ''),
)
"""(name, strategy, grades, sources): the rules a new database starts with."""
