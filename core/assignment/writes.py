"""Giving a lead an owner, or the pool: the team's loads that a pick reads (`Team`, picking by the
pure rules of core/assignment/pick.py), and the write of the outcome — the lead's owner, status, reason
and clocks (core/automation/sla_clocks.py), the rep's last assignment and the audit line: `assign_to` for a
stored lead (a manager's, a claim, the timer), `assign_new` and `send_to_pool` for one the capture
batch creates. Every assignment goes through here."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.assignment import pick as assignment
from core.automation.sla_clocks import ClockPolicy, clear_clocks, start_clocks
from core.automation.workhours import WorkCalendar
from core.capture.pending import Writes
from core.context import audit
from core.leads.record import LeadRecord
from store import queries
from store.audit_actions import AuditAction
from store.models import Lead, LeadStatus, Role, TagEntity, User


class Team:
    """The rules and every rep's load, read once and kept current in memory while a batch
    (a capture batch, the timer, a rebalance) assigns several leads in one transaction.

    Two processes on PostgreSQL must never both fill a rep's last place nor both think a rep waited
    longest: a rep's row is locked (`FOR NO KEY UPDATE`, until commit) before a lead is given to
    them. `lock` takes every active rep's row up front (the timer, a rebalance: a few per tick);
    `lock_picked` (capture) reads the loads unlocked and locks only the rep a pick lands on, when it
    lands (`pick`) — so two processes' capture batches run side by side instead of queueing for all
    the reps, which capped two processes at one's throughput (issue 24)."""

    def __init__(self, session: Session, day_start: datetime, *, rules: Sequence[assignment.RuleSpec],
                 now: datetime, calendar: WorkCalendar, lock: bool = True, lock_picked: bool = False) -> None:
        """Reps off shift at `now` are skipped. `rules`: the assignment rules (core/capture/config.py).
        `lock`: hold the reps' rows (PostgreSQL) — not for a read, such as the timer's preview;
        with `lock_picked`, each rep's row as a pick first lands on them rather than all at once.
        SQLite (one writer): nothing is locked and both read the same."""
        postgres = session.get_bind().dialect.name != 'sqlite'
        self._calendar, self._now, self._day_start = calendar, now, day_start
        rows = queries.rep_loads(session, day_start, for_update=lock and postgres and not lock_picked)
        self.users = {row.id: row for row in rows}
        """The active reps by id, as read (a pick or a result names its rep without asking the session)."""
        self.reps = {row.id: self._load(row) for row in rows}
        self.rules = list(rules)
        self._session = session
        self._needs_tags = any(rule.match_tags for rule in self.rules)
        """Some rule tests tags: a stored lead's are read when it is picked for (`_tags`)."""
        self._late = lock and postgres and lock_picked
        self._held: set[int] = set()
        """(`lock_picked`) Reps whose rows this transaction holds: their loads here are current."""
        self._busy: set[int] = set()
        """(`lock_picked`) Reps another transaction was holding when a pick landed on them."""

    def _load(self, row: queries.RepLoadRow) -> assignment.RepLoad:
        available = (row.role == Role.REP and row.is_active and not row.is_on_leave
                     and self._calendar.on_shift(row.shift_start, row.shift_end, self._now))
        return assignment.RepLoad(
            id=row.id, name=row.name, open_count=row.open_count, capacity=row.capacity,
            assigned_today=row.assigned_today, daily_quota=row.daily_quota, seniority=row.seniority,
            regions=assignment.split_list(row.regions), available=available,
            last_assigned_at=row.last_assigned_at, department_id=row.department_id)

    def has_room(self) -> bool:
        return any(rep.has_room for rep in self.reps.values())

    def _tags(self, lead: LeadRecord, tags: frozenset[str] | None) -> frozenset[str]:
        """The lead's tag keys: given (a capture's new lead), or read when a rule needs them."""
        if tags is not None or not self._needs_tags:
            return tags or frozenset()
        return frozenset(queries.record_tag_keys(self._session, TagEntity.LEAD, lead.id)) if lead.id else frozenset()

    def pick(self, lead: LeadRecord, *, exclude: int | None = None,
             tags: frozenset[str] | None = None) -> assignment.Pick | None:
        """`tags`: the lead's tag keys when the caller knows them (else read if a rule tests tags).
        With `lock_picked`, the pick is made again until it lands on a rep whose row this
        transaction holds (so their load is current): a rep first picked is locked without
        waiting and their load re-read; one another transaction holds (it is giving them a lead
        right now) is passed over for the next best, for the rest of the batch. Only when every
        rep with room is held elsewhere does it wait — for the one it would pick."""
        facts = _facts(lead, self._tags(lead, tags))
        while True:
            found = self._pick(facts, exclude, self._busy)
            if not self._late or (found is not None and found.rep_id in self._held):
                return found
            if found is not None:
                self._lock(found.rep_id, wait=False)
                continue
            found = self._pick(facts, exclude, ()) if self._busy else None
            if found is None:
                return None
            self._lock(found.rep_id, wait=True)

    def _pick(self, facts: assignment.LeadFacts, exclude: int | None,
              skip: Collection[int]) -> assignment.Pick | None:
        if exclude is None and not skip:
            return assignment.pick_assignee(facts, self.rules, list(self.reps.values()))
        reps = [dataclasses.replace(r, available=False) if r.id == exclude or r.id in skip else r
                for r in self.reps.values()]
        return assignment.pick_assignee(facts, self.rules, reps)

    def _lock(self, rep_id: int, *, wait: bool) -> None:
        """Hold the rep's row and take their current load; or note them busy (held elsewhere)."""
        row = queries.lock_rep(self._session, self._day_start, self.users[rep_id], wait=wait)
        if row is None and not wait:
            self._busy.add(rep_id)
            return
        self._busy.discard(rep_id)
        self._held.add(rep_id)
        if row is None:  # (waited, yet no row: the user is gone) never picked again
            self.reps[rep_id] = dataclasses.replace(self.reps[rep_id], available=False)
            return
        self.users[rep_id] = row  # (the same dict the batch names reps from)
        self.reps[rep_id] = self._load(row)

    def pool_reason(self, lead: LeadRecord, *, tags: frozenset[str] | None = None) -> str:
        """The reason key for a lead `pick` found nobody for (the quota named when it is why)."""
        return assignment.pool_reason(_facts(lead, self._tags(lead, tags)), self.rules, list(self.reps.values()))

    def took(self, rep_id: int, now: datetime) -> None:
        """Count an assignment just made, so the next pick sees it."""
        r = self.reps[rep_id]  # built directly: `dataclasses.replace` costs 10× as much, once per lead
        self.reps[rep_id] = assignment.RepLoad(r.id, r.name, r.open_count + 1, r.capacity, r.assigned_today + 1,
                                               r.daily_quota, r.seniority, r.regions, r.available, now,
                                               r.department_id)


def _facts(lead: LeadRecord, tags: frozenset[str]) -> assignment.LeadFacts:
    return assignment.LeadFacts(source=lead.source, grade=lead.grade, region=lead.region,
                                industry=lead.industry, score=lead.score, tags=tags,
                                custom=lead.custom or assignment.NO_CUSTOM)


def assign_to(session: Session, lead: Lead, rep: User, *, now: datetime, actor_id: int | None, reason_key: str,
              params: dict[str, Any], policy: ClockPolicy) -> None:
    """Give a stored lead to `rep` (a manager's, a claim, the timer, a reassignment), audited in the
    session. Capture's new leads go through `assign_new`; both change the lead by `_hand_over`, so
    the first-response clock, the protection period and the trail always agree."""
    previous = _hand_over(lead, rep.id, now=now, reason_key=reason_key, params=params, policy=policy)
    rep.last_assigned_at = now
    if rep not in session:  # (adding a persistent object again walks its cascades: once per lead adds up)
        session.add(rep)
    audit(session, AuditAction.ASSIGNED, now=now, lead_id=lead.id, actor_id=actor_id, subject_user_id=rep.id,
          reason_key=reason_key, previous_owner_id=previous, **params)


def assign_new(session: Session, lead: LeadRecord, rep: User | queries.RepLoadRow, *, now: datetime,
               actor_id: int | None, reason_key: str, params: dict[str, Any], policy: ClockPolicy,
               writes: Writes) -> None:
    """Give a lead the capture batch is creating to `rep`: the audit line is written with the batch,
    and so is the rep's last assignment when `rep` is the batch's plain row rather than a `User`."""
    previous = _hand_over(lead, rep.id, now=now, reason_key=reason_key, params=params, policy=policy)
    rep.last_assigned_at = now
    if not isinstance(rep, User):
        writes.rep_assigned(rep.id, now)
    elif rep not in session:
        session.add(rep)
    writes.audit(AuditAction.ASSIGNED, now=now, lead_id=lead.id, actor_id=actor_id, subject_user_id=rep.id,
                 reason_key=reason_key, previous_owner_id=previous, **params)


def _hand_over(lead: LeadRecord, rep_id: int | None, *, now: datetime, reason_key: str, params: dict[str, Any],
               policy: ClockPolicy) -> int | None:
    """The lead's side of an assignment; returns its previous owner."""
    previous = lead.owner_id
    lead.owner_id = rep_id
    lead.status = LeadStatus.ASSIGNED  # a new owner starts from first contact (PRODUCT.md state table)
    lead.assigned_at = now
    start_clocks(lead, policy, now)
    lead.assignment_reason = {'key': reason_key, **params}
    lead.updated_at = now
    return previous


def send_to_pool(lead: LeadRecord, *, now: datetime, reason_key: str, writes: Writes) -> None:
    """No eligible rep (or the importer chose the pool): the lead waits unowned. Managers hear of
    it in the timer's pool summary (core/automation/timer.py), one notification per tick."""
    lead.owner_id = None
    lead.status = LeadStatus.POOL
    lead.pooled_at = now
    clear_clocks(lead)
    lead.assignment_reason = {'key': reason_key}
    writes.audit(AuditAction.POOLED, now=now, lead_id=lead.id, reason_key=reason_key)
