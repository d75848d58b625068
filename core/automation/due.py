"""What the timer finds due: one selection per step, shared by the tick and its preview.

Each step of the timer is split in two: "select what is due" (here) and "act on it"
(core/automation/timer.py, the tick only). The tick calls each selection with `until=now` inside the
step's transaction and acts on every item in order; the preview calls the same selections with
`until` = the end of its window and lists the items. So the two cannot disagree about which
leads a step takes or what it decides for each (recycle or review, which rep).

An item's `action` (`TimerAction`) names its step in `TickReport`; `at` is when the item falls due,
never before `now`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core.assignment import pick as assignment
from core.assignment.writes import Team
from core.automation.policy import Policy
from core.automation.pools import PoolInfo, PoolMap, destinations, load_pools
from core.automation.recycle_rules import RecycleAction, RecycleRule, active_rules
from core.customers import accounts as customers
from core.customers import care_plan
from store import queries
from store.models import OPEN_STATUSES, Account


class TimerAction(StrEnum):
    """What the timer does to an item: its step's key in `TickReport.done`, the preview's action.
    RECYCLE and REVIEW come from one step (the K-th recycle goes to review); SLA_NO_REP is a
    reassignment that finds no rep (the managers are told); NONE is housekeeping (a stale timestamp
    cleared, nothing else; the preview leaves it out)."""

    LEAVE_ENDED = 'leave_ended'
    ASSIGN = 'assign'
    SLA_BREACH = 'sla_breach'
    SLA_REASSIGN = 'sla_reassign'
    SLA_NO_REP = 'sla_no_rep'
    WARN = 'warn'
    RECYCLE = 'recycle'
    REVIEW = 'review'
    REMIND = 'remind'
    REMIND_OPPORTUNITY = 'remind_opportunity'
    DORMANT = 'dormant'
    CARE = 'care'
    EXPIRED_UPLOADS = 'expired_uploads'
    """Import uploads nobody ran, deleted (housekeeping that rides the same timer: core/desk.py)."""
    NONE = ''


BATCH = 500
"""Items handled per step per tick; the rest wait for the next tick."""


@dataclass(frozen=True, slots=True)
class Due:
    action: TimerAction
    at: datetime
    subject: Any
    """The row the step acts on: a Lead, a User (leave), an Opportunity, an Account (dormant) or a
    CareSchedule (care)."""
    pick: assignment.Pick | None = None
    """assign / sla_reassign: the rep the rules chose."""
    account: Account | None = None
    """care: the account whose task opens."""
    rule: RecycleRule | None = None
    """warn / recycle / review: the recycle rule that moved the lead's end ("N days later"); `at` is
    the moved end (recycle) or the warning before it."""
    pool: PoolInfo | None = None
    """recycle / review: the pool the lead goes to (the rule's, else its owner's department's);
    warn: the pool it was claimed from (whose warning time applies)."""


def recycle_outcome(recycle_count: int, policy: Policy) -> TimerAction:
    """The K-th recycle goes to the managers' review queue instead of the pool."""
    return TimerAction.REVIEW if recycle_count + 1 >= policy.review_after else TimerAction.RECYCLE


def _at(now: datetime, moment: datetime | None) -> datetime:
    return now if moment is None else max(now, moment)


def leaves_ending(session: Session, now: datetime, until: datetime) -> list[Due]:
    """Reps whose leave has a return date by `until`."""
    return [Due(TimerAction.LEAVE_ENDED, _at(now, user.leave_until), user)
            for user in queries.leaves_ending(session, until)]


def waiting_for_owner(session: Session, now: datetime, policy: Policy, team: Callable[[], Team], *,
                      lock: bool = False) -> list[Due]:
    """Pool leads nobody could take at capture (or, if set, recycled ones) that a rep with room
    takes now, and who. `team` builds the team's loads (only called when a lead waits); each pick
    is counted on it, so the next pick (and a later step's) sees it."""
    waiting = queries.leads_waiting_for_owner(session, include_recycled=policy.redistribute_recycled, limit=BATCH,
                                              lock=lock)
    if not waiting:
        return []  # the common case, one index probe; team loads are only counted when someone waits
    reps = team()
    chosen: list[Due] = []
    for lead in waiting:
        if not reps.has_room():
            break
        cooling = lead.cooldown_until is not None and lead.cooldown_until > now
        pick = reps.pick(lead, exclude=lead.previous_owner_id if cooling else None)
        if pick is None:
            continue  # no rule places this one (e.g. region-only rules); others may fit
        reps.took(pick.rep_id, now)
        chosen.append(Due(TimerAction.ASSIGN, now, lead, pick))
    return chosen


def sla_breaches(session: Session, now: datetime, until: datetime, *, lock: bool = False) -> list[Due]:
    """Leads whose first-response time runs out by `until`."""
    return [Due(TimerAction.SLA_BREACH, _at(now, lead.sla_due_at), lead)
            for lead in queries.sla_due(session, until, BATCH, lock=lock)]


def sla_reassignments(session: Session, now: datetime, until: datetime, team: Callable[[], Team], *,
                      ahead: bool = False, lock: bool = False) -> list[Due]:
    """Uncontacted leads past the grace after a breach, each with the rep who takes it over
    (another than its owner) or 'sla_no_rep'. `ahead` (the preview): also leads not flagged yet,
    which the breach step flags first."""
    leads = queries.sla_grace_due(session, until, BATCH, include_due=ahead, lock=lock)
    if not leads:
        return []
    reps = team()
    chosen: list[Due] = []
    for lead in leads:
        pick = reps.pick(lead, exclude=lead.owner_id)
        if pick is None:
            chosen.append(Due(TimerAction.SLA_NO_REP, _at(now, lead.sla_grace_at), lead))
            continue
        reps.took(pick.rep_id, now)
        chosen.append(Due(TimerAction.SLA_REASSIGN, _at(now, lead.sla_grace_at), lead, pick))
    return chosen


def end_of(lead: Any, rule: RecycleRule | None) -> datetime:
    """When a lead's protection really ends: `protected_until`, moved by the rule that applies."""
    delay = rule.delay if rule is not None else None
    return lead.protected_until + delay if delay else lead.protected_until


def warnings(session: Session, now: datetime, until: datetime, policy: Policy, *, lock: bool = False) -> list[Due]:
    """Open leads whose protection ends within the warning time of `until`, owner not yet warned.
    The recycle rules apply (core/automation/recycle_rules.py): a lead kept is never warned, a lead
    given N more days is warned N days later."""
    rules = active_rules(session)
    pools = load_pools(session)
    warn = max((p.warn_hours for p in pools.pools if p.warn_hours is not None), default=policy.warn_hours)
    found = queries.protection_warnings(session, now, until + timedelta(hours=max(warn, policy.warn_hours)), BATCH,
                                        rules=rules.tests, lock=lock)
    items = []
    for lead, index in found:  # each pool's own warning time, tested on the rows the widest one found
        if lead.protected_until is None:
            continue
        pool = pools.by_id(lead.pool_id)
        at = pool.policy(policy).warn_from(end_of(lead, rules.rule(index)))
        if at <= until:
            items.append(Due(TimerAction.WARN, _at(now, at), lead, rule=rules.rule(index), pool=pool))
    return items


def protection_ends(session: Session, now: datetime, until: datetime, policy: Policy, *,
                    lock: bool = False) -> list[Due]:
    """Owned open leads whose protection ends by `until` (as the recycle rules move it): recycled, or
    sent to review."""
    rules = active_rules(session)
    found = queries.protection_ending(session, until, BATCH, rules=rules.tests, lock=lock)
    if not found:
        return []
    pools = load_pools(session)
    owners = destinations(session, pools, (lead.owner_id for lead, _ in found))
    return [Due(recycle_outcome(lead.recycle_count, policy), _at(now, end_of(lead, rules.rule(index))), lead,
                rule=rules.rule(index), pool=destination(pools, owners, lead.owner_id, rules.rule(index)))
            for lead, index in found]


def destination(pools: PoolMap, owners: dict[int, PoolInfo], owner_id: int | None,
                rule: RecycleRule | None) -> PoolInfo:
    """Where a recycled lead goes: the pool its rule names, else its owner's department's, else the default."""
    if rule is not None and rule.action == RecycleAction.POOL:
        named = pools.known(rule.pool_id)
        if named is not None:
            return named
    return owners.get(owner_id or 0) or pools.default


def follow_ups(session: Session, now: datetime, until: datetime, *, lock: bool = False) -> list[Due]:
    """Follow-ups due by `until`; the owner of an open lead is reminded (others are just cleared)."""
    return [Due(TimerAction.REMIND if lead.status in OPEN_STATUSES and lead.owner_id is not None
                else TimerAction.NONE,
                _at(now, lead.follow_up_due_at), lead)
            for lead in queries.follow_ups_due(session, until, BATCH, lock=lock)]


def opportunity_follow_ups(session: Session, now: datetime, until: datetime) -> list[Due]:
    """Opportunities' follow-ups due by `until`; the owner of an open one is reminded."""
    return [Due(TimerAction.REMIND_OPPORTUNITY if o.closed_at is None and o.owner_id is not None
                else TimerAction.NONE,
                _at(now, o.follow_up_due_at), o)
            for o in queries.opportunity_follow_ups_due(session, until, BATCH)]


def dormant(session: Session, now: datetime, until: datetime) -> list[Due]:
    """Customers idle beyond the tier rules' days by `until`."""
    return [Due(TimerAction.DORMANT, at, account) for account, at in customers.dormant_due(session, now, until, BATCH)]


def care(session: Session, now: datetime, until: datetime, *, lock: bool = False) -> list[Due]:
    """Care schedules due by `until`; a task opens for each live account without an open one."""
    return [Due(TimerAction.CARE if account is not None else TimerAction.NONE, _at(now, schedule.due_at), schedule,
                account=account)
            for schedule, account in care_plan.due(session, until, BATCH, lock=lock)]


def back_from_leave(team: Team, user_ids: Iterable[int], now: datetime, policy: Policy) -> None:
    """The preview's team: reps whose leave ends before the tick assigns are available again (the
    tick's first step ends their leave in its own transaction)."""
    for user_id in user_ids:
        row, rep = team.users.get(user_id), team.reps.get(user_id)
        if row is not None and rep is not None:
            team.reps[user_id] = dataclasses.replace(
                rep, available=policy.calendar.on_shift(row.shift_start, row.shift_end, now))
