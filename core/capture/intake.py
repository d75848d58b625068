"""The one path by which leads enter: validate → normalise → dedupe → score → create
or touch → assign. Every channel (manual, web form, API, import, demo) calls `capture` (one
arrival) or `capture_rows` (many) inside its transaction; both run `capture_all`, and nothing
else creates a lead.

Around it: what the captures of one transaction share (core/capture/batch.py), the configuration
they read (core/capture/config.py), the write of an owner or the pool (core/assignment/writes.py) and
the clocks that an owner starts (core/automation/sla_clocks.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.assignment.writes import assign_new, send_to_pool
from core.capture.batch import Batch
from core.capture.clean import CleanLead, validate
from core.capture.config import Config
from core.capture.scoring import rescore
from core.errors import ValidationFailed
from core.leads.fields import LEAD
from core.leads.record import LeadRecord
from core.tags.records import lead_rule_tags
from store import queries
from store.audit_actions import AuditAction
from store.identity import lock_keys
from store.locks import lock_identity_keys
from store.models import ActivityKind, Lead, LeadStatus, RecordTag, TagEntity, User

FILLABLE = LEAD.fillable
"""Fields a duplicate arrival may fill in when the existing lead has them empty."""


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


@dataclass
class Captured:
    result: CaptureResult
    notified: list[int]


DUPLICATE_ACTIONS = ('touch', 'fill', 'skip')
"""What a duplicate arrival does to its existing twin: a touch activity with empty fields filled
(every channel), only fill the empty fields, or nothing (imports choose)."""


def capture(session: Session, clean: CleanLead, *, config: Config, now: datetime, day_start: datetime,
            actor_id: int | None, channel: str, owner: User | None = None) -> Captured:
    """One arrival (a form, a manual entry, an API call): a batch of one through `capture_all`,
    written before returning, in the caller's transaction. `owner` skips the rules (a rep's own
    manual entry stays with that rep). Raises `ValidationFailed` when another lead of the same
    sender holds its external id (nothing is written)."""
    [outcome], notified = capture_all(session, [clean], config=config, now=now, day_start=day_start,
                                      actor_id=actor_id, channel=channel, owner=owner, one_by_one=True)
    if isinstance(outcome, ValidationFailed):
        raise outcome
    return Captured(result=outcome, notified=notified)


def capture_rows(session: Session, rows: Sequence[Mapping[str, Any]], *, default_source: str, region: str,
                 config: Config, now: datetime, day_start: datetime, actor_id: int | None, channel: str,
                 owner: User | None = None, owner_reason: str = 'reason.assigned.self', to_pool: bool = False,
                 on_duplicate: str = 'touch', validated: Sequence[CleanLead | ValidationFailed] | None = None,
                 one_by_one: bool = False) -> tuple[list[CaptureResult | ValidationFailed], list[int]]:
    """The batched entry point (imports, the API's group commit): each row is validated, then
    captured by `capture_all` exactly like a single lead. A row that does not validate is returned
    as its `ValidationFailed` and writes nothing; a row's `custom` values are checked against
    `config.custom` (not required: see core/imports/mapping.py). `validated`: the rows already validated (an
    import's worker process did it, core/imports/worker.py); `rows` is then not read."""
    cleans: list[CleanLead | ValidationFailed] = list(validated) if validated is not None else []
    for data in rows if validated is None else ():
        try:
            cleans.append(validate(data, default_source=default_source, region=region, custom_fields=config.custom,
                                   tags=config.tags))
        except ValidationFailed as e:
            cleans.append(e)
    return capture_all(session, cleans, config=config, now=now, day_start=day_start, actor_id=actor_id,
                       channel=channel, owner=owner, owner_reason=owner_reason, to_pool=to_pool,
                       on_duplicate=on_duplicate, one_by_one=one_by_one)


def capture_all(session: Session, cleans: Sequence[CleanLead | ValidationFailed], *, config: Config,
                now: datetime, day_start: datetime, actor_id: int | None, channel: str, owner: User | None = None,
                owner_reason: str = 'reason.assigned.self', to_pool: bool = False, on_duplicate: str = 'touch',
                one_by_one: bool = False) -> tuple[list[CaptureResult | ValidationFailed], list[int]]:
    """The one capture path: every arrival goes dedupe → score → create or touch → assign (`_arrive`),
    all in the caller's one transaction, with the rules, policy and team loads read once and the
    rows written together (`Batch`). Returns each arrival's outcome (a `ValidationFailed` passed in,
    or raised by `_arrive` before it wrote anything, stays one) and who was notified.

    `owner` skips the rules (an import given to one rep, with `owner_reason`); `to_pool` puts new
    leads in the pool without running the rules; `on_duplicate`: see `DUPLICATE_ACTIONS`.
    `one_by_one`: the arrivals are separate (a single capture, an API group commit,
    core/capture/group_commit.py), so each is told, audited into the webhook outbox and notified on its
    own (see `Batch`)."""
    arrivals = [c for c in cleans if isinstance(c, CleanLead)]
    # PostgreSQL: a simultaneous capture of the same person waits here (SQLite: no-op). Every arrival's
    # identity locks at once and in one sorted order, so two batches sharing a person wait instead of
    # making twins, and never in a circle.
    lock_identity_keys(session, (key for c in arrivals for key in lock_keys(c, c.external_key)))
    batch = Batch(session, day_start, arrivals, config=config, now=now, one_by_one=one_by_one)
    outcomes: list[CaptureResult | ValidationFailed] = []
    for clean in cleans:
        if isinstance(clean, ValidationFailed):
            outcomes.append(clean)
            continue
        try:
            outcomes.append(_arrive(session, clean, batch, now=now, actor_id=actor_id, channel=channel,
                                    owner=owner, owner_reason=owner_reason, to_pool=to_pool,
                                    on_duplicate=on_duplicate))
        except ValidationFailed as e:
            outcomes.append(e)
    return outcomes, batch.finish(session, now)


def _arrive(session: Session, clean: CleanLead, batch: Batch, *, now: datetime, actor_id: int | None,
            channel: str, owner: User | None, owner_reason: str, to_pool: bool, on_duplicate: str) -> CaptureResult:
    """Create the lead (or touch its existing twin) and assign it, into `batch`."""
    twin = batch.twins.find(clean)
    if twin is not None and twin.status != LeadStatus.CONVERTED:
        # A converted twin is a customer asking again: new business, so a new lead (routed below).
        if on_duplicate == 'skip':
            return _result(session, twin, created=False, skipped=True, batch=batch)
        touched = _touch(session, twin, clean, now=now, actor_id=actor_id, channel=channel,
                         as_touch=on_duplicate != 'fill', batch=batch)
        batch.twins.add(twin)
        return touched
    if clean.external_key and batch.external_key_taken(session, clean.external_key):
        # another lead's id from the same sender (another sender's equal id is not seen here):
        # refused before anything is written
        raise ValidationFailed({'external_id': 'taken'})
    writes = batch.writes
    lead = writes.new_lead(**{f: getattr(clean, f) for f in _CLEAN_FIELDS}, custom=dict(clean.custom or {}),
                           status=LeadStatus.NEW, created_at=now, updated_at=now)
    tag_keys = batch.tags.keys(clean.tags) if clean.tags else frozenset()
    for tag_id in clean.tags:  # (no foreign key to `leads`: the row may precede the lead's bulk insert)
        session.add(RecordTag(entity=TagEntity.LEAD, record_id=lead.id or 0, tag_id=tag_id, created_at=now))
    rescore(lead, batch.rules, tag_keys)
    batch.twins.add(lead)
    if clean.external_key:
        batch.external_keys.add(clean.external_key)
    writes.audit(AuditAction.CAPTURED, now=now, lead_id=lead.id, actor_id=actor_id,
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
        assign_new(session, lead, owner, now=now, actor_id=None, reason_key='reason.assigned.customer_owner',
                   params={'rep': keeper.name, 'customer': customer.name}, policy=policy, writes=writes)
        batch.told(owner.id or 0, lead, now)
    elif owner is not None:
        assign_new(session, lead, owner, now=now, actor_id=actor_id, reason_key=owner_reason,
                   params={'rep': owner.name}, policy=policy, writes=writes)
        if owner.id != actor_id:  # given to a rep by someone else (an import): the rep is told
            batch.told(owner.id or 0, lead, now)
    elif to_pool:
        send_to_pool(lead, now=now, reason_key='reason.import_pooled', writes=writes)
    else:
        pick = batch.team.pick(lead, tags=tag_keys)
        if pick is None:
            send_to_pool(lead, now=now, reason_key=batch.team.pool_reason(lead, tags=tag_keys), writes=writes)
        else:
            key, params = pick.reason()
            rep = batch.user(session, pick.rep_id)
            assert rep is not None
            assign_new(session, lead, rep, now=now, actor_id=None, reason_key=key, params=params, policy=policy,
                       writes=writes)
            batch.told(pick.rep_id, lead, now)
    return _result(session, lead, created=True, batch=batch)


_CLEAN_FIELDS = tuple(f.name for f in dataclasses.fields(CleanLead) if f.name not in ('custom', 'tags'))
"""The lead's columns a clean arrival sets as they are (`custom`: a fresh object per lead; `tags`:
rows of `record_tags`)."""


def _result(session: Session, lead: LeadRecord, *, created: bool, batch: Batch,
            skipped: bool = False) -> CaptureResult:
    owner_name = None
    if lead.owner_id:
        owner = batch.user(session, lead.owner_id)
        assert owner is not None  # the foreign key: an owner is a user
        owner_name = owner.name
    return CaptureResult(lead_id=lead.id or 0, created=created, status=lead.status, score=lead.score,
                         grade=lead.grade, owner_id=lead.owner_id, owner_name=owner_name, skipped=skipped)


def _touch(session: Session, lead: LeadRecord, clean: CleanLead, *, now: datetime, actor_id: int | None,
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
    fill_custom = {k: v for k, v in (clean.custom or {}).items() if k not in lead.custom}
    if fill_custom:  # likewise a custom field the lead has no value for (a new object: the ORM sees it)
        lead.custom = {**lead.custom, **fill_custom}
        filled += [f'custom.{k}' for k in fill_custom]
    held = lead_rule_tags(session, lead.id) if clean.tags or batch.needs_tags else frozenset()
    new_tags = [t for t in clean.tags if t in batch.tags.by_id and batch.tags.by_id[t].key not in held]
    for tag_id in new_tags:  # likewise the tags it sends that the lead lacks
        session.add(RecordTag(entity=TagEntity.LEAD, record_id=lead.id or 0, tag_id=tag_id, created_at=now))
    if new_tags:
        filled.append('tags')
    if as_touch:
        lead.touch_count += 1  # before re-scoring: repeat inquiries count as behaviour
    rescore(lead, batch.rules, held | batch.tags.keys(new_tags))
    lead.version += 1
    lead.updated_at = now
    writes = batch.writes
    if as_touch:
        writes.activity(lead_id=lead.id or 0, user_id=actor_id, kind=ActivityKind.TOUCH,
                        source=clean.source, note=clean.message, created_at=now)
        writes.audit(AuditAction.TOUCHED, now=now, lead_id=lead.id, actor_id=actor_id, reason_key='reason.touched',
                     channel=channel, source=clean.source, filled=', '.join(filled))
    else:
        writes.audit(AuditAction.FILLED, now=now, lead_id=lead.id, actor_id=actor_id, reason_key='reason.filled',
                     channel=channel, fields=', '.join(filled) or '—')
    if isinstance(lead, Lead):
        session.add(lead)
    return _result(session, lead, created=False, batch=batch)
