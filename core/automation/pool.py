"""The public pool (公海) and the review queue (待复盘): claiming, assigning from the pool,
sending back, reopening. Each action is one transaction and goes through `assign_to`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core import permissions
from core.assignment.writes import assign_to
from core.automation.claims import Claimant, Refusal, check_claim, load_claimant
from core.automation.policy import load_policy
from core.automation.pools import PoolInfo, PoolMap, load_pools
from core.automation.sla_clocks import clear_clocks
from core.context import Context, audit, retry_conflicts
from core.custom_fields import records
from core.custom_fields.sorting import POOL, check_order
from core.custom_fields.values import NO_FIELDS, CustomFields
from core.errors import DomainError, InvalidState, NotAllowed, NotFound, ValidationFailed
from core.notify import notify
from store import queries
from store.audit_actions import AuditAction
from store.locks import lock_leads, lock_users
from store.models import CustomEntity, Grade, Lead, LeadStatus, Role, TagEntity, User, UserRef


class ClaimRefused(DomainError):
    """Why a claim failed: `claim.already_claimed`, `claim.claim_limit`, `claim.hold_limit`,
    `claim.at_capacity`, `claim.not_your_pool` or `claim.cooldown` (with `until`)."""

    code = 'claim_refused'

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(f'claim.{reason}', **params)
        self.reason = reason

    @classmethod
    def of(cls, refusal: Refusal) -> ClaimRefused:
        return cls(refusal.reason, **refusal.params)


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to recognise, not enough to call before claiming."""
    digits = ''.join(ch for ch in phone or '' if ch.isdigit())
    if len(digits) < 7:
        return '****' if digits else ''
    return f'{digits[-11:-8] or digits[:3]}****{digits[-4:]}'


@dataclass(frozen=True, slots=True)
class PoolRow:
    id: int
    name: str
    company: str | None
    phone_masked: str
    source: str
    grade: str
    score: int
    status: str
    recycle_count: int
    previous_owner_name: str | None
    created_at: datetime | None
    region: str | None = None
    industry: str | None = None
    pooled_at: datetime | None = None
    """When it entered the pool (or the review queue): its "recycled" time."""
    claimable: bool = False
    """The viewer is a rep and `refusal` is None: Claim would succeed now."""
    refusal: Refusal | None = None
    """Why this rep's claim would be refused (`check_claim`, the rule the claim applies); None
    for viewers who do not claim (managers) and for leads they may claim."""
    tags: tuple[int, ...] = ()
    """The lead's tag ids (chips)."""
    sort_value: object = None
    """Sorted by a custom field: the lead's value of it (the list shows what the order is by); only
    that field's, as a pool row shows no more of a lead than it must."""


@dataclass(frozen=True, slots=True)
class PoolQuery:
    """What the pool page asks for (kept in its URL): a search, filters and a sort."""

    search: str | None = None
    region: str | None = None
    industry: str | None = None
    grade: str | None = None
    recycled: int | None = None
    """This many recycles; `queries.RECYCLED_TOP` means that many or more."""
    sort: str = queries.PoolSort.RECENT
    """A `PoolSort` value: `recent` (recycled newest first), `oldest`, `grade`, `score` or `custom`
    (core/custom_fields/sorting.py `POOL` checks it; ValidationFailed `sort` when it cannot be)."""
    sort_key: str = ''
    """A custom sort's field."""
    sort_desc: bool = False
    tags: tuple[int, ...] = ()
    """Tag ids: a lead holding any of them passes."""
    pool_id: int | None = None
    """Which pool (the pool list): one the viewer sees; None: the first they see."""

    def filter(self, status: str, pool: PoolInfo | None = None, fields: CustomFields = NO_FIELDS) -> queries.PoolFilter:
        """The store's filter: `pool`, the pool shown (None: the review queue, every pool's); `fields`, the
        leads' custom fields (read for a custom sort only)."""
        return queries.PoolFilter(
            pool_id=pool.id if pool is not None else None, pool_default=pool is not None and pool.is_default,
            status=status, search=(self.search or '').strip()[:100] or None, region=self.region or None,
            industry=self.industry or None, grade=self.grade if self.grade in tuple(Grade) else None,
            recycled=self.recycled if self.recycled is not None and self.recycled >= 0 else None,
            order=check_order(POOL, fields, self.sort, key=self.sort_key, descending=self.sort_desc),
            tags=tuple(t for t in self.tags if isinstance(t, int) and 0 < t < 2**31))


def shown_pool(session: Session, actor: UserRef, pool_id: int | None,
               pools: PoolMap | None = None) -> PoolInfo | None:
    """The pool the viewer asked for if they see it, else the first they see (their department's
    first), or None when they see none."""
    pools = pools or load_pools(session)
    user = session.get(User, actor.id)
    department = user.department_id if user is not None else None
    visible = pools.visible(actor.role, department)
    if not visible:
        return None
    asked = next((p for p in visible if p.id == pool_id), None)
    if asked is not None:
        return asked
    own = pools.of_department(department)
    return own if any(p.id == own.id for p in visible) else visible[0]


def release_to_pool(lead: Lead, now: datetime) -> None:
    """A manager sends a lead to the pool (a review lead sent back, a disqualified one reopened, a
    bulk move): unowned, its clocks cleared, audited by the caller."""
    lead.status = LeadStatus.POOL
    # Once owned, the lead waits to be claimed: the timer only assigns never-owned pool leads.
    lead.previous_owner_id = lead.owner_id or lead.previous_owner_id
    lead.owner_id = None
    lead.cooldown_until = None
    clear_clocks(lead)
    lead.updated_at = lead.pooled_at = now


def hand_to_pool(session: Session, lead: Lead, *, now: datetime, actor_id: int, reason_key: str,
                 params: dict[str, Any]) -> None:
    """A manager's move of an owned lead into the pool (the team page, a hand-over), its reason kept
    on the lead and written in the trail naming the rep it left."""
    previous = lead.owner_id
    release_to_pool(lead, now)
    lead.assignment_reason = {'key': reason_key, **params}
    audit(session, AuditAction.POOLED, now=now, lead_id=lead.id, actor_id=actor_id, subject_user_id=previous,
          reason_key=reason_key, **params)


class PoolService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def pool(self, actor: UserRef, *, review: bool = False, page: int = 1, page_size: int = 50,
             query: PoolQuery | None = None) -> tuple[list[PoolRow], int]:
        """A page of pool leads (everyone may look) or of the review queue (managers), searched,
        filtered and sorted as `query` says, and how many match. For a rep, each row says whether
        a claim would succeed now or why not (`check_claim`, as `claim_lead` applies it)."""
        if review and not permissions.can_assign(actor):
            raise NotAllowed()
        status = LeadStatus.REVIEW if review else LeadStatus.POOL
        size = max(1, min(200, page_size))
        now = self.ctx.now()
        query = query or PoolQuery()
        with self.ctx.read() as session:
            pool = None if review else shown_pool(session, actor, query.pool_id)
            if not review and pool is None:
                return [], 0  # a rep whose department no pool serves
            f = self.pool_filter(session, query, status, pool)
            leads, total = queries.pool_page(session, f, offset=(max(1, page) - 1) * size, limit=size)
            names = queries.user_names(session, {lead.previous_owner_id for lead in leads if lead.previous_owner_id})
            claimant = None if review else self._claimant(session, actor, now, pool)
            held = queries.record_tag_ids(session, TagEntity.LEAD, (lead.id or 0 for lead in leads))
        rows = []
        for lead in leads:
            refusal = None if claimant is None else check_claim(
                claimant, status=lead.status, previous_owner_id=lead.previous_owner_id,
                cooldown_until=lead.cooldown_until, now=now)
            rows.append(PoolRow(
                id=lead.id or 0, name=lead.name, company=lead.company,
                phone_masked=mask_phone(lead.phone) if pool is None or pool.masked else lead.phone or '',
                source=lead.source, grade=lead.grade, score=lead.score, status=lead.status,
                recycle_count=lead.recycle_count, previous_owner_name=names.get(lead.previous_owner_id or 0),
                created_at=lead.created_at, region=lead.region, industry=lead.industry, pooled_at=lead.pooled_at,
                claimable=claimant is not None and refusal is None, refusal=refusal,
                tags=tuple(held.get(lead.id or 0, ())),
                sort_value=(lead.custom or {}).get(f.order.key) if f.order.is_custom else None))
        return rows, total

    @staticmethod
    def pool_filter(session: Session, query: PoolQuery, status: str, pool: PoolInfo | None) -> queries.PoolFilter:
        """`query` as the store's filter for `pool` (the custom fields read only for a custom sort)."""
        custom = query.sort == queries.PoolSort.CUSTOM
        return query.filter(status, pool, records.load(session, CustomEntity.LEAD) if custom else NO_FIELDS)

    def choices(self, actor: UserRef, *, review: bool = False, pool_id: int | None = None) -> dict[str, list[str]]:
        """The regions and industries found among the pool's (or review queue's) leads."""
        if review and not permissions.can_assign(actor):
            raise NotAllowed()
        status = LeadStatus.REVIEW if review else LeadStatus.POOL
        with self.ctx.read() as session:
            pool = None if review else shown_pool(session, actor, pool_id)
            if not review and pool is None:
                return {'region': [], 'industry': []}
            where = None if pool is None else (pool.id, pool.is_default)
            return {column: queries.pool_choices(session, status, column, pool=where)
                    for column in ('region', 'industry')}

    def _claimant(self, session: Session, actor: UserRef, now: datetime, pool: PoolInfo | None) -> Claimant | None:
        """The rep's claim figures in this pool, or None for someone who may not claim at all."""
        if actor.role != Role.REP:
            return None
        rep = session.get(User, actor.id)
        if rep is None or not rep.is_active:
            return None
        return load_claimant(session, rep, policy=load_policy(session), day_start=self.ctx.day_start(now), pool=pool)

    @retry_conflicts
    def claim_lead(self, actor: UserRef, lead_id: int) -> None:
        """A rep takes a pool lead: daily claim limit, capacity and cool-down checked, one winner."""
        if actor.role != Role.REP:
            raise NotAllowed()
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = self._lead(session, lead_id)
            if lead.status != LeadStatus.POOL:
                raise ClaimRefused('already_claimed')
            # Locked: two claims by one rep at once must not both see room under the capacity.
            rep = session.get(User, actor.id, with_for_update={'key_share': True}, populate_existing=True)
            if rep is None or not rep.is_active:
                raise NotAllowed()
            pools = load_pools(session)
            if not pools.may_see(rep.role, rep.department_id, lead.pool_id):
                raise ClaimRefused('not_your_pool')
            pool = pools.by_id(lead.pool_id)
            policy = pool.policy(load_policy(session))  # the pool's own protection and claim limit
            claimant = load_claimant(session, rep, policy=policy, day_start=self.ctx.day_start(now), pool=pool)
            refusal = check_claim(claimant, status=lead.status, previous_owner_id=lead.previous_owner_id,
                                  cooldown_until=lead.cooldown_until, now=now)
            if refusal is not None:
                raise ClaimRefused.of(refusal)
            lead.pool_id = pool.id or None  # came from this pool: its holding limit and warning time apply
            assign_to(session, lead, rep, now=now, actor_id=rep.id, reason_key='reason.claimed',
                      params={'rep': rep.name, 'claimed_today': claimant.claimed_today + 1,
                              'limit': claimant.claim_limit, **pool.label_params()}, policy=policy)
            lead.version += 1
            session.add(lead)
        self.ctx.events.publish(self.ctx.events.lead_assigned, lead_id, actor.id, None)

    @retry_conflicts
    def assign_from_pool(self, actor: UserRef, lead_ids: Sequence[int], *, rep_id: int) -> int:
        """A manager hands pool or review leads to a rep, in one batch; returns how many moved."""
        if not permissions.can_assign(actor):
            raise NotAllowed()
        now = self.ctx.now()
        moved: list[tuple[int, int | None]] = []
        with self.ctx.write() as session:
            ids = list(dict.fromkeys(lead_ids))[:1000]
            lock_leads(session, ids)  # PostgreSQL: leads, then the rep — the one lock order (store/locks.py)
            lock_users(session, (rep_id,))
            rep = session.get(User, rep_id)
            if rep is None or not rep.is_active or rep.role != Role.REP:
                raise ValidationFailed({'rep': 'invalid'})
            policy = load_policy(session)
            for lead in queries.leads_by_ids(session, ids):
                if lead.status not in (LeadStatus.POOL, LeadStatus.REVIEW, LeadStatus.NEW):
                    continue
                assign_to(session, lead, rep, now=now, actor_id=actor.id,
                          reason_key='reason.assigned.manual',
                          params={'manager': actor.name, 'rep': rep.name}, policy=policy)
                lead.version += 1
                session.add(lead)
                moved.append((lead.id or 0, lead.previous_owner_id))
            told = notify(session, [rep.id] if moved else [], 'notify.assigned_many', now=now, count=len(moved))
        for lead_id, _previous in moved:
            self.ctx.events.publish(self.ctx.events.lead_assigned, lead_id, rep_id, None)
        for user_id in told:
            self.ctx.events.publish(self.ctx.events.notified, user_id)
        return len(moved)

    def send_back(self, actor: UserRef, lead_id: int) -> None:
        """Review → pool: a manager decides the lead deserves another round."""
        self._move(actor, lead_id, (LeadStatus.REVIEW,), 'reason.sent_back')

    def reopen(self, actor: UserRef, lead_id: int) -> None:
        """Disqualified → pool (managers)."""
        self._move(actor, lead_id, (LeadStatus.DISQUALIFIED,), 'reason.reopened')

    @retry_conflicts
    def _move(self, actor: UserRef, lead_id: int, allowed: tuple[str, ...], reason_key: str) -> None:
        if not permissions.can_assign(actor):
            raise NotAllowed()
        now = self.ctx.now()
        with self.ctx.write() as session:
            lead = self._lead(session, lead_id)
            if lead.status not in allowed:
                raise InvalidState()
            release_to_pool(lead, now)
            lead.version += 1
            session.add(lead)
            audit(session, AuditAction.STATUS, now=now, lead_id=lead_id, actor_id=actor.id, reason_key=reason_key,
                  status=LeadStatus.POOL)
        self.ctx.events.publish(self.ctx.events.lead_changed, lead_id, None)

    @staticmethod
    def _lead(session: Session, lead_id: int) -> Lead:
        """The lead, row-locked until commit (PostgreSQL; SQLite has one writer): of two claims
        at once, the second reads the first one's result."""
        lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
        if lead is None or lead.is_deleted:
            raise NotFound()
        return lead
