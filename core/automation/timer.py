"""The timer: every time-driven rule, in order, each step one transaction, every action
audited with actor `system` and its reason, published after commit.

Each step is "select what is due" (core/automation/due.py, shared) and "act on it" (here, the tick
only): `tick(now)` acts on what each selection finds due by now; `preview(now, hours)` lists what
the same selections find due by now + hours, so what managers are shown is what will happen.
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

from core.assignment.writes import Team, assign_to
from core.automation import due
from core.automation.due import TimerAction, recycle_outcome  # noqa: F401  (recycle_outcome re-exported: callers name it here)
from core.automation.policy import Policy, load_policy
from core.automation.pools import PoolInfo, load_pools
from core.automation.preview import TimerPreview
from core.automation.recycle_rules import RecycleAction, RecycleRule
from core.automation.sla_clocks import clear_clocks
from core.capture.config import assignment_rules
from core.context import Context, audit, retrying
from core.customers import accounts as customers
from core.customers import care_plan
from core.digests.compose import DigestWriter
from core.digests.schedule import DigestSchedule
from core.events import DeskEvents
from core.notify import Grouped, ManagerReach, managers, notify
from store import config_version, queries
from store.audit_actions import AuditAction
from store.config_version import POOL_SUMMARY_KEY
from store.models import LeadStatus, RecordKind, User
from store.queries import collaborators as collaborator_rows

"""AppSetting: the end of the window the managers' last pool summary covered."""
RECYCLED_TO_POOL = ('reason.recycled_to_pool', 'reason.recycled_to_pool_by_rule', 'reason.recycled_to_named_pool')
"""A recycle's reason since pools are records: no rule, a rule's later end, a rule naming the pool."""

POOL_REASONS = ((AuditAction.POOLED, 'reason.no_eligible_rep'), (AuditAction.POOLED, 'reason.quota_reached'),
                (AuditAction.RECYCLED, 'reason.recycled'), (AuditAction.RECYCLED, 'reason.recycled_by_rule'),
                *((AuditAction.RECYCLED, key) for key in RECYCLED_TO_POOL))

STEPS = tuple(a for a in TimerAction if a not in (TimerAction.SLA_NO_REP, TimerAction.EXPIRED_UPLOADS,
                                                 TimerAction.NONE))
"""What a tick reports, by step (core/desk.py adds EXPIRED_UPLOADS, housekeeping riding the tick)."""


@dataclass
class TickReport:
    done: dict[TimerAction, list[int]] = field(default_factory=lambda: {s: [] for s in STEPS})
    digests: int = 0
    """Digests this tick sent (core/digests/schedule.py)."""

    def count(self) -> int:
        return sum(len(ids) for ids in self.done.values())

    def summary(self) -> dict[TimerAction, int]:
        return {step: len(ids) for step, ids in self.done.items() if ids}


Publish = list[tuple[Any, tuple[Any, ...]]]


class Automation(TimerPreview):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.digests = DigestSchedule(ctx, DigestWriter(ctx, self))
        """Sends the digests that fall due (core/digests/schedule.py): the tick's last step."""

    @property
    def events(self) -> DeskEvents:
        return self.ctx.events

    def tick(self, now: datetime | None = None) -> TickReport:
        now = now or self.ctx.now()
        report = TickReport()
        steps: list[Callable[[Session, datetime, Policy, TickReport, Publish], None]] = [
            self._end_leaves, self._assign_waiting, self._flag_sla, self._reassign_past_grace, self._warn,
            self._recycle, self._summarize_pool, self._remind, self._remind_opportunities, self._dormant,
            self._care]
        with self.ctx.read() as session:  # one policy for the whole tick (a tick is one moment)
            policy = load_policy(session)
        for step in steps:
            publish = retrying(partial(self._run_step, step, now, policy, report))
            for event, args in publish:
                self.events.publish(event, *args)
        report.digests = self.digests.send_due(now)
        return report

    def _run_step(self, step: Callable[[Session, datetime, Policy, TickReport, Publish], None], now: datetime,
                  policy: Policy, report: TickReport) -> Publish:
        """One step in its transaction; what it reports and publishes counts only once it committed,
        so an attempt PostgreSQL aborted (`retrying` runs it again) leaves no trace."""
        publish: Publish = []
        attempt = TickReport()
        with self.ctx.write() as session:
            step(session, now, policy, attempt, publish)
        for name, ids in attempt.done.items():
            report.done[name].extend(ids)
        return publish

    # ----- steps ----------------------------------------------------------------------------------

    def _team(self, session: Session, now: datetime, policy: Policy) -> Callable[[], Team]:
        return lambda: Team(session, self.ctx.day_start(now), rules=assignment_rules(session), now=now,
                                calendar=policy.calendar)

    def _assign_waiting(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                        publish: Publish) -> None:
        """Pool leads nobody could take at capture (or, if set, recycled ones) get an owner once one has room."""
        assigned = Grouped('notify.assigned_to_you', 'notify.assigned_many', link='/')
        for item in due.waiting_for_owner(session, now, policy, self._team(session, now, policy), lock=True):
            lead, pick = item.subject, item.pick
            assert pick is not None
            rep = session.get(User, pick.rep_id)
            assert rep is not None
            key, params = pick.reason()
            assign_to(session, lead, rep, now=now, actor_id=None, reason_key=key, params=params,
                                   policy=policy)
            session.add(lead)
            report.done[TimerAction.ASSIGN].append(lead.id or 0)
            assigned.add([rep.id], lead.id, lead.name)
            publish.append((self.events.lead_assigned, (lead.id, rep.id, None)))
        _told(publish, self.events, assigned.send(session, now=now))

    def _flag_sla(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                  publish: Publish) -> None:
        team = ManagerReach(session)
        breached = Grouped('notify.sla_breached', 'notify.sla_breached_many', link='/')
        items = list(due.sla_breaches(session, now, now, lock=True))
        sharing = collaborator_rows.watchers(session, RecordKind.LEAD, [i.subject.id or 0 for i in items])
        for item in items:
            lead = item.subject
            lead.sla_status = 'failed'
            session.add(lead)
            audit(session, AuditAction.SLA_BREACHED, now=now, lead_id=lead.id, subject_user_id=lead.owner_id,
                  reason_key='reason.sla_breached', hours=policy.sla_hours.get(lead.grade), grade=lead.grade)
            breached.add([lead.owner_id, *sharing.get(lead.id or 0, ()), *team.over(lead.owner_id)], lead.id, lead.name)
            report.done[TimerAction.SLA_BREACH].append(lead.id or 0)
            publish.append((self.events.lead_changed, (lead.id, lead.owner_id)))
        _told(publish, self.events, breached.send(session, now=now))

    def _reassign_past_grace(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                             publish: Publish) -> None:
        no_rep = Grouped('notify.sla_no_rep', 'notify.sla_no_rep_many', link='/')
        assigned = Grouped('notify.assigned_to_you', 'notify.assigned_many', link='/')
        taken = Grouped('notify.taken_away', 'notify.taken_away_many', link='/')
        team = ManagerReach(session)
        for item in due.sla_reassignments(session, now, now, self._team(session, now, policy), lock=True):
            lead, pick = item.subject, item.pick
            previous = lead.owner_id
            if pick is None:
                lead.sla_grace_at = None  # handled: the managers decide
                session.add(lead)
                audit(session, AuditAction.SLA_NO_REP, now=now, lead_id=lead.id, reason_key='reason.sla_no_rep')
                no_rep.add(team.over(lead.owner_id), lead.id, lead.name)
                continue
            rep = session.get(User, pick.rep_id)
            old = session.get(User, previous) if previous else None
            assert rep is not None
            assign_to(session, lead, rep, now=now, actor_id=None, reason_key='reason.sla_reassigned',
                                   params={'rep': rep.name, 'previous': old.name if old else '',
                                           'grace': policy.sla_grace_hours}, policy=policy)
            session.add(lead)
            report.done[TimerAction.SLA_REASSIGN].append(lead.id or 0)
            assigned.add([rep.id], lead.id, lead.name)
            taken.add([previous], lead.id, lead.name)
            publish.append((self.events.lead_assigned, (lead.id, rep.id, previous)))
        for grouped in (no_rep, assigned, taken):
            _told(publish, self.events, grouped.send(session, now=now))

    def _warn(self, session: Session, now: datetime, policy: Policy, report: TickReport,
              publish: Publish) -> None:
        ending = Grouped('notify.protection_ending', 'notify.protection_ending_many', link='/')
        items = list(due.warnings(session, now, now, policy, lock=True))
        sharing = collaborator_rows.watchers(session, RecordKind.LEAD, [i.subject.id or 0 for i in items])
        for item in items:
            lead = item.subject
            end = due.end_of(lead, item.rule)
            lead.warned_until = lead.protected_until  # the end this warning was for, before any rule moved it
            session.add(lead)
            audit(session, AuditAction.WARNED, now=now, lead_id=lead.id, subject_user_id=lead.owner_id,
                  reason_key='reason.protection_ending', until=end.isoformat(),
                  **_by_rule(item.rule))
            ending.add([lead.owner_id, *sharing.get(lead.id or 0, ())], lead.id, lead.name)  # and its collaborators
            report.done[TimerAction.WARN].append(lead.id or 0)
        _told(publish, self.events, ending.send(session, now=now))

    def _recycle(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                 publish: Publish) -> None:
        team = ManagerReach(session)
        reviews = Grouped('notify.review', 'notify.review_many', link='/pool?tab=review')
        recycled = Grouped('notify.recycled_from_you', 'notify.recycled_many', link='/pool')
        found = due.protection_ends(session, now, now, policy, lock=True)
        pools = load_pools(session) if found else None  # the pools the leads were claimed from: their days
        for item in found:
            lead, outcome = item.subject, item.action
            pool = item.pool or PoolInfo(id=0, name='')
            days = pools.by_id(lead.pool_id).policy(policy).protection_days if pools else policy.protection_days
            previous = lead.owner_id
            old = session.get(User, previous) if previous else None
            lead.recycle_count += 1
            lead.previous_owner_id = previous
            lead.owner_id = None
            clear_clocks(lead)
            lead.version += 1
            lead.updated_at = lead.pooled_at = now
            lead.pool_id = pool.id or None
            if outcome == TimerAction.REVIEW:
                lead.status = LeadStatus.REVIEW
                reviews.add(team.over(previous), lead.id, lead.name)
            else:
                lead.status = LeadStatus.POOL
                lead.cooldown_until = pool.policy(policy).cooldown(now)
                recycled.add([previous], lead.id, lead.name)
            session.add(lead)
            recycle = outcome == TimerAction.RECYCLE
            by_rule = _by_rule(item.rule)
            audit(session, AuditAction.RECYCLED if recycle else AuditAction.SENT_TO_REVIEW, now=now,
                  lead_id=lead.id, subject_user_id=previous,
                  reason_key=_recycle_reason(item.rule) if recycle
                  else ('reason.sent_to_review_by_rule' if by_rule else 'reason.sent_to_review'),
                  rep=old.name if old else '', count=lead.recycle_count, days=days,
                  pool_id=pool.id or None, **pool.label_params(), **by_rule)
            report.done[outcome].append(lead.id or 0)
            publish.append((self.events.lead_assigned, (lead.id, None, previous)))
        for grouped in (reviews, recycled):
            _told(publish, self.events, grouped.send(session, now=now))

    def _summarize_pool(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                        publish: Publish) -> None:
        """Managers hear once per tick how many leads went to the pool since the last summary
        (no rep at capture, or recycled); each lead keeps its own audit line."""
        connection = session.connection()  # the mark's row stays locked: a concurrent tick waits, then counts nothing
        since = datetime.fromisoformat(config_version.take_mark(connection, POOL_SUMMARY_KEY,
                                                                (now - timedelta(hours=1)).isoformat()))
        count = queries.count_audited(session, POOL_REASONS, since, now)
        if now > since:
            config_version.set_mark(connection, POOL_SUMMARY_KEY, now.isoformat())
        if count:
            told = notify(session, managers(session), 'notify.pool_summary', now=now, count=count, link='/pool')
            publish.extend((self.events.notified, (u,)) for u in told)

    def _remind(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                publish: Publish) -> None:
        due_now = Grouped('notify.follow_up_due', 'notify.follow_up_due_many', link='/')
        items = list(due.follow_ups(session, now, now, lock=True))
        sharing = collaborator_rows.watchers(session, RecordKind.LEAD, [i.subject.id or 0 for i in items if i.action])
        for item in items:
            lead = item.subject
            lead.follow_up_due_at = None
            session.add(lead)
            if not item.action:
                continue
            audit(session, AuditAction.REMINDED, now=now, lead_id=lead.id, subject_user_id=lead.owner_id,
                  reason_key='reason.follow_up_due')
            due_now.add([lead.owner_id, *sharing.get(lead.id or 0, ())], lead.id, lead.name)  # and its collaborators
            report.done[TimerAction.REMIND].append(lead.id or 0)
            publish.append((self.events.lead_changed, (lead.id, lead.owner_id)))
        _told(publish, self.events, due_now.send(session, now=now))

    def _remind_opportunities(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                              publish: Publish) -> None:
        due_now = Grouped('notify.follow_up_due', 'notify.follow_up_due_many', link='/pipeline')
        for item in due.opportunity_follow_ups(session, now, now):
            o = item.subject
            o.follow_up_due_at = None
            session.add(o)
            if not item.action:
                continue
            audit(session, AuditAction.REMINDED, now=now, lead_id=o.lead_id, subject_user_id=o.owner_id,
                  reason_key='reason.follow_up_due')
            due_now.add([o.owner_id], o.lead_id, o.name)
            report.done[TimerAction.REMIND_OPPORTUNITY].append(o.id or 0)
        _told(publish, self.events, due_now.send(session, now=now))

    def _end_leaves(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                    publish: Publish) -> None:
        """A leave with a return date ends by itself, before the timer hands out waiting leads."""
        for item in due.leaves_ending(session, now, now):
            user = item.subject
            user.is_on_leave = False
            user.leave_until = None
            session.add(user)
            audit(session, AuditAction.LEAVE_ENDED, now=now, subject_user_id=user.id, reason_key='reason.leave_ended',
                  rep=user.name)
            report.done[TimerAction.LEAVE_ENDED].append(user.id or 0)
        if report.done[TimerAction.LEAVE_ENDED]:
            publish.append((self.events.users_changed, ()))

    def _dormant(self, session: Session, now: datetime, policy: Policy, report: TickReport,
                 publish: Publish) -> None:
        report.done[TimerAction.DORMANT].extend(customers.mark_dormant(session, now, due.BATCH))

    def _care(self, session: Session, now: datetime, policy: Policy, report: TickReport,
              publish: Publish) -> None:
        """Care plans: due revisits (and dormant customers' wake-ups) become the owner's tasks."""
        for opened in care_plan.open_due(session, now, due.BATCH):
            report.done[TimerAction.CARE].append(opened.account_id)
            publish.append((self.events.care_changed, (opened.account_id, opened.owner_id)))
            publish.extend((self.events.notified, (u,)) for u in opened.told)

    # ----- preview --------------------------------------------------------------------------------


def _recycle_reason(rule: RecycleRule | None) -> str:
    """The recycle's audit reason: each names the pool; a rule's names the rule too."""
    if rule is None:
        return RECYCLED_TO_POOL[0]
    return RECYCLED_TO_POOL[2] if rule.action == RecycleAction.POOL else RECYCLED_TO_POOL[1]


def _by_rule(rule: RecycleRule | None) -> dict[str, Any]:
    """An audit line's params naming the recycle rule that moved the lead's end (none: no rule)."""
    return {'rule': rule.name, 'later': rule.days} if rule is not None else {}


def _told(publish: Publish, events: DeskEvents, user_ids: list[int]) -> None:
    """After commit, each user told once (their bell reloads once, however many lines they got)."""
    publish.extend((events.notified, (u,)) for u in dict.fromkeys(user_ids))
