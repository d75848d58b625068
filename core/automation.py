"""The timer: every time-driven rule, in order, each step one transaction, every action
audited with actor `system` and its reason, published after commit.

`tick(now)` does the work; `preview(now, hours)` reads the same queries with a later
horizon and the same decisions, so what managers are shown is what will happen.
Idempotent: a second tick at the same instant finds nothing due (each step clears
or moves the timestamp that selected the lead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session

from store import care as care_store
from store import queries
from store.audit_actions import AuditAction
from store.models import OPEN_STATUSES, Account, Lead, LeadStatus, User

from . import care_plan, customers
from .assign_writes import Team, assign_to
from .capture_config import assignment_rules
from .context import Context, audit, retrying
from .events import DeskEvents
from .notify import managers, notify
from .policy import Policy, load_policy
from .sla_clocks import clear_clocks

BATCH = 500
"""Leads handled per step per tick; the rest wait for the next tick."""

STEPS = ('leave_ended', 'assign', 'sla_breach', 'sla_reassign', 'warn', 'recycle', 'review', 'remind',
         'remind_opportunity', 'dormant', 'care')


def recycle_outcome(recycle_count: int, policy: Policy) -> str:
    """The K-th recycle goes to the managers' review queue instead of the pool."""
    return 'review' if recycle_count + 1 >= policy.review_after else 'recycle'


@dataclass
class TickReport:
    done: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STEPS})

    def count(self) -> int:
        return sum(len(ids) for ids in self.done.values())

    def summary(self) -> dict[str, int]:
        return {step: len(ids) for step, ids in self.done.items() if ids}


@dataclass(frozen=True, slots=True)
class Planned:
    lead_id: int
    lead_name: str
    owner_name: str | None
    action: str
    at: datetime
    account_id: int | None = None
    """Set for a care task: the row names a customer (in `lead_name`) rather than a lead."""


Publish = list[tuple[Any, tuple[Any, ...]]]


class Automation:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def events(self) -> DeskEvents:
        return self.ctx.events

    def tick(self, now: datetime | None = None) -> TickReport:
        now = now or self.ctx.now()
        report = TickReport()
        steps: list[Callable[[Session, datetime, Policy, TickReport, Publish], None]] = [
            self._end_leaves, self._assign_waiting, self._flag_sla, self._reassign_past_grace, self._warn,
            self._recycle, self._remind, self._remind_opportunities, self._dormant,
            self._care]
        for step in steps:
            publish = retrying(partial(self._run_step, step, now, report))
            for event, args in publish:
                self.events.publish(event, *args)
        return report

    def _run_step(self, step: Callable[[Session, datetime, Policy, TickReport, Publish], None], now: datetime,
                  report: TickReport) -> Publish:
        """One step in its transaction; what it reports and publishes counts only once it committed,
        so an attempt PostgreSQL aborted (`retrying` runs it again) leaves no trace."""
        publish: Publish = []
        attempt = TickReport()
        with self.ctx.write() as session:
            step(session, now, load_policy(session), attempt, publish)
        for name, ids in attempt.done.items():
            report.done[name].extend(ids)
        return publish

    # ----- steps ----------------------------------------------------------------------------------

    def _assign_waiting(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                        publish: Publish) -> None:
        """Pool leads nobody could take at capture (or, if set, recycled ones) get an owner once one has room."""
        waiting = queries.leads_waiting_for_owner(session, include_recycled=policy.redistribute_recycled, limit=BATCH,
                                                 lock=True)
        if not waiting:
            return  # the common case, one index probe; team loads are only counted when someone waits
        team = Team(session, self.ctx.day_start(now), rules=assignment_rules(session), now=now,
                    calendar=policy.calendar)
        for lead in waiting:
            if not team.has_room():
                break
            cooling = lead.cooldown_until is not None and lead.cooldown_until > now
            pick = team.pick(lead, exclude=lead.previous_owner_id if cooling else None)
            if pick is None:
                continue  # no rule places this one (e.g. region-only rules); others may fit
            rep = session.get(User, pick.rep_id)
            assert rep is not None
            key, params = pick.reason()
            assign_to(session, lead, rep, now=now, actor_id=None, reason_key=key, params=params,
                      policy=policy)
            team.took(rep.id or 0, now)
            session.add(lead)
            report.done['assign'].append(lead.id or 0)
            told = notify(session, [rep.id], 'notify.assigned_to_you', now=now, lead_id=lead.id, lead=lead.name)
            publish.append((self.events.lead_assigned, (lead.id, rep.id, None)))
            publish.extend((self.events.notified, (u,)) for u in told)

    def _flag_sla(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                  publish: Publish) -> None:
        team = managers(session)
        for lead in queries.sla_due(session, now, BATCH, lock=True):
            lead.sla_status = 'failed'
            session.add(lead)
            audit(session, AuditAction.SLA_BREACHED, now=now, lead_id=lead.id, subject_user_id=lead.owner_id,
                  reason_key='reason.sla_breached', hours=policy.sla_hours.get(lead.grade), grade=lead.grade)
            told = notify(session, [lead.owner_id, *team], 'notify.sla_breached', now=now, lead_id=lead.id,
                          lead=lead.name)
            report.done['sla_breach'].append(lead.id or 0)
            publish.append((self.events.lead_changed, (lead.id, lead.owner_id)))
            publish.extend((self.events.notified, (u,)) for u in told)

    def _reassign_past_grace(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                             publish: Publish) -> None:
        leads = queries.sla_grace_due(session, now, BATCH, lock=True)
        team = Team(session, self.ctx.day_start(now), rules=assignment_rules(session), now=now,
                    calendar=policy.calendar) if leads else None
        for lead in leads:
            assert team is not None
            previous = lead.owner_id
            pick = team.pick(lead, exclude=previous)
            if pick is None:
                lead.sla_grace_at = None  # handled: the managers decide
                session.add(lead)
                audit(session, AuditAction.SLA_NO_REP, now=now, lead_id=lead.id, reason_key='reason.sla_no_rep')
                told = notify(session, managers(session), 'notify.sla_no_rep', now=now, lead_id=lead.id,
                              lead=lead.name)
                publish.extend((self.events.notified, (u,)) for u in told)
                continue
            rep = session.get(User, pick.rep_id)
            old = session.get(User, previous) if previous else None
            assert rep is not None
            assign_to(session, lead, rep, now=now, actor_id=None, reason_key='reason.sla_reassigned',
                      params={'rep': rep.name, 'previous': old.name if old else '',
                              'grace': policy.sla_grace_hours}, policy=policy)
            team.took(rep.id or 0, now)
            session.add(lead)
            report.done['sla_reassign'].append(lead.id or 0)
            told = notify(session, [rep.id], 'notify.assigned_to_you', now=now, lead_id=lead.id, lead=lead.name)
            told += notify(session, [previous], 'notify.taken_away', now=now, lead_id=lead.id, lead=lead.name)
            publish.append((self.events.lead_assigned, (lead.id, rep.id, previous)))
            publish.extend((self.events.notified, (u,)) for u in told)

    def _warn(self, session: Session, now: datetime, policy: Policy, report: TickReport,
              publish: Publish) -> None:
        for lead in queries.protection_warnings(session, now, now + timedelta(hours=policy.warn_hours), BATCH,
                                                lock=True):
            end = lead.protected_until
            if end is None:
                continue
            lead.warned_until = end
            session.add(lead)
            audit(session, AuditAction.WARNED, now=now, lead_id=lead.id, subject_user_id=lead.owner_id,
                  reason_key='reason.protection_ending', until=end.isoformat())
            told = notify(session, [lead.owner_id], 'notify.protection_ending', now=now, lead_id=lead.id,
                          lead=lead.name)
            report.done['warn'].append(lead.id or 0)
            publish.extend((self.events.notified, (u,)) for u in told)

    def _recycle(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                 publish: Publish) -> None:
        team = managers(session)
        for lead in queries.protection_ending(session, now, BATCH, lock=True):
            previous = lead.owner_id
            outcome = recycle_outcome(lead.recycle_count, policy)
            old = session.get(User, previous) if previous else None
            lead.recycle_count += 1
            lead.previous_owner_id = previous
            lead.owner_id = None
            clear_clocks(lead)
            lead.version += 1
            lead.updated_at = now
            if outcome == 'review':
                lead.status = LeadStatus.REVIEW
                told = notify(session, team, 'notify.review', now=now, lead_id=lead.id, lead=lead.name)
            else:
                lead.status = LeadStatus.POOL
                lead.cooldown_until = policy.cooldown(now)
                told = notify(session, [previous], 'notify.recycled_from_you', now=now, lead_id=lead.id,
                              lead=lead.name)
            session.add(lead)
            audit(session, AuditAction.RECYCLED if outcome == 'recycle' else AuditAction.SENT_TO_REVIEW, now=now,
                  lead_id=lead.id, subject_user_id=previous,
                  reason_key='reason.recycled' if outcome == 'recycle' else 'reason.sent_to_review',
                  rep=old.name if old else '', count=lead.recycle_count, days=policy.protection_days)
            report.done[outcome].append(lead.id or 0)
            publish.append((self.events.lead_assigned, (lead.id, None, previous)))
            publish.extend((self.events.notified, (u,)) for u in told)

    def _remind(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                publish: Publish) -> None:
        for lead in queries.follow_ups_due(session, now, BATCH, lock=True):
            lead.follow_up_due_at = None
            session.add(lead)
            if lead.status not in OPEN_STATUSES or lead.owner_id is None:
                continue
            audit(session, AuditAction.REMINDED, now=now, lead_id=lead.id, subject_user_id=lead.owner_id,
                  reason_key='reason.follow_up_due')
            told = notify(session, [lead.owner_id], 'notify.follow_up_due', now=now, lead_id=lead.id,
                          lead=lead.name)
            report.done['remind'].append(lead.id or 0)
            publish.append((self.events.lead_changed, (lead.id, lead.owner_id)))
            publish.extend((self.events.notified, (u,)) for u in told)

    def _remind_opportunities(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                              publish: Publish) -> None:
        for o in queries.opportunity_follow_ups_due(session, now, BATCH):
            o.follow_up_due_at = None
            session.add(o)
            if o.closed_at is not None or o.owner_id is None:
                continue
            audit(session, AuditAction.REMINDED, now=now, lead_id=o.lead_id, subject_user_id=o.owner_id,
                  reason_key='reason.follow_up_due')
            told = notify(session, [o.owner_id], 'notify.follow_up_due', now=now, lead_id=o.lead_id, lead=o.name)
            report.done['remind_opportunity'].append(o.id or 0)
            publish.extend((self.events.notified, (u,)) for u in told)

    def _end_leaves(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                    publish: Publish) -> None:
        """A leave with a return date ends by itself, before the timer hands out waiting leads."""
        for user in queries.leaves_ending(session, now):
            user.is_on_leave = False
            user.leave_until = None
            session.add(user)
            audit(session, AuditAction.LEAVE_ENDED, now=now, subject_user_id=user.id, reason_key='reason.leave_ended',
                  rep=user.name)
            report.done['leave_ended'].append(user.id or 0)
        if report.done['leave_ended']:
            publish.append((self.events.users_changed, ()))

    def _dormant(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                 publish: Publish) -> None:
        report.done['dormant'].extend(customers.mark_dormant(session, now, BATCH))

    def _care(self, session: Session, now: datetime, policy: Policy, report: TickReport,
              publish: Publish) -> None:
        """Care plans: due revisits (and dormant customers' wake-ups) become the owner's tasks."""
        for opened in care_plan.open_due(session, now, BATCH):
            report.done['care'].append(opened.account_id)
            publish.append((self.events.care_changed, (opened.account_id, opened.owner_id)))
            publish.extend((self.events.notified, (u,)) for u in opened.told)

    # ----- preview --------------------------------------------------------------------------------

    def preview(self, now: datetime | None = None, hours: float = 24) -> list[Planned]:
        """What the timer will do between now and now + hours, soonest first."""
        now = now or self.ctx.now()
        horizon = now + timedelta(hours=hours)
        plan: list[tuple[Lead, str, datetime]] = []
        with self.ctx.read() as session:
            policy = load_policy(session)
            plan += [(lead, 'sla_breach', max(now, lead.sla_due_at))
                     for lead in queries.sla_due(session, horizon, BATCH) if lead.sla_due_at]
            plan += [(lead, 'sla_reassign', max(now, lead.sla_grace_at))
                     for lead in queries.sla_grace_due(session, horizon, BATCH, include_due=True) if lead.sla_grace_at]
            for lead in queries.protection_ending(session, horizon + timedelta(hours=policy.warn_hours), BATCH):
                end = lead.protected_until
                if end is None:
                    continue
                warn_at = max(now, policy.warn_from(end))
                if lead.warned_until != end and warn_at <= horizon and end > now:
                    plan.append((lead, 'warn', warn_at))
                if end <= horizon:
                    plan.append((lead, recycle_outcome(lead.recycle_count, policy), max(now, end)))
            plan += [(lead, 'remind', max(now, lead.follow_up_due_at))
                     for lead in queries.follow_ups_due(session, horizon, BATCH)
                     if lead.follow_up_due_at and lead.status in OPEN_STATUSES and lead.owner_id]
            care = [(schedule, session.get(Account, schedule.account_id))
                    for schedule in care_store.schedules_due(session, horizon, BATCH)]
            care = [(schedule, account) for schedule, account in care if account and not account.is_deleted
                    and care_store.open_task(session, schedule.account_id) is None]  # as `open_due` skips them
            names = queries.user_names(session, {lead.owner_id for lead, _, _ in plan if lead.owner_id}
                                       | {account.owner_id for _, account in care if account.owner_id})
        planned = [Planned(lead_id=lead.id or 0, lead_name=lead.name, owner_name=names.get(lead.owner_id or 0),
                           action=action, at=at) for lead, action, at in plan]
        planned += [Planned(lead_id=0, lead_name=account.name, owner_name=names.get(account.owner_id or 0),
                            action='care', at=max(now, schedule.due_at or now), account_id=account.id)
                    for schedule, account in care]
        return sorted(planned, key=lambda p: (p.at, p.lead_id, p.account_id or 0))
