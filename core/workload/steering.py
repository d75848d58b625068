"""A manager steers the team's load: a rep's open leads (drill-down), moving leads in bulk to
another rep or the pool, rebalancing, and handing over a leaving rep's leads.

Every move is an assignment through `assign_writes.assign_to` (protection and first-response clocks
restart, the reason names the manager); a batch is one transaction with one summary audit entry,
and events go out after commit. Plans are computed by the pure `rebalance` module and checked
again when applied: a lead that changed hands, closed, or was just worked in between stays put."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core import permissions
from core.assignment.writes import assign_to
from core.automation.policy import load_policy
from core.automation.pool import hand_to_pool
from core.context import Context, audit, retry_conflicts
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.notify import notify
from core.workload.rebalance import Candidate, Move, Plan, RepSlot, plan_handover, plan_rebalance
from store import queries
from store.audit_actions import AuditAction
from store.locks import lock_leads, lock_users
from store.models import OPEN_STATUSES, Lead, Role, User, UserRef

RECENT = timedelta(hours=24)
"""A lead worked within this window is not moved by a rebalance unless the manager asks."""
DRILL_LIMIT = 200
BATCH_MAX = 2000
_PLAN_KINDS = {'rebalanced': AuditAction.REBALANCED, 'handed_over': AuditAction.HANDED_OVER}
"""What `apply_plan` is told (the UI's word) → the audit action it writes."""
"""Leads one bulk action may move (a plan for a rep far over capacity is cut here)."""


@dataclass(frozen=True, slots=True)
class DrillLead:
    id: int
    name: str
    company: str | None
    grade: str
    status: str
    assigned_at: datetime | None
    last_activity_at: datetime | None
    next_follow_up_at: datetime | None
    sla_status: str | None


@dataclass(frozen=True, slots=True)
class RepLeads:
    rep_id: int
    rep_name: str
    leads: list[DrillLead]
    total: int
    """All open leads of the rep (the list shows at most DRILL_LIMIT)."""


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    moved: int
    stale: int
    """Left where they were: changed hands or closed since the plan, or worked in the last 24 h."""
    no_room: int
    """Left where they were because the receiving rep reached capacity."""


def _drill(lead: Lead) -> DrillLead:
    return DrillLead(id=lead.id or 0, name=lead.name, company=lead.company, grade=lead.grade, status=lead.status,
                     assigned_at=lead.assigned_at, last_activity_at=lead.last_activity_at,
                     next_follow_up_at=lead.next_follow_up_at, sla_status=lead.sla_status)


def _candidate(lead: Lead) -> Candidate:
    return Candidate(lead_id=lead.id or 0, name=lead.name, grade=lead.grade, owner_id=lead.owner_id or 0,
                     last_activity_at=lead.last_activity_at)


def _slots(session: Session, actor: UserRef) -> list[RepSlot]:
    """The active reps within `actor`'s data scope: a manager rebalances and hands over only among them."""
    return [RepSlot(id=u.id or 0, name=u.name, open_count=u.open_leads, capacity=u.capacity,
                    available=not u.is_on_leave) for u in queries.active_reps(session)
            if permissions.in_reach(actor, u.id)]


class SteeringService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @staticmethod
    def _check(actor: UserRef) -> None:
        if not permissions.can_assign(actor):
            raise NotAllowed()

    def rep_leads(self, actor: UserRef, rep_id: int) -> RepLeads:
        """The drill-down under a rep's row: their open leads, A first, oldest assignment first."""
        self._check(actor)
        with self.ctx.read() as session:
            rep = session.get(User, rep_id)
            if rep is None or rep.role != Role.REP or not permissions.in_reach(actor, rep_id):
                raise NotFound()
            leads = queries.owner_open_leads(session, rep_id, limit=DRILL_LIMIT)
            return RepLeads(rep_id=rep_id, rep_name=rep.name, leads=[_drill(x) for x in leads],
                            total=rep.open_leads)

    def reassign(self, actor: UserRef, lead_ids: Sequence[int], *, to_rep_id: int | None) -> MoveOutcome:
        """Move the selected open leads to one rep (`to_rep_id`) or to the pool (None)."""
        self._check(actor)
        ids = list(dict.fromkeys(lead_ids))
        if not ids:
            raise ValidationFailed({'leads': 'required'})
        if len(ids) > BATCH_MAX:
            raise ValidationFailed({'leads': 'too_many'})
        with self.ctx.read() as session:
            leads = {lead.id: lead for lead in queries.leads_by_ids(session, ids)}
        if to_rep_id is not None and not permissions.in_reach(actor, to_rep_id):
            raise NotAllowed()  # a manager moves leads only within their data scope
        moves = [Move(i, leads[i].name, leads[i].grade, leads[i].owner_id or 0, to_rep_id)
                 for i in ids if i in leads and leads[i].owner_id != to_rep_id
                 and permissions.in_reach(actor, leads[i].owner_id)]
        return self._apply(actor, moves, kind=AuditAction.REASSIGNED, include_recent=True, strict_target=to_rep_id)

    def plan_rebalance(self, actor: UserRef, *, include_recent: bool = False) -> Plan:
        """Propose moves that even out open leads relative to capacity; nothing is written."""
        self._check(actor)
        now = self.ctx.now()
        quiet_since = None if include_recent else now - RECENT
        with self.ctx.read() as session:
            reps = _slots(session, actor)
            takers = [r for r in reps if r.available and r.capacity > 0]
            total_open = sum(r.open_count for r in takers)
            total_capacity = sum(r.capacity for r in takers) or 1
            target = total_open / total_capacity
            movable: dict[int, list[Candidate]] = {}
            for r in reps:
                surplus = r.open_count - int(target * r.capacity)
                if r.available and surplus > 0:
                    rows = queries.owner_open_leads(session, r.id, limit=min(surplus, BATCH_MAX),
                                                    quiet_since=quiet_since)
                    movable[r.id] = [_candidate(x) for x in rows]
            held = 0
            if quiet_since is not None and movable:
                held = queries.count_recently_active(session, list(movable), quiet_since)
        return plan_rebalance(reps, movable, held_back=held)

    def plan_handover(self, actor: UserRef, rep_id: int) -> Plan:
        """A rep goes on leave: where each of their open leads would go; nothing is written."""
        self._check(actor)
        with self.ctx.read() as session:
            rep = session.get(User, rep_id)
            if rep is None or rep.role != Role.REP or not permissions.in_reach(actor, rep_id):
                raise NotFound()
            leads = queries.owner_open_leads(session, rep_id, limit=BATCH_MAX)
            return plan_handover(rep_id, _slots(session, actor), [_candidate(x) for x in leads])

    def apply_plan(self, actor: UserRef, plan: Plan, *, kind: str, include_recent: bool = False) -> MoveOutcome:
        """Apply a plan the manager confirmed: `kind` is 'rebalanced' or 'handed_over'."""
        action = _PLAN_KINDS.get(kind)
        if action is None:
            raise ValidationFailed({'kind': 'invalid'})
        if len(plan.moves) > BATCH_MAX:
            raise ValidationFailed({'leads': 'too_many'})
        return self._apply(actor, plan.moves, kind=action,
                           include_recent=include_recent or action == AuditAction.HANDED_OVER)

    # ----- the one write path ---------------------------------------------------------------------

    @retry_conflicts
    def _apply(self, actor: UserRef, moves: Sequence[Move], *, kind: AuditAction, include_recent: bool,
               strict_target: int | None = None) -> MoveOutcome:
        self._check(actor)
        now = self.ctx.now()
        reason_key = {'reassigned': 'reason.assigned.manual', 'rebalanced': 'reason.assigned.rebalance',
                      'handed_over': 'reason.assigned.handover'}[kind]
        moved: list[tuple[int, int | None, int]] = []
        stale = no_room = 0
        with self.ctx.write() as session:
            self._check_target(session, strict_target)
            policy = load_policy(session)
            users: dict[int, User | None] = {}
            counts: dict[int, int] = {}

            # PostgreSQL: every lead of the plan, then every rep in it, each in id order — the one lock
            # order of store/locks.py (one at a time as the moves come, a rep before the next lead, could
            # wait in a circle with the timer or a manager's assignment).
            lock_leads(session, [m.lead_id for m in moves])
            lock_users(session, [uid for m in moves for uid in (m.from_id, m.to_id)])

            def user(uid: int) -> User | None:
                if uid not in users:
                    found = session.get(User, uid, with_for_update={'key_share': True}, populate_existing=True)
                    users[uid] = found
                    counts[uid] = found.open_leads if found else 0
                return users[uid]

            for move in moves:
                lead = session.get(Lead, move.lead_id, with_for_update=True, populate_existing=True)
                if (lead is None or lead.is_deleted or lead.status not in OPEN_STATUSES
                        or (lead.owner_id or 0) != move.from_id
                        or not permissions.in_reach(actor, lead.owner_id)  # (a posted plan: checked again)
                        or (move.to_id is not None and not permissions.in_reach(actor, move.to_id))
                        or (not include_recent and lead.last_activity_at is not None
                            and lead.last_activity_at >= now - RECENT)):
                    stale += 1
                    continue
                giver = user(move.from_id) if move.from_id else None
                params = {'manager': actor.name, 'from': giver.name if giver else '—'}
                if move.to_id is None:
                    hand_to_pool(session, lead, now=now, actor_id=actor.id,
                                 reason_key='reason.pooled_by_manager', params=params)
                else:
                    rep = user(move.to_id)
                    if rep is None or not rep.is_active or rep.role != Role.REP:
                        stale += 1
                        continue
                    if counts[move.to_id] >= rep.capacity:
                        no_room += 1
                        continue
                    assign_to(session, lead, rep, now=now, actor_id=actor.id, reason_key=reason_key,
                              params={**params, 'rep': rep.name}, policy=policy)
                    counts[move.to_id] += 1
                lead.version += 1
                session.add(lead)
                moved.append((lead.id or 0, move.to_id, move.from_id))
            if strict_target is not None and no_room and not moved:
                raise ValidationFailed({'rep': 'at_capacity'})
            told = self._tell(session, moved, now=now, manager=actor.name)
            if moved:
                audit(session, kind, now=now, actor_id=actor.id, reason_key=f'reason.batch.{kind}',
                      manager=actor.name, count=len(moved), stale=stale, no_room=no_room,
                      leads=','.join(str(m[0]) for m in moved[:200]))
        events = self.ctx.events
        for lead_id, to_id, from_id in moved:
            events.publish(events.lead_assigned, lead_id, to_id, from_id)
        for user_id in told:
            events.publish(events.notified, user_id)
        return MoveOutcome(moved=len(moved), stale=stale, no_room=no_room)

    @staticmethod
    def _check_target(session: Session, rep_id: int | None) -> None:
        if rep_id is None:
            return
        rep = session.get(User, rep_id)
        if rep is None or not rep.is_active or rep.role != Role.REP:
            raise ValidationFailed({'rep': 'invalid'})

    @staticmethod
    def _tell(session: Session, moved: Sequence[tuple[int, int | None, int]], *, now: datetime,
              manager: str) -> list[int]:
        """One notification per rep who gained or lost leads in this batch, with the count."""
        gained: dict[int, int] = {}
        lost: dict[int, int] = {}
        for _lead, to_id, from_id in moved:
            if to_id:
                gained[to_id] = gained.get(to_id, 0) + 1
            if from_id:
                lost[from_id] = lost.get(from_id, 0) + 1
        told: list[int] = []
        for uid, n in sorted(gained.items()):
            told += notify(session, [uid], 'notify.leads_moved_to_you', now=now, count=n, manager=manager)
        for uid, n in sorted(lost.items()):
            told += notify(session, [uid], 'notify.leads_moved_from_you', now=now, count=n, manager=manager)
        return list(dict.fromkeys(told))
