"""Handing over what a user holds when they move to another department or are deactivated: their
open leads (through the assignment rules, or to a named colleague), open deals and customers (to the
colleague). Previewed first (`plan`, nothing written), then applied in one transaction (`hand_over`).

Why its own module rather than the on-leave hand-over of steering.py: that one moves only leads and
only to the least loaded rep; a departure moves three kinds of record and may follow the rules. It
reuses the same pieces — `Team.pick` (what capture runs), `assign_to` (the one lead write: clocks,
reason, audit), the lock order of store/locks.py — so the trail reads the same. Every record gets
its own audit line naming the cause (moved / deactivated) and the manager; the batch one summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core import permissions
from core.assignment.writes import Team, assign_to
from core.automation.policy import load_policy
from core.automation.pool import hand_to_pool
from core.context import Context, audit, retry_conflicts
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.notify import notify
from store import queries
from store.audit_actions import AuditAction
from store.locks import lock_leads, lock_users
from store.models import OPEN_STATUSES, Account, Lead, Opportunity, Role, User, UserRef
from store.queries import departure as held

LIMIT = 2000
"""Records of each kind one hand-over moves (the preview says when a user holds more)."""
_GRADE_ORDER = {'A': 0, 'B': 1, 'C': 2}


class DepartureCause(StrEnum):
    """Why the records move: named in every audit line."""

    MOVED = 'moved'
    DEACTIVATED = 'deactivated'


@dataclass(frozen=True, slots=True)
class LeadHandover:
    lead_id: int
    name: str
    grade: str
    to_id: int | None
    """None: the pool (no rule had a rep with room)."""
    to_name: str | None
    rule: str | None
    """The assignment rule that picked `to_id` (None: the named colleague, or the pool)."""


@dataclass(frozen=True, slots=True)
class RecordHandover:
    """A deal or a customer, going to the colleague."""

    record_id: int
    name: str


@dataclass(frozen=True, slots=True)
class DeparturePlan:
    user_id: int
    user_name: str
    cause: DepartureCause
    leads_by_rules: bool
    colleague_id: int | None
    colleague_name: str | None
    leads: list[LeadHandover] = field(default_factory=list)
    deals: list[RecordHandover] = field(default_factory=list)
    customers: list[RecordHandover] = field(default_factory=list)
    more: bool = False
    """The user holds more than `LIMIT` records of some kind: the rest stay (hand over again)."""

    @property
    def empty(self) -> bool:
        return not (self.leads or self.deals or self.customers)

    @property
    def needs_colleague(self) -> bool:
        """Deals or customers (or leads not going by the rules) with nobody named to take them."""
        return self.colleague_id is None and bool(self.deals or self.customers
                                                  or (self.leads and not self.leads_by_rules))

    @property
    def to_pool(self) -> int:
        return sum(1 for m in self.leads if m.to_id is None)

    def receivers(self) -> dict[str, int]:
        """Leads each receiver gets, by name (the pool not among them)."""
        out: dict[str, int] = {}
        for m in self.leads:
            if m.to_name is not None:
                out[m.to_name] = out.get(m.to_name, 0) + 1
        return out


@dataclass(frozen=True, slots=True)
class DepartureOutcome:
    leads: int
    to_pool: int
    deals: int
    customers: int
    stale: int
    """Left where they were: changed hands, closed or deleted since the preview, or the receiver left."""


def _takes(user: User | None) -> bool:
    return user is not None and user.is_active and user.role == Role.REP


class DepartureService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _check(self, actor: UserRef, user_id: int, colleague_id: int | None) -> None:
        if not permissions.can_assign(actor) or not permissions.in_reach(actor, user_id):
            raise NotAllowed()  # a manager hands over only within their data scope
        if colleague_id is not None and not permissions.in_reach(actor, colleague_id):
            raise NotAllowed()

    def plan(self, actor: UserRef, user_id: int, *, cause: DepartureCause, leads_by_rules: bool = True,
             colleague_id: int | None = None) -> DeparturePlan:
        """Where each open lead, deal and customer of `user_id` would go; nothing is written. Leads by
        the rules go where a new lead like them would (reps outside `actor`'s scope and the leaving user
        skipped; nobody with room: the pool); deals and customers always to the colleague, whom
        `hand_over` requires when there are any (and for the leads unless `leads_by_rules`): the preview
        may be asked first without one (`needs_colleague`)."""
        self._check(actor, user_id, colleague_id)
        if cause not in DepartureCause.__members__.values():
            raise ValidationFailed({'cause': 'invalid'})
        now = self.ctx.now()
        with self.ctx.read() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound()
            colleague = session.get(User, colleague_id) if colleague_id is not None else None
            if colleague_id is not None and (not _takes(colleague) or colleague_id == user_id):
                raise ValidationFailed({'colleague': 'invalid'})
            leads = list(queries.owner_open_leads(session, user_id, limit=LIMIT + 1))
            deals = list(held.owner_open_deals(session, user_id, limit=LIMIT + 1))
            customers = list(held.owner_customers(session, user_id, limit=LIMIT + 1))
            more = max(len(leads), len(deals), len(customers)) > LIMIT
            leads, deals, customers = leads[:LIMIT], deals[:LIMIT], customers[:LIMIT]
            if leads_by_rules:
                moves = self._by_rules(session, actor, user_id, leads, now)
            else:
                moves = [LeadHandover(x.id or 0, x.name, x.grade, colleague_id, colleague.name if colleague else None,
                                      None) for x in leads]
        return DeparturePlan(
            user_id=user_id, user_name=user.name, cause=cause, leads_by_rules=leads_by_rules,
            colleague_id=colleague_id, colleague_name=colleague.name if colleague else None, leads=moves,
            deals=[RecordHandover(o.id or 0, o.name) for o in deals],
            customers=[RecordHandover(a.id or 0, a.name) for a in customers], more=more)

    def _by_rules(self, session: Session, actor: UserRef, user_id: int, leads: Sequence[Lead],
                  now: datetime) -> list[LeadHandover]:
        """The rules' pick for each lead, A leads first (they get the best choice), each pick counted
        before the next, as a capture batch does."""
        team = Team(session, self.ctx.day_start(now), rules=self.ctx.capture_config.load(session).rules, now=now,
                    calendar=load_policy(session).calendar, lock=False)
        team.reps = {i: r if permissions.in_reach(actor, i) else dataclasses.replace(r, available=False)
                     for i, r in team.reps.items()}
        out: list[LeadHandover] = []
        for lead in sorted(leads, key=lambda x: (_GRADE_ORDER.get(x.grade, 3), x.id or 0)):
            pick = team.pick(lead, exclude=user_id)
            if pick is None:
                out.append(LeadHandover(lead.id or 0, lead.name, lead.grade, None, None, None))
                continue
            team.took(pick.rep_id, now)
            out.append(LeadHandover(lead.id or 0, lead.name, lead.grade, pick.rep_id, pick.rep_name, pick.rule_name))
        return out

    @retry_conflicts
    def hand_over(self, actor: UserRef, plan: DeparturePlan) -> DepartureOutcome:
        """Apply a previewed plan in one transaction. A record that changed hands, closed or was
        deleted since stays (`stale`); a lead whose rule-picked rep has no room left goes to the pool."""
        self._check(actor, plan.user_id, plan.colleague_id)
        if plan.needs_colleague:
            raise ValidationFailed({'colleague': 'required'})
        if plan.empty:
            raise ValidationFailed({'records': 'required'})
        now = self.ctx.now()
        base: dict[str, Any] = {'manager': actor.name, 'from': plan.user_name, 'cause': str(plan.cause)}
        moved: list[tuple[int, int | None]] = []
        deals_moved: list[int] = []
        stale = customers = 0
        with self.ctx.write() as session:
            policy = load_policy(session)
            receivers = {m.to_id for m in plan.leads if m.to_id} | ({plan.colleague_id} if plan.colleague_id else set())
            lock_leads(session, [m.lead_id for m in plan.leads])
            lock_users(session, [plan.user_id, *receivers])
            users = {uid: session.get(User, uid) for uid in receivers}
            counts = {uid: u.open_leads for uid, u in users.items() if u is not None}
            colleague = users.get(plan.colleague_id) if plan.colleague_id else None
            for m in plan.leads:
                lead = session.get(Lead, m.lead_id, with_for_update=True, populate_existing=True)
                if (lead is None or lead.is_deleted or lead.status not in OPEN_STATUSES
                        or lead.owner_id != plan.user_id):
                    stale += 1
                    continue
                rep = users.get(m.to_id) if m.to_id else None
                if m.to_id and not _takes(rep):
                    stale += 1
                    continue
                if rep is not None and m.rule is not None and counts[rep.id or 0] >= rep.capacity:
                    rep = None  # filled up since the preview: the pool rather than past capacity
                if rep is None:
                    hand_to_pool(session, lead, now=now, actor_id=actor.id,
                                 reason_key='reason.handover.lead_pool', params=base)
                else:
                    key, extra = ('reason.handover.lead_rule', {'rule': m.rule}) if m.rule else \
                        ('reason.handover.lead', {})
                    assign_to(session, lead, rep, now=now, actor_id=actor.id, reason_key=key,
                              params={**base, **extra, 'rep': rep.name}, policy=policy)
                    counts[rep.id or 0] += 1
                lead.version += 1
                session.add(lead)
                moved.append((lead.id or 0, rep.id if rep else None))
            if (plan.deals or plan.customers) and not _takes(colleague):
                stale += len(plan.deals) + len(plan.customers)
            else:
                for d in plan.deals:
                    if self._deal(session, d.record_id, plan, colleague, now=now, actor=actor, params=base):
                        deals_moved.append(d.record_id)
                    else:
                        stale += 1
                for c in plan.customers:
                    if self._customer(session, c.record_id, plan, colleague, now=now, actor=actor, params=base):
                        customers += 1
                    else:
                        stale += 1
            told = self._tell(session, moved, deals=len(deals_moved) + customers, colleague=colleague, now=now,
                              manager=actor.name)
            if moved or deals_moved or customers:
                audit(session, AuditAction.HANDED_OVER, now=now, actor_id=actor.id, subject_user_id=plan.user_id,
                      reason_key='reason.batch.departure', **base, count=len(moved), deals=len(deals_moved),
                      customers=customers, stale=stale, leads=','.join(str(m[0]) for m in moved[:200]))
        events = self.ctx.events
        for lead_id, to_id in moved:
            events.publish(events.lead_assigned, lead_id, to_id, plan.user_id)
        for deal_id in deals_moved:
            events.publish(events.opportunity_moved, deal_id, actor.id)
        for user_id in told:
            events.publish(events.notified, user_id)
        return DepartureOutcome(leads=sum(1 for m in moved if m[1] is not None),
                                to_pool=sum(1 for m in moved if m[1] is None), deals=len(deals_moved),
                                customers=customers, stale=stale)

    @staticmethod
    def _deal(session: Session, deal_id: int, plan: DeparturePlan, to: User | None, *, now: datetime,
              actor: UserRef, params: dict[str, Any]) -> bool:
        deal = session.get(Opportunity, deal_id, with_for_update=True, populate_existing=True)
        if to is None or deal is None or deal.is_deleted or deal.closed_at is not None or deal.owner_id != plan.user_id:
            return False
        deal.owner_id, deal.version, deal.updated_at = to.id, deal.version + 1, now
        session.add(deal)
        audit(session, AuditAction.OPPORTUNITY_EDITED, now=now, lead_id=deal.lead_id, actor_id=actor.id,
              subject_user_id=to.id, reason_key='reason.handover.deal', **params, rep=to.name, deal=deal.name,
              previous_owner_id=plan.user_id)
        return True

    @staticmethod
    def _customer(session: Session, account_id: int, plan: DeparturePlan, to: User | None, *, now: datetime,
                  actor: UserRef, params: dict[str, Any]) -> bool:
        account = session.get(Account, account_id, with_for_update=True, populate_existing=True)
        if to is None or account is None or account.is_deleted or account.owner_id != plan.user_id:
            return False
        account.owner_id, account.version = to.id, account.version + 1
        session.add(account)
        audit(session, AuditAction.CUSTOMER_EDITED, now=now, actor_id=actor.id, subject_user_id=to.id,
              reason_key='reason.handover.customer', **params, rep=to.name, account=account.name,
              previous_owner_id=plan.user_id)
        return True

    @staticmethod
    def _tell(session: Session, moved: Sequence[tuple[int, int | None]], *, deals: int, colleague: User | None,
              now: datetime, manager: str) -> list[int]:
        """One notification per receiver with the count of leads, and the colleague's of deals and customers."""
        gained: dict[int, int] = {}
        for _lead, to_id in moved:
            if to_id:
                gained[to_id] = gained.get(to_id, 0) + 1
        told: list[int] = []
        for uid, n in sorted(gained.items()):
            told += notify(session, [uid], 'notify.leads_moved_to_you', now=now, count=n, manager=manager)
        if deals and colleague is not None:
            told += notify(session, [colleague.id], 'notify.records_handed_to_you', now=now, count=deals,
                           manager=manager)
        return list(dict.fromkeys(told))
