"""What one bulk edit does to each lead (core/leads/bulk.py runs it): whether the lead is skipped and
why, and the change itself — made by the same pieces the one-by-one actions use (the field
declaration's validation and rescoring, `assign_to` and the rules' `Team.pick`, the pool's
`release_to_pool`), so a bulk edit can do nothing a user could not do lead by lead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core import permissions
from core.assignment.pick import Pick
from core.assignment.writes import Team, assign_new
from core.automation.pool import release_to_pool
from core.automation.sla_clocks import clear_clocks
from core.capture.clean import validate
from core.capture.config import Config
from core.capture.pending import Writes
from core.capture.scoring import rescore
from core.custom_fields.values import FIELD as CUSTOM
from core.errors import NotAllowed, ValidationFailed
from core.leads.bulk_tags import RecordTags
from core.leads.fields import LEAD
from core.tags.catalog import TagInfo
from store.audit_actions import AuditAction
from store.models import CLOSED_STATUSES, Lead, LeadStatus, Role, TagEntity, User, UserRef
from store.types import UTCDateTime


class BulkKind(StrEnum):
    """The actions a bulk edit applies (`BulkBatch.action`)."""

    SET_FIELD = 'set_field'
    DISQUALIFY = 'disqualify'
    REASSIGN = 'reassign'
    POOL = 'pool'
    TAG_ADD = 'tag_add'
    TAG_REMOVE = 'tag_remove'
    MOVE_STAGE = 'move_stage'
    """Opportunities: to another open stage (core/pipeline/bulk_deals.py)."""
    LOSE = 'lose'
    """Opportunities: mark lost, with a lost reason (`reason`: its key)."""


TAG_KINDS = frozenset((BulkKind.TAG_ADD, BulkKind.TAG_REMOVE))


class Skip(StrEnum):
    """Why a selected lead is left as it is."""

    NOT_ALLOWED = 'not_allowed'
    """The actor may not do this to this lead one by one (not theirs, closed, converted)."""
    UNCHANGED = 'unchanged'
    """Already in that state: the value, the status, the owner."""
    INVALID = 'invalid'
    """The value does not pass the field's check for this lead (or a required field cleared)."""
    NO_REP = 'no_rep'
    """Through the rules: no eligible rep for this lead now."""
    CLOSED = 'closed'
    """An opportunity already won or lost: reopening is one deal at a time."""
    FIELDS_NEEDED = 'fields_needed'
    """An opportunity lacks custom fields the target stage requires."""
    CHECKLIST = 'checklist'
    """An opportunity's current stage has required checklist items still open."""


@dataclass(frozen=True, slots=True)
class BulkAction:
    """One action for every selected lead. `field`/`value`: SET_FIELD (a built-in editable field or
    `custom.<key>`; an empty value clears it); `reason`: DISQUALIFY (required, as one by one);
    `rep_id`: REASSIGN to this rep, None = through the assignment rules; `tag_id`: TAG_ADD/TAG_REMOVE;
    `stage_id`: MOVE_STAGE's target; LOSE: `reason` is the lost reason's key, `value` a note."""

    kind: BulkKind
    field: str | None = None
    value: Any = None
    reason: str = ''
    rep_id: int | None = None
    tag_id: int | None = None
    stage_id: int | None = None


STATE = (*LEAD.editable, 'phone_norm', 'company_norm', 'score', 'grade', 'temperature', 'score_reasons', 'custom',
         'status', 'disqualify_reason', 'owner_id', 'previous_owner_id', 'assignment_reason', 'assigned_at',
         'pooled_at', 'cooldown_until', 'sla_status', 'sla_due_at', 'sla_grace_at', 'protected_until',
         'protection_max_at', 'warned_until', 'follow_up_due_at')
"""The columns a bulk action may change: what a batch keeps (those that changed) to undo it."""
_TIMES = frozenset(name for name in STATE if isinstance(Lead.__table__.c[name].type, UTCDateTime))  # type: ignore[attr-defined]


def state(lead: Lead) -> dict[str, Any]:
    """The lead's `STATE` as JSON values."""
    return {name: (v.isoformat() if isinstance(v := getattr(lead, name), datetime) else v) for name in STATE}


def restore(lead: Lead, before: Mapping[str, Any]) -> None:
    for name, value in before.items():
        if name in STATE:
            setattr(lead, name, datetime.fromisoformat(value) if name in _TIMES and value else value)


class Planner:
    """One action's checks and writes for one actor, with what it needs read once for the batch."""

    def __init__(self, session: Session, actor: UserRef, action: BulkAction, *, config: Config, now: datetime,
                 day_start: datetime, region: str, lock: bool) -> None:
        """`lock`: the apply (reps' rows held on PostgreSQL), not the preview. Raises what a request
        gets wrong as a whole: NotAllowed (a rep reassigning), ValidationFailed (no reason, no such
        field or rep)."""
        self.actor, self.action, self.now, self.config, self.region = actor, action, now, config, region
        self.reason = ''
        self.custom_key: str | None = None
        self.custom_value: Any = None
        self.invalid = False
        self.rep: User | None = None
        self.team: Team | None = None
        self.picks: dict[int, Pick] = {}
        self.clean: dict[int, Any] = {}
        self.tags = RecordTags(config.tags, TagEntity.LEAD)
        """The selected leads' tags (`load`): what a tag action checks, what rescoring tests."""
        self.tag: TagInfo | None = None
        kind = action.kind
        if kind in (BulkKind.MOVE_STAGE, BulkKind.LOSE):  # the board's actions, not a lead's
            raise ValidationFailed({'action': 'invalid'})
        if kind in (BulkKind.REASSIGN, BulkKind.POOL) and not permissions.can_assign(actor):
            raise NotAllowed()
        if kind == BulkKind.SET_FIELD:
            self._prepare_field(action.field or '', action.value)
        elif kind == BulkKind.DISQUALIFY:
            self.reason = (action.reason or '').replace('\x00', '').strip()[:500]
            if not self.reason:
                raise ValidationFailed({'reason': 'required'})
        elif kind == BulkKind.REASSIGN and action.rep_id is not None:
            self.rep = session.get(User, action.rep_id)
            if self.rep is None or not self.rep.is_active or self.rep.role != Role.REP:
                raise ValidationFailed({'rep': 'invalid'})
        elif kind in TAG_KINDS:
            self.tag = self.tags.tag(action.tag_id, add=kind == BulkKind.TAG_ADD)
        elif kind == BulkKind.REASSIGN:
            self.team = Team(session, day_start, rules=config.rules, now=now, calendar=config.policy.calendar,
                             lock=lock)

    def load(self, session: Session, leads: Sequence[Lead]) -> None:
        """Read what the checks need for the whole selection at once: the leads' tags."""
        if self.action.kind in TAG_KINDS or self.action.kind == BulkKind.SET_FIELD:
            self.tags.load(session, [lead.id or 0 for lead in leads])

    def _prepare_field(self, name: str, value: Any) -> None:
        if name in LEAD.editable:
            return
        key = name.removeprefix(f'{CUSTOM}.')
        if not name.startswith(f'{CUSTOM}.') or key not in self.config.custom.active:
            raise ValidationFailed({'field': 'invalid'})
        self.custom_key = key
        try:
            self.custom_value = self.config.custom.check({key: value}, region=self.region).get(key)
        except ValidationFailed:
            self.invalid = True
        if self.custom_value is None and key in self.config.custom.active.required:
            self.invalid = True

    def check(self, lead: Lead) -> Skip | None:
        """Why this lead would be skipped, or None: it changes. Writes nothing (the preview's
        answer), but keeps what `apply` then writes (a validated value, a rule's pick)."""
        kind, actor = self.action.kind, self.actor
        if lead.is_deleted or not permissions.can_view_lead(actor, lead):
            return Skip.NOT_ALLOWED
        if kind == BulkKind.SET_FIELD:
            return self._check_field(lead)
        if kind in TAG_KINDS:
            if not permissions.can_edit_lead(actor, lead):
                return Skip.NOT_ALLOWED
            has = self.tags.has(lead.id or 0, self.tag)
            return Skip.UNCHANGED if has == (kind == BulkKind.TAG_ADD) else None
        if kind == BulkKind.DISQUALIFY:
            if lead.status == LeadStatus.DISQUALIFIED:
                return Skip.UNCHANGED
            return None if permissions.can_edit_lead(actor, lead) else Skip.NOT_ALLOWED
        if kind == BulkKind.POOL:
            if lead.status == LeadStatus.POOL:
                return Skip.UNCHANGED
            return Skip.NOT_ALLOWED if lead.status == LeadStatus.CONVERTED else None
        if lead.status in CLOSED_STATUSES:  # REASSIGN: as the lead page's "Assign"
            return Skip.NOT_ALLOWED
        if self.rep is not None:
            return Skip.UNCHANGED if lead.owner_id == self.rep.id else None
        assert self.team is not None
        pick = self.team.pick(lead, exclude=lead.owner_id)
        if pick is None:
            return Skip.NO_REP
        self.team.took(pick.rep_id, self.now)  # the next lead's pick sees this one
        self.picks[lead.id or 0] = pick
        return None

    def _check_field(self, lead: Lead) -> Skip | None:
        if not permissions.can_edit_lead(self.actor, lead):
            return Skip.NOT_ALLOWED
        if self.invalid:
            return Skip.INVALID
        if self.custom_key is not None:
            same = (lead.custom or {}).get(self.custom_key) == self.custom_value
            return Skip.UNCHANGED if same else None
        name = self.action.field or ''
        merged = {f: getattr(lead, f) for f in LEAD.editable} | {name: self.action.value}
        try:
            clean = validate(merged | {'source': lead.source}, default_source=lead.source, region=self.region)
        except ValidationFailed:
            return Skip.INVALID
        if getattr(clean, name) == getattr(lead, name):
            return Skip.UNCHANGED
        self.clean[lead.id or 0] = clean
        return None

    def apply(self, session: Session, lead: Lead, batch_id: int, writes: Writes) -> None:
        """Change a lead `check` passed, audited (reason `reason.bulk.<kind>`, the batch's id) with
        `writes`: the batch's audit lines go out in one statement, registered with the unit of work."""
        kind, now, actor = self.action.kind, self.now, self.actor
        lead_id = lead.id or 0
        reason_key = f'reason.bulk.{kind}'
        if kind == BulkKind.SET_FIELD:
            if self.custom_key is not None:
                values = dict(lead.custom or {})
                values.pop(self.custom_key, None)
                if self.custom_value is not None:
                    values[self.custom_key] = self.custom_value
                lead.custom = values  # a new object: the JSON column sees the change
            else:
                clean, name = self.clean[lead_id], self.action.field or ''
                setattr(lead, name, getattr(clean, name))
                lead.phone_norm, lead.company_norm = clean.phone_norm, clean.company_norm
            rescore(lead, self.config.scoring, self.tags.keys(lead_id))
            writes.audit(AuditAction.EDITED, now=now, lead_id=lead_id, actor_id=actor.id, reason_key=reason_key,
                         batch=batch_id, fields=self.action.field)
        elif kind in TAG_KINDS:
            tag, add = self.tag, kind == BulkKind.TAG_ADD
            assert tag is not None
            self.tags.change(session, lead_id, tag.id, add=add, now=now)
            rescore(lead, self.config.scoring, self.tags.keys(lead_id))  # "has tag" rules: the score follows
            writes.audit(AuditAction.TAG_ADDED if add else AuditAction.TAG_REMOVED, now=now, lead_id=lead_id,
                         actor_id=actor.id, reason_key=reason_key, batch=batch_id, entity=TagEntity.LEAD,
                         record_id=lead_id, key=tag.key, tag=tag.name_zh)
        elif kind == BulkKind.DISQUALIFY:
            lead.status, lead.disqualify_reason = LeadStatus.DISQUALIFIED, self.reason
            clear_clocks(lead)  # closed: the timer has nothing left to do with it
            writes.audit(AuditAction.STATUS, now=now, lead_id=lead_id, actor_id=actor.id, reason_key=reason_key,
                         batch=batch_id, status=LeadStatus.DISQUALIFIED, reason=self.reason)
        elif kind == BulkKind.POOL:
            release_to_pool(lead, now)
            writes.audit(AuditAction.STATUS, now=now, lead_id=lead_id, actor_id=actor.id, reason_key=reason_key,
                         batch=batch_id, status=LeadStatus.POOL)
        else:
            self._reassign(session, lead, batch_id, writes)
        lead.version += 1
        lead.updated_at = now
        session.add(lead)

    def _reassign(self, session: Session, lead: Lead, batch_id: int, writes: Writes) -> None:
        params: dict[str, Any] = {'manager': self.actor.name, 'batch': batch_id}
        if self.rep is not None:
            rep = self.rep
        else:
            pick = self.picks[lead.id or 0]
            found = session.get(User, pick.rep_id)
            assert found is not None
            rep = found
            params['rule'] = pick.rule_name
        # assign_new: the one hand-over (`_hand_over`, as `assign_to`), its audit line written with the batch
        assign_new(session, lead, rep, now=self.now, actor_id=self.actor.id, reason_key='reason.bulk.reassign',
                   params=params | {'rep': rep.name}, policy=self.config.policy, writes=writes)
