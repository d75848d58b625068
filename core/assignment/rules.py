"""The assignment rules editor (managers, admins): list, save, reorder, and "who would get
this lead" — answered by the same `assign_writes.Team.pick` that capture itself runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core import permissions
from core.assignment.pick import split_ids, split_list
from core.assignment.writes import Team
from core.automation.policy import load_policy
from core.capture.config import assignment_rules
from core.context import Context, audit
from core.custom_fields.conditions import check_key, check_values
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.leads.normalize import clean_text
from core.tags.records import current_tags
from store import queries
from store.audit_actions import AuditAction
from store.models import AssignmentRule, Department, Grade, Lead, Role, Source, Strategy, User, UserRef

NAME_MAX = 100
LIST_MAX = 500
"""Length of the stored, comma-joined sources and regions columns."""
POSITION_RANGE = (0, 1000)
SCORE_RANGE = (0, 100)
GRADES = tuple(g.value for g in Grade)
NO_RULE_KEY = 'reason.no_eligible_rep'


@dataclass(frozen=True, slots=True)
class RuleView:
    id: int
    position: int
    name: str
    strategy: str
    match_sources: list[str]
    match_grades: list[str]
    match_regions: list[str]
    is_active: bool
    match_industries: list[str] = field(default_factory=list)
    min_score: int | None = None
    max_score: int | None = None
    rep_ids: list[int] = field(default_factory=list)
    match_tags: list[str] = field(default_factory=list)
    """Tag keys: the rule takes a lead holding any of them."""
    match_custom_key: str = ''
    """A lead custom field's key (empty: no such condition)."""
    match_custom_values: list[str] = field(default_factory=list)
    """Its option keys (yes/no: yes, no): the lead's value is, or holds, one of them."""
    department_id: int | None = None
    """The rule picks only among the reps of this department and those below it (None: any rep)."""


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """Who a sample lead would go to now, and why; `rep_id` None means the pool."""

    __test__ = False  # not a pytest class

    rep_id: int | None
    rep_name: str | None
    reason_key: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def pooled(self) -> bool:
        return self.rep_id is None


def _items(value: Sequence[str] | str | None) -> list[str]:
    """A list from a list or a comma-separated text; blanks dropped, order and first spelling kept."""
    if value is None:
        return []
    parts = value.replace('，', ',').split(',') if isinstance(value, str) else list(value)
    out: list[str] = []
    for part in parts:
        text = (clean_text(str(part)) or '').strip()
        if text and text.lower() not in {o.lower() for o in out}:
            out.append(text)
    return out


def _view(row: AssignmentRule) -> RuleView:
    return RuleView(id=row.id or 0, position=row.position, name=row.name, strategy=row.strategy,
                    match_sources=_items(row.match_sources), match_grades=_items(row.match_grades),
                    match_regions=_items(row.match_regions), is_active=row.is_active,
                    match_industries=_items(row.match_industries), min_score=row.min_score,
                    max_score=row.max_score, rep_ids=sorted(split_ids(row.rep_ids)),
                    match_tags=sorted(split_list(row.match_tags)), match_custom_key=row.match_custom_key,
                    match_custom_values=_items(row.match_custom_values), department_id=row.department_id)


def _score(value: Any, field_name: str, errors: dict[str, str]) -> int | None:
    """A score bound 0–100, or None for "no bound"; a bad value (any type: the form's raw input) names
    its field."""
    if value is None or value == '':
        return None
    try:
        number = int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        errors[field_name] = 'invalid'
        return None
    if not SCORE_RANGE[0] <= number <= SCORE_RANGE[1]:
        errors[field_name] = 'out_of_range'
        return None
    return number


class RulesService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _check(self, actor: UserRef) -> None:
        if not permissions.can_assign(actor):
            raise NotAllowed()

    def rules(self, actor: UserRef) -> list[RuleView]:
        """Every rule, switched off ones too, in the order they are tried."""
        self._check(actor)
        with self.ctx.read() as session:
            return [_view(r) for r in queries.all_assignment_rules(session)]

    def save_rule(self, actor: UserRef, rule_id: int | None, *, name: str, strategy: str,
                  match_sources: Sequence[str] | str | None = None, match_grades: Sequence[str] | str | None = None,
                  match_regions: Sequence[str] | str | None = None, position: int | None = 0,
                  is_active: bool = True, match_industries: Sequence[str] | str | None = None,
                  min_score: int | None = None, max_score: int | None = None,
                  rep_ids: Sequence[int] | None = None, match_tags: Sequence[str] | str | None = None,
                  match_custom_key: str | None = None, match_custom_values: Sequence[str] | str | None = None,
                  department_id: int | None = None) -> int:
        """Create (rule_id None) or change a rule; raises ValidationFailed naming every bad field.
        `match_tags`: keys (or names) of active tags; the rule then takes only leads holding one.
        `match_custom_key`: an active single select, multi select or yes/no lead field; the rule then
        takes only leads whose value is (or holds) one of `match_custom_values`. `department_id`: the rule
        picks only among the reps of that department's subtree (with `rep_ids`, those of them inside it)."""
        self._check(actor)
        errors: dict[str, str] = {}
        clean_name = clean_text(name, max_length=NAME_MAX + 1)
        if not clean_name:
            errors['name'] = 'required'
        elif len(clean_name) > NAME_MAX:
            errors['name'] = 'too_long'
        if strategy not in Strategy.__members__.values():
            errors['strategy'] = 'invalid'
        sources = [s.lower() for s in _items(match_sources)]
        if any(s not in Source.__members__.values() for s in sources):
            errors['match_sources'] = 'invalid'
        elif len(','.join(sources)) > LIST_MAX:
            errors['match_sources'] = 'too_long'
        grades = [g.upper() for g in _items(match_grades)]
        if any(g not in GRADES for g in grades):
            errors['match_grades'] = 'invalid'
        regions = _items(match_regions)
        if len(', '.join(regions)) > LIST_MAX:
            errors['match_regions'] = 'too_long'
        industries = _items(match_industries)
        if len(', '.join(industries)) > LIST_MAX:
            errors['match_industries'] = 'too_long'
        low, high = _score(min_score, 'min_score', errors), _score(max_score, 'max_score', errors)
        if low is not None and high is not None and low > high:
            errors['max_score'] = 'below_min'
        targets: list[int] = []
        try:
            targets = sorted({int(r) for r in rep_ids or []})
        except (TypeError, ValueError):
            errors['rep_ids'] = 'invalid'
        number = 0
        try:
            number = int(position if position is not None else 0)
            if isinstance(position, float) and position != number:
                raise ValueError
        except (TypeError, ValueError):
            errors['position'] = 'invalid'
        else:
            if not POSITION_RANGE[0] <= number <= POSITION_RANGE[1]:
                errors['position'] = 'out_of_range'
        custom_key, custom_values = (match_custom_key or '').strip(), _items(match_custom_values)
        if custom_key:
            with self.ctx.read() as session:
                fields = self.ctx.capture_config.load(session).custom
            found = check_key(fields, custom_key, errors, 'match_custom_key')
            custom_values = check_values(found, custom_values, errors, 'match_custom_values') if found else []
        else:
            custom_values = []
        tag_keys: list[str] = []
        try:
            tag_set = current_tags(self.ctx)
            tag_keys = sorted(tag_set.keys(tag_set.resolve(_items(match_tags), field='match_tags')))
        except ValidationFailed as e:
            errors.update(e.errors)
        department = department_id if isinstance(department_id, int) and not isinstance(department_id, bool) else None
        if department_id is not None and department is None:
            errors['department_id'] = 'invalid'
        if errors:
            raise ValidationFailed(errors)
        with self.ctx.write() as session:
            if department is not None and session.get(Department, department) is None:
                raise ValidationFailed({'department_id': 'invalid'})
            rule = session.get(AssignmentRule, rule_id) if rule_id else AssignmentRule(name='', strategy='')
            if rule is None:
                raise NotFound()
            known = [u for u in (session.get(User, rid) for rid in targets)
                     if u is not None and u.is_active and u.role == Role.REP]
            if len(known) != len(targets):
                raise ValidationFailed({'rep_ids': 'invalid'})
            created = rule.id is None
            rule.name, rule.strategy = clean_name or '', strategy
            rule.position, rule.is_active = number, bool(is_active)
            rule.match_sources = ','.join(sources)
            rule.match_grades = ','.join(grades)
            rule.match_regions = ', '.join(regions)
            rule.match_industries = ', '.join(industries)
            rule.min_score, rule.max_score = low, high
            rule.rep_ids = ','.join(map(str, targets))
            rule.match_tags = ','.join(tag_keys)
            rule.match_custom_key, rule.match_custom_values = custom_key, ','.join(custom_values)
            rule.department_id = department
            session.add(rule)
            session.flush()
            audit(session, AuditAction.RULE_SAVED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.rule_saved',
                  rule=rule.name, rule_id=rule.id, created=created, strategy=rule.strategy,
                  sources=rule.match_sources, grades=rule.match_grades, regions=rule.match_regions,
                  industries=rule.match_industries, min_score=rule.min_score, max_score=rule.max_score,
                  reps=rule.rep_ids, tags=rule.match_tags,
                  custom_key=rule.match_custom_key, custom_values=rule.match_custom_values,
                  department_id=rule.department_id, position=rule.position, active=rule.is_active)
            return rule.id or 0

    def move_rule(self, actor: UserRef, rule_id: int, direction: str) -> None:
        """Swap a rule with its neighbour above ('up') or below ('down'); at either end nothing moves."""
        self._check(actor)
        if direction not in ('up', 'down'):
            raise ValidationFailed({'direction': 'invalid'})
        with self.ctx.write() as session:
            ordered = list(queries.all_assignment_rules(session))
            index = next((i for i, r in enumerate(ordered) if r.id == rule_id), None)
            if index is None:
                raise NotFound()
            other = index - 1 if direction == 'up' else index + 1
            if not 0 <= other < len(ordered):
                return
            if len({r.position for r in ordered}) != len(ordered):  # ties: number them in their order first
                for i, r in enumerate(ordered):
                    r.position = i
            mine, theirs = ordered[index], ordered[other]
            mine.position, theirs.position = theirs.position, mine.position
            session.add_all(ordered)
            audit(session, AuditAction.RULE_SAVED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.rule_saved',
                  rule=mine.name, rule_id=mine.id, moved=direction, position=mine.position)

    def reorder_rules(self, actor: UserRef, ordered_ids: Sequence[int]) -> None:
        """A dragged list: the rules take positions 0, 1, … in this order (every rule must be named once)."""
        self._check(actor)
        with self.ctx.write() as session:
            rules = {r.id or 0: r for r in queries.all_assignment_rules(session)}
            if sorted(ordered_ids) != sorted(rules):
                raise ValidationFailed({'order': 'stale'})
            for position, rule_id in enumerate(ordered_ids):
                rules[rule_id].position = position
            session.add_all(rules.values())
            audit(session, AuditAction.RULES_REORDERED, now=self.ctx.now(), actor_id=actor.id,
                  reason_key='reason.rules_reordered', order=', '.join(rules[i].name for i in ordered_ids))

    def test_rule(self, actor: UserRef, *, source: str, grade: str, region: str | None = None,
                  industry: str | None = None, score: int | None = None,
                  tags: Sequence[str] = (), custom: Mapping[str, Any] | None = None) -> TestOutcome:
        """Who a new lead like this would go to right now: the active rules against the team's
        current load, through the same `Team.pick` capture uses. Nothing is written."""
        self._check(actor)
        errors: dict[str, str] = {}
        if source not in Source.__members__.values():
            errors['source'] = 'invalid'
        if (grade or '').upper() not in GRADES:
            errors['grade'] = 'invalid'
        sample_score = _score(score, 'score', errors)
        tag_set = current_tags(self.ctx)
        try:
            sample_tags = tag_set.keys(tag_set.resolve(list(tags)))
        except ValidationFailed as e:
            errors.update(e.errors)
        with self.ctx.read() as session:
            fields = self.ctx.capture_config.load(session).custom
        try:
            sample_custom = fields.check(custom or {})
        except ValidationFailed as e:
            errors.update(e.errors)
        if errors:
            raise ValidationFailed(errors)
        sample = Lead(name='sample', source=source, grade=grade.upper(), region=clean_text(region) or None,
                      custom=sample_custom, industry=clean_text(industry) or None, score=sample_score or 0)
        now = self.ctx.now()
        with self.ctx.read() as session:
            team = Team(session, self.ctx.day_start(now), rules=assignment_rules(session), now=now,
                        calendar=load_policy(session).calendar)
            pick = team.pick(sample, tags=sample_tags)
        if pick is None:
            return TestOutcome(rep_id=None, rep_name=None, reason_key=NO_RULE_KEY)
        key, params = pick.reason()
        return TestOutcome(rep_id=pick.rep_id, rep_name=pick.rep_name, reason_key=key, params=params)
