"""The one path by which leads enter: validate → normalise → dedupe → score → create
or touch → assign. Every channel (manual, web form, API, import, demo) calls
`capture` inside its transaction; nothing else creates a lead."""

from __future__ import annotations

import dataclasses
import hashlib
import weakref
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

from sqlmodel import Session

from store import config_version, queries
from store.locks import identity_keys, lock_identities, lock_identity_keys
from store.models import ActivityKind, Lead, LeadStatus, Source, User

from . import assignment, scoring
from .context import audit
from .errors import ValidationFailed
from .normalize import clean_text, normalize_company, normalize_email, normalize_phone
from .notify import managers, notify
from .pending import NewLead, Writes
from .policy import Policy, load_policy
from .twins import TwinIndex
from .workhours import WorkCalendar

FIELD_LIMITS: dict[str, int] = {
    'name': 200, 'phone': 50, 'email': 254, 'company': 200, 'title': 100, 'wechat': 100,
    'region': 100, 'city': 100, 'industry': 100, 'source': 30, 'campaign': 200, 'message': 5000,
    'budget': 200, 'authority': 200, 'need': 500, 'timeline': 200, 'external_id': 200,
}
"""Every field a lead can be captured with, and its maximum length."""

FILLABLE = ('phone', 'email', 'company', 'title', 'wechat', 'region', 'city', 'industry',
            'budget', 'authority', 'need', 'timeline', 'campaign', 'external_id')
"""Fields a duplicate arrival may fill in when the existing lead has them empty."""


class ExternalScope(StrEnum):
    """Whose ids an `external_id` is, beyond API keys (each key is its own scope: `api_scope`)."""

    IMPORT = 'import'
    """The desk's own channels: imports (a CRM's ids), and manual entry or the demo should one carry an
    id. Also where the ids of leads from before scopes went when no API key's record named them."""


EXTERNAL_KEY_MAX = 200
"""`Lead.external_key`'s length (the column that held the bare id before scopes: renamed, not rebuilt)."""


def api_scope(api_key_id: int) -> str:
    """The scope of the ids one API key sends: its own, so another key's equal id is another lead."""
    return f'key:{api_key_id}'


def external_key(scope: str, external_id: str) -> str:
    """`external_id` within `scope`: what `Lead.external_key` holds and is unique on. `\\x1f` joins them
    (clean text never holds it, nor does a scope), so no two (scope, id) pairs share a key; an id too
    long to fit 200 characters with its scope is named by its SHA-256 instead."""
    key = f'{scope}\x1f{external_id}'
    if len(key) <= EXTERNAL_KEY_MAX:
        return key
    return f'{scope}\x1f#{hashlib.sha256(external_id.encode()).hexdigest()}'



@dataclass(frozen=True, slots=True)
class CleanLead:
    name: str
    source: str
    phone: str | None = None
    phone_norm: str | None = None
    email: str | None = None
    company: str | None = None
    company_norm: str | None = None
    title: str | None = None
    wechat: str | None = None
    region: str | None = None
    city: str | None = None
    industry: str | None = None
    campaign: str | None = None
    message: str | None = None
    budget: str | None = None
    authority: str | None = None
    need: str | None = None
    timeline: str | None = None
    external_id: str | None = None
    external_key: str | None = None
    """`external_id` within the sender's scope (`external_key`): what dedupe by id compares."""


@dataclass(frozen=True, slots=True)
class CaptureResult:
    lead_id: int
    created: bool
    status: str
    score: int
    grade: str
    owner_id: int | None
    owner_name: str | None
    skipped: bool = False
    """A duplicate left as it was (an import told to skip duplicates)."""

    @property
    def duplicate_of(self) -> int | None:
        return None if self.created else self.lead_id


def validate(data: Mapping[str, Any], *, default_source: str, region: str = 'CN',
             external_scope: str = ExternalScope.IMPORT) -> CleanLead:
    """Clean and check raw input; raises ValidationFailed naming every bad field at once.
    `external_scope`: whose id an `external_id` is (`api_scope` of the sending key for the API)."""
    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name, limit in FIELD_LIMITS.items():
        raw = data.get(name)
        if raw is None:
            values[name] = None
            continue
        if not isinstance(raw, str | int | float):
            errors[name] = 'invalid'
            continue
        text = clean_text(str(raw), max_length=limit + 1)
        if text is not None and len(text) > limit:
            errors[name] = 'too_long'
        values[name] = text
    if not values.get('name') and 'name' not in errors:
        errors['name'] = 'required'
    phone_norm = normalize_phone(values.get('phone'), region)
    if values.get('phone') and not phone_norm and 'phone' not in errors:
        errors['phone'] = 'invalid_phone'
    email = normalize_email(values.get('email'))
    if values.get('email') and not email and 'email' not in errors:
        errors['email'] = 'invalid_email'
    if not values.get('phone') and not values.get('email') and not ({'phone', 'email'} & errors.keys()):
        errors['phone'] = 'phone_or_email'
    source = values.get('source') or default_source
    if source not in Source.__members__.values():
        errors['source'] = 'invalid_source'
    if errors:
        raise ValidationFailed(errors)
    values.update(source=source, email=email)
    ext = values.get('external_id')
    return CleanLead(**{k: v for k, v in values.items() if k in CleanLead.__slots__},  # type: ignore[arg-type]
                     phone_norm=phone_norm, company_norm=normalize_company(values.get('company')),
                     external_key=external_key(external_scope, ext) if ext else None)


def _rules(session: Session) -> list[scoring.Rule]:
    return [scoring.Rule(id=r.id or 0, kind=r.kind, field=r.field, value=r.value, points=r.points,
                         label_en=r.label_en, label_zh=r.label_zh) for r in queries.scoring_rules(session)]


def _rule_specs(session: Session) -> list[assignment.RuleSpec]:
    return [assignment.RuleSpec(id=r.id or 0, name=r.name, strategy=r.strategy,
                                match_sources=assignment.split_list(r.match_sources),
                                match_grades=assignment.split_list(r.match_grades),
                                match_regions=assignment.split_list(r.match_regions),
                                match_industries=assignment.split_list(r.match_industries),
                                min_score=r.min_score, max_score=r.max_score, rep_ids=assignment.split_ids(r.rep_ids))
            for r in queries.assignment_rules(session)]


@dataclass(frozen=True, slots=True)
class Config:
    """What captures read from the configuration: scoring rules, assignment rules, the policy
    (all immutable, so one copy serves every thread)."""
    scoring: tuple[scoring.Rule, ...]
    rules: tuple[assignment.RuleSpec, ...]
    policy: Policy


_configs: weakref.WeakKeyDictionary[Any, tuple[str, Config]] = weakref.WeakKeyDictionary()
"""Per engine: the config token (store/config_version.py) and what was read under it."""


def load_config(session: Session) -> Config:
    """The configuration as this transaction sees it: kept per engine while the database's config
    token stays the same (one primary-key read per capture instead of three queries and their
    objects); read afresh when the token changed — in this process or another — or there is none."""
    engine = session.get_bind()
    token = config_version.current(session)  # first: what is read below is at least this recent
    kept = _configs.get(engine) if token is not None else None
    if kept is not None and kept[0] == token:
        return kept[1]
    config = Config(scoring=tuple(_rules(session)), rules=tuple(_rule_specs(session)), policy=load_policy(session))
    if token is not None:
        _configs[engine] = (token, config)
    return config


def rescore(session: Session, lead: Lead | NewLead, rules: list[scoring.Rule] | None = None) -> None:
    facts = lead.model_dump()
    result = scoring.score_lead(facts, list(load_config(session).scoring) if rules is None else rules)
    lead.score, lead.grade, lead.temperature = result.score, result.grade, result.temperature
    lead.score_reasons = result.reasons


class Team:
    """The rules and every rep's load, read once and kept current in memory while a batch
    (the timer, a rebalance) assigns several leads in one transaction."""

    def __init__(self, session: Session, day_start: datetime, *, now: datetime | None = None,
                 calendar: WorkCalendar | None = None, rules: Sequence[assignment.RuleSpec] | None = None,
                 lock: bool = True) -> None:
        """With `now` and `calendar`, reps off shift at `now` are skipped. `rules`: the assignment
        rules already read (`load_config`); otherwise read here. `lock`: hold the reps' rows
        (PostgreSQL) — not for a read, such as the timer's preview."""

        def on_shift(rep: queries.RepLoadRow) -> bool:
            return calendar is None or now is None or calendar.on_shift(rep.shift_start, rep.shift_end, now)

        rows = queries.rep_loads(session, day_start, for_update=lock and session.bind.dialect.name != 'sqlite')
        self.users = {row.id: row for row in rows}
        """The active reps by id, as read (a pick or a result names its rep without asking the session)."""
        self.reps = {
            row.id: assignment.RepLoad(
                id=row.id, name=row.name, open_count=row.open_count, capacity=row.capacity,
                assigned_today=row.assigned_today, daily_quota=row.daily_quota, seniority=row.seniority,
                regions=assignment.split_list(row.regions), available=not row.is_on_leave and on_shift(row),
                last_assigned_at=row.last_assigned_at)
            for row in rows
        }
        self.rules = list(rules) if rules is not None else _rule_specs(session)

    def has_room(self) -> bool:
        return any(rep.has_room for rep in self.reps.values())

    def pick(self, lead: Lead | NewLead, *, exclude: int | None = None) -> assignment.Pick | None:
        reps = [dataclasses.replace(r, available=False) if r.id == exclude else r for r in self.reps.values()] \
            if exclude is not None else list(self.reps.values())
        facts = assignment.LeadFacts(source=lead.source, grade=lead.grade, region=lead.region,
                                     industry=lead.industry, score=lead.score)
        return assignment.pick_assignee(facts, self.rules, reps)

    def took(self, rep_id: int, now: datetime) -> None:
        """Count an assignment just made, so the next pick sees it."""
        r = self.reps[rep_id]  # built directly: `dataclasses.replace` costs 10× as much, once per lead
        self.reps[rep_id] = assignment.RepLoad(r.id, r.name, r.open_count + 1, r.capacity, r.assigned_today + 1,
                                               r.daily_quota, r.seniority, r.regions, r.available, now)


def assign_to(session: Session, lead: Lead | NewLead, rep: User | queries.RepLoadRow, *, now: datetime,
              actor_id: int | None, reason_key: str, params: dict[str, Any], policy: Policy,
              writes: Writes | None = None) -> None:
    """Give the lead to `rep`; every assignment (rules, manager, claim, timer) goes through here,
    so the first-response clock, the protection period and the trail always agree. `writes`: the
    capture batch that writes the audit line (with its new leads), and the rep's last assignment
    when `rep` is the batch's plain row rather than a `User`."""
    previous = lead.owner_id
    lead.owner_id = rep.id
    lead.status = LeadStatus.ASSIGNED  # a new owner starts from first contact (PRODUCT.md state table)
    lead.assigned_at = now
    lead.sla_status = 'due'
    lead.sla_due_at = policy.sla_due(lead.grade, now)
    lead.sla_grace_at = policy.sla_grace(lead.sla_due_at)
    lead.protected_until, lead.protection_max_at = policy.protection(now)
    lead.warned_until = None
    lead.assignment_reason = {'key': reason_key, **params}
    lead.updated_at = now
    rep.last_assigned_at = now
    if not isinstance(rep, User):
        assert writes is not None, 'a rep read as a plain row is written by its batch'
        writes.rep_assigned(rep.id, now)
    elif rep not in session:  # (adding a persistent object again walks its cascades: once per lead adds up)
        session.add(rep)
    (writes.audit if writes is not None else partial(audit, session))(
        'assigned', now=now, lead_id=lead.id, actor_id=actor_id, subject_user_id=rep.id,
        reason_key=reason_key, previous_owner_id=previous, **params)


def clear_clocks(lead: Lead | NewLead) -> None:
    """An unowned lead has no first-response or protection clock running."""
    lead.sla_status = None if lead.sla_status == 'due' else lead.sla_status
    lead.sla_due_at = lead.sla_grace_at = lead.protected_until = lead.protection_max_at = None
    lead.warned_until = None


def send_to_pool(session: Session, lead: Lead | NewLead, *, now: datetime, reason_key: str,
                 tell_managers: bool = True, writes: Writes | None = None) -> list[int]:
    """No eligible rep: the lead waits unowned and every manager is told (unless a batch tells
    them once, or someone chose the pool). Returns who was told."""
    lead.owner_id = None
    lead.status = LeadStatus.POOL
    clear_clocks(lead)
    lead.assignment_reason = {'key': reason_key}
    (writes.audit if writes is not None else partial(audit, session))(
        'pooled', now=now, lead_id=lead.id, reason_key=reason_key)
    if not tell_managers:
        return []
    return notify(session, managers(session), 'notify.no_eligible_rep', now=now, lead_id=lead.id, lead=lead.name)


class _PolicyTimes:
    """The policy with its derived times remembered: a batch assigns every lead at the same `now`,
    so the first-response deadline (a walk through the work calendar) is worked out once per grade."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._memo: dict[tuple[str, object, object], Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._policy, name)

    def _remember(self, kind: str, a: object, b: object, compute: Callable[[], Any]) -> Any:
        key = (kind, a, b)
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def sla_due(self, grade: str, assigned_at: datetime) -> datetime:
        return self._remember('due', grade, assigned_at, lambda: self._policy.sla_due(grade, assigned_at))

    def sla_grace(self, due: datetime) -> datetime:
        return self._remember('grace', due, None, lambda: self._policy.sla_grace(due))

    def protection(self, start: datetime) -> tuple[datetime, datetime]:
        return self._remember('protection', start, None, lambda: self._policy.protection(start))


class Batch:
    """What captures in one transaction share: the scoring rules, the policy and the team's loads
    (`Team`) read once and kept current in memory, the dedupe index of the arrivals' possible twins
    (`TwinIndex`), and the pending writes (`Writes`: new leads, audit lines and touches inserted
    together by `finish`). A single capture is a batch of one, so every channel runs this one path.

    `one_by_one` (a single capture): each new owner is told of their lead, and managers of each
    pooled lead. Otherwise (an import) each rep is told once per batch how many leads they got, and
    managers once how many wait in the pool."""

    def __init__(self, session: Session, day_start: datetime, arrivals: Sequence[CleanLead] = (), *,
                 now: datetime | None = None, one_by_one: bool = False) -> None:
        self.twins = TwinIndex(session, arrivals)
        """The existing leads these arrivals could join, read in one query; new ones are added."""
        self.writes = Writes(session, len(arrivals), webhook_events=one_by_one)
        config = load_config(session)
        self.rules = list(config.scoring)
        self.policy: Policy = _PolicyTimes(config.policy)  # type: ignore[assignment]
        self.team = Team(session, day_start, now=now, calendar=self.policy.calendar, rules=config.rules)
        self.one_by_one = one_by_one
        self.assigned: Counter[int] = Counter()
        self.pooled = 0
        self._each: list[tuple[list[int] | None, int, str]] = []
        """One-by-one notices: (rep ids, or None for the managers; lead id; lead name)."""
        self.external_keys: set[str] = set()
        """Scoped external ids this batch's pending leads hold (the table's unique index cannot see them yet)."""
        self.has_customers = queries.has_customers(session)
        """No customer yet (a new team importing its list): no lead can be a returning customer."""
        self._users = self.team.users
        """The active reps by id: a pick or a result names its rep without asking the session."""

    def user(self, session: Session, user_id: int) -> User | queries.RepLoadRow | None:
        return self._users.get(user_id) or session.get(User, user_id)

    def external_key_taken(self, session: Session, key: str) -> bool:
        """Whether a lead (stored, or pending in this batch) holds this scoped external id."""
        return key in self.external_keys or queries.lead_by_external_key(session, key) is not None

    def told(self, rep_id: int, lead: Lead | NewLead, now: datetime) -> None:
        """A new owner to tell (now, or in the batch's count)."""
        if rep_id in self.team.reps:
            self.team.took(rep_id, now)
        if self.one_by_one:
            self._each.append(([rep_id], lead.id or 0, lead.name))
        else:
            self.assigned[rep_id] += 1

    def pooled_lead(self, lead: Lead | NewLead) -> None:
        if self.one_by_one:
            self._each.append((None, lead.id or 0, lead.name))
        else:
            self.pooled += 1

    def finish(self, session: Session, now: datetime) -> list[int]:
        """Write what is pending with the notifications (written last: they name the new leads);
        returns who was told. The caller publishes after commit."""
        told = self.tell(session, now)
        self.writes.flush()
        return told

    def tell(self, session: Session, now: datetime) -> list[int]:
        """The batch's notifications, handed to its writes; returns who was told."""
        told: list[int] = []
        add = self.writes.notify
        for rep_ids, lead_id, name in self._each:
            if rep_ids is None:
                told += add(managers(session), 'notify.no_eligible_rep', now=now, lead_id=lead_id, lead=name)
            else:
                told += add(rep_ids, 'notify.assigned_to_you', now=now, lead_id=lead_id, lead=name)
        for rep_id, count in sorted(self.assigned.items()):
            told += add([rep_id], 'notify.assigned_many', now=now, count=count)
        if self.pooled:
            told += add(managers(session), 'notify.import_pooled', now=now, count=self.pooled)
        self._each.clear()
        self.assigned.clear()
        self.pooled = 0
        return list(dict.fromkeys(told))


@dataclass
class Captured:
    result: CaptureResult
    notified: list[int]


DUPLICATE_ACTIONS = ('touch', 'fill', 'skip')
"""What a duplicate arrival does to its existing twin: a touch activity with empty fields filled
(every channel), only fill the empty fields, or nothing (imports choose)."""


def capture(session: Session, clean: CleanLead, *, now: datetime, day_start: datetime,
            actor_id: int | None, channel: str, owner: User | None = None,
            owner_reason: str = 'reason.assigned.self', to_pool: bool = False,
            on_duplicate: str = 'touch', batch: Batch | None = None) -> Captured:
    """Create the lead (or touch its existing twin) and assign it, in the caller's transaction.

    `owner` skips the rules (a rep's own manual entry stays with that rep; an import given to one
    rep, with `owner_reason`); `to_pool` puts a new lead in the pool without running the rules;
    `batch` shares what a batch of captures reads once and writes together (see `Batch`; the caller
    then calls `batch.finish`). Without it the lead is a batch of one, written before returning."""
    if batch is None:  # PostgreSQL: a simultaneous capture of the same person waits here (SQLite: no-op)
        lock_identities(session, phone_norm=clean.phone_norm, email=clean.email, company_norm=clean.company_norm,
                        name=clean.name, external_key=clean.external_key)
        single = Batch(session, day_start, [clean], now=now, one_by_one=True)
        done = capture(session, clean, now=now, day_start=day_start, actor_id=actor_id, channel=channel,
                       owner=owner, owner_reason=owner_reason, to_pool=to_pool, on_duplicate=on_duplicate,
                       batch=single)
        return Captured(result=done.result, notified=single.finish(session, now))
    twin = batch.twins.find(clean)
    if twin is not None and twin.status != LeadStatus.CONVERTED:
        # A converted twin is a customer asking again: new business, so a new lead (routed below).
        if on_duplicate == 'skip':
            return Captured(result=_result(session, twin, created=False, skipped=True, batch=batch), notified=[])
        touched = _touch(session, twin, clean, now=now, actor_id=actor_id, channel=channel,
                         as_touch=on_duplicate != 'fill', batch=batch)
        batch.twins.add(twin)
        return Captured(result=touched, notified=[])
    if clean.external_key and batch.external_key_taken(session, clean.external_key):
        # another lead's id from the same sender (another sender's equal id is not seen here):
        # refused before anything is written
        raise ValidationFailed({'external_id': 'taken'})
    writes = batch.writes
    lead = writes.new_lead(**{f: getattr(clean, f) for f in _CLEAN_FIELDS},
                           status=LeadStatus.NEW, created_at=now, updated_at=now)
    rescore(session, lead, batch.rules)
    batch.twins.add(lead)
    if clean.external_key:
        batch.external_keys.add(clean.external_key)
    writes.audit('captured', now=now, lead_id=lead.id, actor_id=actor_id,
                 reason_key='reason.captured', channel=channel, source=clean.source)
    policy = batch.policy
    customer = None if not batch.has_customers else queries.customer_for(
        session, phone_norm=clean.phone_norm, email=clean.email, company_norm=clean.company_norm)
    keeper = None
    if customer is not None:  # a returning customer: the lead says so and goes to the customer's owner
        lead.account_id = customer.id
        keeper = session.get(User, customer.owner_id) if customer.owner_id else None
        if keeper is not None and (not keeper.is_active or keeper.role != 'rep'):
            keeper = None
        if owner is None and keeper is not None:
            owner = keeper
    if owner is not None and keeper is not None and customer is not None and owner.id == keeper.id:
        assign_to(session, lead, owner, now=now, actor_id=None, reason_key='reason.assigned.customer_owner',
                  params={'rep': keeper.name, 'customer': customer.name}, policy=policy, writes=writes)
        batch.told(owner.id or 0, lead, now)
    elif owner is not None:
        assign_to(session, lead, owner, now=now, actor_id=actor_id, reason_key=owner_reason,
                  params={'rep': owner.name}, policy=policy, writes=writes)
        if owner.id != actor_id:  # given to a rep by someone else (an import): the rep is told
            batch.told(owner.id or 0, lead, now)
    elif to_pool:
        send_to_pool(session, lead, now=now, reason_key='reason.import_pooled', tell_managers=False, writes=writes)
    else:
        pick = batch.team.pick(lead)
        if pick is None:
            send_to_pool(session, lead, now=now, reason_key='reason.no_eligible_rep', tell_managers=False,
                         writes=writes)
            batch.pooled_lead(lead)
        else:
            key, params = pick.reason()
            rep = batch.user(session, pick.rep_id)
            assert rep is not None
            assign_to(session, lead, rep, now=now, actor_id=None, reason_key=key, params=params, policy=policy,
                      writes=writes)
            batch.told(pick.rep_id, lead, now)
    return Captured(result=_result(session, lead, created=True, batch=batch), notified=[])


_CLEAN_FIELDS = tuple(f.name for f in dataclasses.fields(CleanLead))


def _result(session: Session, lead: Lead | NewLead, *, created: bool, batch: Batch,
            skipped: bool = False) -> CaptureResult:
    owner_name = batch.user(session, lead.owner_id).name if lead.owner_id else None  # type: ignore[union-attr]
    return CaptureResult(lead_id=lead.id or 0, created=created, status=lead.status, score=lead.score,
                         grade=lead.grade, owner_id=lead.owner_id, owner_name=owner_name, skipped=skipped)


def capture_rows(session: Session, rows: Sequence[Mapping[str, Any]], *, default_source: str, region: str,
                 now: datetime, day_start: datetime, actor_id: int | None, channel: str,
                 owner: User | None = None, owner_reason: str = 'reason.assigned.self', to_pool: bool = False,
                 on_duplicate: str = 'touch', validated: Sequence[CleanLead | ValidationFailed] | None = None,
                 one_by_one: bool = False) -> tuple[list[CaptureResult | ValidationFailed], list[int]]:
    """The batched entry point (imports): each row goes validate → `capture` (dedupe → score →
    create or touch → assign) exactly like a single lead, all in the caller's one transaction,
    with the rules, policy and team loads read once and the rows written together (`Batch`). A row
    that does not validate is returned as its `ValidationFailed` and writes nothing. Returns each
    row's outcome and who was notified. `validated`: the rows already validated (an import's
    worker process did it, core/import_worker.py); `rows` is then not read. `one_by_one`: the rows
    are separate arrivals that share a commit (API group commit, core/capture_queue.py), so each is
    told, audited into the webhook outbox and notified exactly as a single capture (see `Batch`)."""
    cleans: list[CleanLead | ValidationFailed] = list(validated) if validated is not None else []
    for data in rows if validated is None else ():
        try:
            cleans.append(validate(data, default_source=default_source, region=region))
        except ValidationFailed as e:
            cleans.append(e)
    arrivals = [c for c in cleans if isinstance(c, CleanLead)]
    # PostgreSQL: the identity locks a single capture takes, for every arrival at once and in the same
    # order, so an import and a capture of one person in another process wait instead of making twins.
    lock_identity_keys(session, (key for c in arrivals for key in identity_keys(
        phone_norm=c.phone_norm, email=c.email, company_norm=c.company_norm, name=c.name,
        external_key=c.external_key)))
    batch = Batch(session, day_start, arrivals, now=now, one_by_one=one_by_one)
    outcomes: list[CaptureResult | ValidationFailed] = []
    for clean in cleans:
        if isinstance(clean, ValidationFailed):
            outcomes.append(clean)
            continue
        try:
            done = capture(session, clean, now=now, day_start=day_start, actor_id=actor_id, channel=channel,
                           owner=owner, owner_reason=owner_reason, to_pool=to_pool, on_duplicate=on_duplicate,
                           batch=batch)
        except ValidationFailed as e:
            outcomes.append(e)
            continue
        outcomes.append(done.result)
    return outcomes, batch.finish(session, now)


def _touch(session: Session, lead: Lead | NewLead, clean: CleanLead, *, now: datetime, actor_id: int | None,
           channel: str, batch: Batch, as_touch: bool = True) -> CaptureResult:
    """A second arrival of the same person: a touch activity, empty fields filled, re-scored.
    Without `as_touch` (an import told to only fill fields) no touch is counted."""
    filled = [f for f in FILLABLE if getattr(clean, f) and not getattr(lead, f)]
    if 'external_id' in filled and batch.external_key_taken(session, clean.external_key or ''):
        filled.remove('external_id')  # held by another lead of the same sender: never two leads with one id
    for f in filled:
        setattr(lead, f, getattr(clean, f))
        if f == 'phone':
            lead.phone_norm = clean.phone_norm
        if f == 'company':
            lead.company_norm = clean.company_norm
        if f == 'external_id':
            lead.external_key = clean.external_key
            batch.external_keys.add(clean.external_key or '')
    if as_touch:
        lead.touch_count += 1  # before re-scoring: repeat inquiries count as behaviour
    rescore(session, lead, batch.rules)
    lead.version += 1
    lead.updated_at = now
    writes = batch.writes
    if as_touch:
        writes.activity(lead_id=lead.id or 0, user_id=actor_id, kind=ActivityKind.TOUCH,
                        source=clean.source, note=clean.message, created_at=now)
        writes.audit('touched', now=now, lead_id=lead.id, actor_id=actor_id, reason_key='reason.touched',
                     channel=channel, source=clean.source, filled=', '.join(filled))
    else:
        writes.audit('filled', now=now, lead_id=lead.id, actor_id=actor_id, reason_key='reason.filled',
                     channel=channel, fields=', '.join(filled) or '—')
    if isinstance(lead, Lead):
        session.add(lead)
    return _result(session, lead, created=False, batch=batch)
