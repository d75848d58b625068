"""Suggested near-duplicates and merging them (managers): the most advanced lead survives,
empty fields are filled from the others, conflicting ones chosen by the user; every activity,
touch, audit entry, contact and notification moves to the survivor; the others are archived
with a link to it. One transaction, audited, undone within 24 hours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from core import permissions
from core.automation.sla_clocks import clear_clocks
from core.capture.scoring import rescore
from core.context import Context, audit, retry_conflicts
from core.errors import MAX_ID, InvalidState, NotAllowed, NotFound, ValidationFailed
from core.leads.duplicates import Candidate, Ignored, Reason, find_groups
from core.leads.fields import LEAD
from core.leads.normalize import normalize_company, normalize_email, normalize_phone
from core.tags.records import lead_rule_tags, merge_tags, unmerge_tags
from store import duplicates as store
from store.audit_actions import AuditAction
from store.locks import lock_leads
from store.models import Lead, LeadMerge, LeadStatus, UserRef

MERGE_FIELDS = LEAD.editable
"""What a merge combines: what a user may edit (core/leads/fields.py: a lead's contact details and BANT);
`external_id` stays where it is (unique)."""
STATUS_RANK: dict[str, int] = {LeadStatus.CONVERTED: 5, LeadStatus.QUALIFIED: 4, LeadStatus.CONTACTED: 3,
                               LeadStatus.ASSIGNED: 2, LeadStatus.NEW: 1, LeadStatus.POOL: 1, LeadStatus.REVIEW: 1,
                               LeadStatus.DISQUALIFIED: 0}
ARCHIVE_STATE = ('status', 'disqualify_reason', 'sla_status', 'sla_due_at', 'sla_grace_at', 'protected_until',
                 'protection_max_at', 'warned_until', 'follow_up_due_at')
"""What archiving changes on a merged-away lead, kept to put it back on undo."""
SURVIVOR_STATE = (*MERGE_FIELDS, 'phone_norm', 'company_norm', 'touch_count')
UNDO_WINDOW = timedelta(hours=24)
MAX_MERGE = 5
SCAN_LIMIT = 5000
"""Suggestions look at this many of the newest leads (the matching is in memory)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LeadBrief:
    id: int
    name: str
    status: str
    company: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class SuggestedGroup:
    leads: list[LeadBrief]
    reasons: list[Reason]


@dataclass(frozen=True, slots=True)
class MergeField:
    field: str
    values: list[tuple[int, str]]
    """(lead id, value) for each distinct non-empty value, survivor first."""
    chosen: int
    """The lead whose value is kept unless the user picks another."""


@dataclass(frozen=True, slots=True)
class MergePlan:
    survivor_id: int
    leads: list[LeadBrief]
    fields: list[MergeField]

    @property
    def conflicts(self) -> list[MergeField]:
        return [f for f in self.fields if len(f.values) > 1]


@dataclass(frozen=True, slots=True)
class MergeView:
    id: int
    survivor_id: int
    survivor_name: str
    merged: list[tuple[int, str]]
    created_at: datetime | None
    undone_at: datetime | None
    can_undo: bool


def survivor_of(leads: Sequence[Lead]) -> Lead:
    """The most advanced (converted > qualified > contacted > assigned > new), then the one with
    the newest activity, then the oldest record."""
    return max(leads, key=lambda x: (STATUS_RANK.get(x.status, 1), x.last_activity_at or _EPOCH, -(x.id or 0)))


def _brief(lead: Lead) -> LeadBrief:
    return LeadBrief(id=lead.id or 0, name=lead.name, status=lead.status, company=lead.company, phone=lead.phone,
                     email=lead.email)


def _plan(leads: Sequence[Lead]) -> MergePlan:
    survivor = survivor_of(leads)
    ordered = [survivor, *sorted((x for x in leads if x is not survivor),
                                 key=lambda x: (-STATUS_RANK.get(x.status, 1), x.id or 0))]
    fields = []
    for name in MERGE_FIELDS:
        values: dict[str, int] = {}
        for lead in ordered:
            value = getattr(lead, name)
            if value and value not in values:
                values[value] = lead.id or 0
        pairs = [(lead_id, value) for value, lead_id in values.items()]
        if pairs:
            fields.append(MergeField(field=name, values=pairs, chosen=pairs[0][0]))
    return MergePlan(survivor_id=survivor.id or 0, leads=[_brief(x) for x in ordered], fields=fields)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


_TIMES = frozenset({'sla_due_at', 'sla_grace_at', 'protected_until', 'protection_max_at', 'warned_until',
                    'follow_up_due_at'})


def _restore(lead: Lead, state: Mapping[str, Any]) -> None:
    for name, value in state.items():
        setattr(lead, name, datetime.fromisoformat(value) if name in _TIMES and value else value)


class MergeService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def suggestions(self, actor: UserRef) -> tuple[list[SuggestedGroup], list[Ignored]]:
        """Groups of probable duplicates with why they matched, and the probes ignored as too broad."""
        self._check(actor)
        with self.ctx.read() as session:
            candidates = [Candidate(*row) for row in store.candidates(session, SCAN_LIMIT)]
            groups, ignored = find_groups(candidates)
            ids = sorted({i for g in groups for i in g.lead_ids})
            leads = {x.id: _brief(x) for x in store.live_leads(session, ids)}
        return [SuggestedGroup(leads=[leads[i] for i in g.lead_ids if i in leads], reasons=g.reasons)
                for g in groups], ignored

    def plan(self, actor: UserRef, lead_ids: Sequence[int]) -> MergePlan:
        """Who would survive and which fields conflict, before anything changes."""
        self._check(actor)
        with self.ctx.read() as session:
            return _plan(self._leads(session, lead_ids))

    @retry_conflicts
    def merge(self, actor: UserRef, lead_ids: Sequence[int], choices: Mapping[str, int] | None = None) -> int:
        """Merge 2–5 leads into the survivor; `choices` picks, per conflicting field, whose value stays."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            leads = self._leads(session, lead_ids, lock=True)
            plan = _plan(leads)
            by_id = {x.id: x for x in leads}
            survivor = by_id[plan.survivor_id]
            others = [x for x in leads if x is not survivor]
            snapshot: dict[str, Any] = {
                'survivor': {f: _jsonable(getattr(survivor, f)) for f in SURVIVOR_STATE},
                'others': {str(x.id): {f: _jsonable(getattr(x, f)) for f in ARCHIVE_STATE} for x in others},
                'moved': {},
            }
            for f in plan.fields:
                offered = dict(f.values)
                setattr(survivor, f.field, offered.get((choices or {}).get(f.field, f.chosen), offered[f.chosen]))
            survivor.phone_norm = normalize_phone(survivor.phone, self.ctx.settings.default_region)
            survivor.email = normalize_email(survivor.email) or survivor.email
            survivor.company_norm = normalize_company(survivor.company)
            survivor.touch_count += sum(x.touch_count for x in others)
            other_ids = [x.id or 0 for x in others]
            for table in store.MOVABLE:
                moved = store.row_ids(session, table, other_ids)
                store.move_rows(session, table, [i for ids in moved.values() for i in ids], survivor.id or 0)
                snapshot['moved'][table] = {str(k): v for k, v in moved.items()}
            for other in others:
                other.status, other.disqualify_reason = LeadStatus.DISQUALIFIED, 'merged'
                clear_clocks(other)
                other.follow_up_due_at = None
                other.is_deleted, other.merged_into_id = True, survivor.id
                other.version += 1
                other.updated_at = now
                session.add(other)
            snapshot['tags_added'] = merge_tags(session, survivor.id or 0, other_ids, now)
            rescore(survivor, self.ctx.capture_config.load(session).scoring, lead_rule_tags(session, survivor.id))
            survivor.version += 1
            survivor.updated_at = now
            session.add(survivor)
            record = LeadMerge(survivor_id=survivor.id or 0, merged_ids=other_ids, snapshot=snapshot,
                               actor_id=actor.id, created_at=now)
            session.add(record)
            session.flush()
            names = ', '.join(f'#{x.id} {x.name}' for x in others)
            audit(session, AuditAction.MERGED, now=now, lead_id=survivor.id, actor_id=actor.id,
                  reason_key='reason.merged',
                  count=len(others), leads=names, merge_id=record.id)
            for other in others:
                audit(session, AuditAction.MERGED_INTO, now=now, lead_id=other.id, actor_id=actor.id,
                      reason_key='reason.merged_into', lead=f'#{survivor.id} {survivor.name}', merge_id=record.id)
            merge_id, owner_id = record.id or 0, survivor.owner_id
        self._published(plan.survivor_id, owner_id)
        return merge_id

    @retry_conflicts
    def undo(self, actor: UserRef, merge_id: int) -> None:
        """Put every lead and moved row back as it was (within 24 hours of the merge)."""
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.write() as session:
            # Locked: of two undos at once the second waits and finds it undone (PostgreSQL).
            record = session.get(LeadMerge, merge_id, with_for_update=True, populate_existing=True)
            if record is None:
                raise NotFound()
            if record.undone_at is not None:
                raise InvalidState('merge_undone')
            if record.created_at is None or now - record.created_at > UNDO_WINDOW:
                raise InvalidState('merge_too_old')
            lock_leads(session, [record.survivor_id, *(int(i) for i in record.snapshot['others'])])
            survivor = session.get(Lead, record.survivor_id)
            assert survivor is not None
            for table, moved in record.snapshot.get('moved', {}).items():
                for lead_id, ids in moved.items():
                    store.move_rows(session, table, ids, int(lead_id))
            _restore(survivor, record.snapshot['survivor'])
            unmerge_tags(session, survivor.id or 0, record.snapshot.get('tags_added', []))
            rescore(survivor, self.ctx.capture_config.load(session).scoring, lead_rule_tags(session, survivor.id))
            survivor.version += 1
            survivor.updated_at = now
            session.add(survivor)
            for lead_id, state in record.snapshot['others'].items():
                other = session.get(Lead, int(lead_id))
                assert other is not None
                _restore(other, state)
                other.is_deleted, other.merged_into_id = False, None
                other.version += 1
                other.updated_at = now
                session.add(other)
                audit(session, AuditAction.MERGE_UNDONE, now=now, lead_id=other.id, actor_id=actor.id,
                      reason_key='reason.merge_undone', merge_id=merge_id)
            audit(session, AuditAction.MERGE_UNDONE, now=now, lead_id=survivor.id, actor_id=actor.id,
                  reason_key='reason.merge_undone', merge_id=merge_id)
            record.undone_at, record.undone_by = now, actor.id
            session.add(record)
            owner_id = survivor.owner_id
        self._published(record.survivor_id, owner_id)

    def recent(self, actor: UserRef, days: int = 7) -> list[MergeView]:
        self._check(actor)
        now = self.ctx.now()
        with self.ctx.read() as session:
            merges = store.merges_since(session, now - timedelta(days=days))
            names = store.lead_names(session, sorted({i for m in merges for i in [m.survivor_id, *m.merged_ids]}))
        return [MergeView(id=m.id or 0, survivor_id=m.survivor_id, survivor_name=names.get(m.survivor_id, ''),
                          merged=[(i, names.get(i, '')) for i in m.merged_ids], created_at=m.created_at,
                          undone_at=m.undone_at,
                          can_undo=m.undone_at is None and m.created_at is not None
                          and now - m.created_at <= UNDO_WINDOW) for m in merges]

    def merged_into(self, actor: UserRef, lead_id: int) -> tuple[int, str] | None:
        """Where an archived lead went: the survivor (id, name) if the actor may see it."""
        if not 1 <= lead_id <= MAX_ID:
            return None
        with self.ctx.read() as session:
            lead = session.get(Lead, lead_id)
            if lead is None or lead.merged_into_id is None:
                return None
            survivor = session.get(Lead, lead.merged_into_id)
            if survivor is None or not permissions.can_view_lead(actor, survivor):
                return None
            return survivor.id or 0, survivor.name

    def _published(self, survivor_id: int, owner_id: int | None) -> None:
        events = self.ctx.events
        events.publish(events.leads_merged, survivor_id)
        events.publish(events.lead_changed, survivor_id, owner_id)

    def _leads(self, session: Session, lead_ids: Sequence[int], *, lock: bool = False) -> list[Lead]:
        ids = list(dict.fromkeys(lead_ids))
        if not 2 <= len(ids) <= MAX_MERGE:
            raise ValidationFailed({'leads': 'merge_count'})
        leads = list(store.live_leads(session, ids, lock=lock))
        if len(leads) != len(ids):
            raise NotFound()
        if sum(1 for x in leads if x.status == LeadStatus.CONVERTED) > 1:
            raise InvalidState('merge_two_converted')  # each has its own deal: merge those first
        return leads

    @staticmethod
    def _check(actor: UserRef) -> None:
        if not permissions.can_merge(actor):
            raise NotAllowed()
